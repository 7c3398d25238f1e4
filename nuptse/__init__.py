"""nuptse: speech data preparation for PyTorch.

The main classes are re-exported here lazily, so ``import nuptse`` stays fast
and does not import torch; ``nuptse.CutSet`` imports :mod:`nuptse.cut` on
first use.
"""

from __future__ import annotations

from nuptse.exports import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    # foundation
    "load_manifest": "nuptse.manifest",
    "load_manifest_lazy": "nuptse.manifest",
    "ManifestSet": "nuptse.manifest",
    "compute_num_samples": "nuptse.timing",
    "compute_num_frames": "nuptse.timing",
    "seconds_to_frames": "nuptse.timing",
    # supervision
    "AlignmentItem": "nuptse.supervision",
    "SupervisionSegment": "nuptse.supervision",
    "SupervisionSet": "nuptse.supervision",
    # audio
    "AudioSource": "nuptse.audio",
    "Recording": "nuptse.audio",
    "RecordingSet": "nuptse.audio",
    "AudioLoadingError": "nuptse.audio",
    "Speed": "nuptse.audio.transforms",
    "Tempo": "nuptse.audio.transforms",
    "Volume": "nuptse.audio.transforms",
    "Resample": "nuptse.audio.transforms",
    "ReverbWithImpulseResponse": "nuptse.audio.transforms",
    # features
    "Features": "nuptse.features.base",
    "FeatureSet": "nuptse.features.base",
    "FeatureExtractor": "nuptse.features.base",
    "FeatureSetBuilder": "nuptse.features.base",
    "store_feature_array": "nuptse.features.base",
    "Fbank": "nuptse.features.kaldi.extractors",
    "FbankConfig": "nuptse.features.kaldi.extractors",
    "Mfcc": "nuptse.features.kaldi.extractors",
    "MfccConfig": "nuptse.features.kaldi.extractors",
    "Spectrogram": "nuptse.features.kaldi.extractors",
    "SpectrogramConfig": "nuptse.features.kaldi.extractors",
    "LogSpectrogram": "nuptse.features.kaldi.extractors",
    "FeatureMixer": "nuptse.features.mixer",
    "compute_global_stats": "nuptse.features.base",
    "StatsAccumulator": "nuptse.features.base",
    "LilcomChunkyWriter": "nuptse.features.io",
    "LilcomFilesWriter": "nuptse.features.io",
    "NumpyFilesWriter": "nuptse.features.io",
    "NumpyHdf5Writer": "nuptse.features.io",
    # cuts
    "CutSet": "nuptse.cut",
    "MonoCut": "nuptse.cut",
    "MultiCut": "nuptse.cut",
    "MixedCut": "nuptse.cut",
    "PaddingCut": "nuptse.cut",
    "validate": "nuptse.qa",
    "fix_manifests": "nuptse.qa",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


__getattr__, __dir__ = lazy_exports("nuptse", _EXPORTS, globals())
