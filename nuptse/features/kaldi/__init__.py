"""Kaldi-compatible feature layers and extractors (imported lazily: they need torch)."""

from __future__ import annotations

from nuptse.exports import lazy_exports

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


__getattr__, __dir__ = lazy_exports("nuptse.features.kaldi", _EXPORTS, globals())
