#!/usr/bin/env bash
# Set up a virtual environment and run the main job on the bundled sample corpus:
# manifests -> validation -> cuts -> fbank features -> Shar -> summary.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e .
.venv/bin/nuptse demo --out "${1:-demo_output}"
