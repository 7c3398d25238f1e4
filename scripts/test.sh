#!/usr/bin/env bash
# Set up a virtual environment with the test extras and run every check:
# ruff, the import-layer contract, then pytest (unit tests and doctests).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[test]"
echo "== ruff"
.venv/bin/ruff check nuptse tests benchmarks
echo "== import-linter"
.venv/bin/lint-imports
echo "== pytest"
.venv/bin/python -m pytest "$@"
