"""Decode-ahead turns FLAC members into WAV with the same samples."""

from __future__ import annotations

import io

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from nuptse.shar.readers.predecode import predecode_flac  # noqa: E402


def test_predecode_uses_the_same_samples(fixtures_dir):
    data = (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0001.flac").read_bytes()
    wav = predecode_flac(data)
    assert wav[:4] == b"RIFF"
    a = sf.read(io.BytesIO(wav), dtype="float32", always_2d=True)[0]
    b = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)[0]
    np.testing.assert_array_equal(a, b)
