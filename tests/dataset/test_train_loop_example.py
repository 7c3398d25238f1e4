"""examples/train_loop.py runs end to end on the sample corpus (two epochs, validation, a dropped file)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "train_loop.py"


def test_train_loop_example(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("train_loop_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--out", str(tmp_path), "--break-one-dev-file", "--max-duration", "40"])
    train = results["train"]
    assert len(train) == 2
    # 6 utterances + 20 dialogue turns, each seen once per epoch, none dropped
    assert [e["cuts"] for e in train] == [26, 26]
    assert all(e["dropped"] == 0 for e in train)
    assert all(shape[2] == 80 for e in train for shape in e["shapes"])
    dev = results["dev"]
    assert dev["cuts"] == 5 and dev["dropped"] == 1
    out = capsys.readouterr().out
    assert "[train epoch 1]" in out and "1x " in out
