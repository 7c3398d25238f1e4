"""Kaldi-compatible feature layers and extractors (imported lazily: they need torch)."""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Fbank": "nuptse.features.kaldi.extractors",
    "FbankConfig": "nuptse.features.kaldi.extractors",
    "Mfcc": "nuptse.features.kaldi.extractors",
    "MfccConfig": "nuptse.features.kaldi.extractors",
    "Spectrogram": "nuptse.features.kaldi.extractors",
    "SpectrogramConfig": "nuptse.features.kaldi.extractors",
    "LogSpectrogram": "nuptse.features.kaldi.extractors",
    "LogSpectrogramConfig": "nuptse.features.kaldi.extractors",
    "Wav2Win": "nuptse.features.kaldi.layers",
    "Wav2FFT": "nuptse.features.kaldi.layers",
    "Wav2Spec": "nuptse.features.kaldi.layers",
    "Wav2LogSpec": "nuptse.features.kaldi.layers",
    "Wav2LogFilterBank": "nuptse.features.kaldi.layers",
    "Wav2MFCC": "nuptse.features.kaldi.layers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nuptse.features.kaldi' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
