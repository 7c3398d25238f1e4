"""Feature extraction, feature manifests and feature storage.

Names are re-exported lazily (on first attribute access), so
``import nuptse.features`` imports neither torch nor the storage backends.
"""

from __future__ import annotations

from nuptse.exports import lazy_exports

_EXPORTS = {
    # extractor interface, manifests, builder
    "FeatureExtractor": "nuptse.features.extractor",
    "TorchaudioFeatureExtractor": "nuptse.features.extractor",
    "create_default_feature_extractor": "nuptse.features.extractor",
    "get_extractor_type": "nuptse.features.extractor",
    "register_extractor": "nuptse.features.extractor",
    "Features": "nuptse.features.manifest",
    "FeatureSet": "nuptse.features.manifest",
    "FeatureSetBuilder": "nuptse.features.builder",
    "compute_global_stats": "nuptse.features.manifest",
    "store_feature_array": "nuptse.features.manifest",
    "StatsAccumulator": "nuptse.features.stats",
    "FeatureMixer": "nuptse.features.mixer",
    # Kaldi-compatible extractors
    "Fbank": "nuptse.features.kaldi.extractors",
    "FbankConfig": "nuptse.features.kaldi.extractors",
    "Mfcc": "nuptse.features.kaldi.extractors",
    "MfccConfig": "nuptse.features.kaldi.extractors",
    "Spectrogram": "nuptse.features.kaldi.extractors",
    "SpectrogramConfig": "nuptse.features.kaldi.extractors",
    "LogSpectrogram": "nuptse.features.kaldi.extractors",
    "LogSpectrogramConfig": "nuptse.features.kaldi.extractors",
    # lhotse's torchaudio-named extractors (computed by the Kaldi layers)
    "TorchaudioFbank": "nuptse.features.fbank",
    "TorchaudioFbankConfig": "nuptse.features.fbank",
    "TorchaudioMfcc": "nuptse.features.mfcc",
    "TorchaudioMfccConfig": "nuptse.features.mfcc",
    "TorchaudioSpectrogram": "nuptse.features.spectrogram",
    "TorchaudioSpectrogramConfig": "nuptse.features.spectrogram",
    # librosa / Whisper style filter banks (numpy and torch only)
    "LibrosaFbank": "nuptse.features.librosa_fbank",
    "LibrosaFbankConfig": "nuptse.features.librosa_fbank",
    "WhisperFbank": "nuptse.features.whisper_fbank",
    "WhisperFbankConfig": "nuptse.features.whisper_fbank",
    # kaldifeat's options on the Kaldi layers; optional-package extractors
    "KaldifeatFbank": "nuptse.features.kaldifeat",
    "KaldifeatFbankConfig": "nuptse.features.kaldifeat",
    "KaldifeatMfcc": "nuptse.features.kaldifeat",
    "KaldifeatMfccConfig": "nuptse.features.kaldifeat",
    "OpenSmileConfig": "nuptse.features.opensmile",
    "OpenSmileExtractor": "nuptse.features.opensmile",
    "S3PRLSSL": "nuptse.features.ssl",
    "S3PRLSSLConfig": "nuptse.features.ssl",
    # storage
    "ChunkedLilcomHdf5Reader": "nuptse.features.io",
    "ChunkedLilcomHdf5Writer": "nuptse.features.io",
    "FeaturesReader": "nuptse.features.io",
    "FeaturesWriter": "nuptse.features.io",
    "KaldiReader": "nuptse.features.io",
    "KaldiWriter": "nuptse.features.io",
    "MemoryLilcomReader": "nuptse.features.io",
    "MemoryLilcomWriter": "nuptse.features.io",
    "MemoryRawReader": "nuptse.features.io",
    "MemoryRawWriter": "nuptse.features.io",
    "get_reader": "nuptse.features.io",
    "get_writer": "nuptse.features.io",
    "LilcomChunkyReader": "nuptse.features.io",
    "LilcomChunkyWriter": "nuptse.features.io",
    "LilcomFilesReader": "nuptse.features.io",
    "LilcomFilesWriter": "nuptse.features.io",
    "LilcomHdf5Reader": "nuptse.features.io",
    "LilcomHdf5Writer": "nuptse.features.io",
    "LilcomURLReader": "nuptse.features.io",
    "LilcomURLWriter": "nuptse.features.io",
    "NumpyFilesReader": "nuptse.features.io",
    "NumpyFilesWriter": "nuptse.features.io",
    "NumpyHdf5Reader": "nuptse.features.io",
    "NumpyHdf5Writer": "nuptse.features.io",
    "StorageBackendInfo": "nuptse.features.io",
    "available_storage_backends": "nuptse.features.io",
    "close_cached_file_handles": "nuptse.features.io",
    "storage_backend_statuses": "nuptse.features.io",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports("nuptse.features", _EXPORTS, globals())
