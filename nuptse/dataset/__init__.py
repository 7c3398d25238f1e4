"""Training-side data: samplers, datasets, collation and per-batch transforms.

Names are re-exported lazily (as in :mod:`nuptse`), so importing
``nuptse.dataset`` stays cheap until a class is used.  The samplers live in
:mod:`nuptse.dataset.sampling`.
"""

from __future__ import annotations

from nuptse.exports import lazy_exports

# name -> module that defines it.  Samplers first, then the dataset side.
_EXPORTS: dict[str, str] = {
    # --- sampling (nuptse.dataset.sampling) ---
    "BucketingSampler": "nuptse.dataset.sampling.bucketing",
    "CutPairsSampler": "nuptse.dataset.sampling.cut_pairs",
    "CutSampler": "nuptse.dataset.sampling.base",
    "DynamicBucketingSampler": "nuptse.dataset.sampling.dynamic_bucketing",
    "DynamicCutSampler": "nuptse.dataset.sampling.dynamic",
    "RoundRobinSampler": "nuptse.dataset.sampling.round_robin",
    "SamplingConstraint": "nuptse.dataset.sampling.base",
    "SamplingDiagnostics": "nuptse.dataset.sampling.base",
    "SimpleCutSampler": "nuptse.dataset.sampling.simple",
    "StatelessSampler": "nuptse.dataset.sampling.stateless",
    "TimeConstraint": "nuptse.dataset.sampling.base",
    "TokenConstraint": "nuptse.dataset.sampling.base",
    "WeightedSimpleCutSampler": "nuptse.dataset.sampling.weighted_simple",
    "ZipSampler": "nuptse.dataset.sampling.zip",
    "estimate_duration_buckets": "nuptse.dataset.sampling.dynamic_bucketing",
    "find_pessimistic_batches": "nuptse.dataset.sampling.utils",
    "report_padding_ratio_estimate": "nuptse.dataset.sampling.utils",
    "IterableDatasetWrapper": "nuptse.dataset.iterable_dataset",
    # --- datasets, collation, input strategies, transforms ---
    "AudioTaggingDataset": "nuptse.dataset.audio_tagging",
    "ClippingTransform": "nuptse.dataset.cut_transforms",
    "Compress": "nuptse.dataset.cut_transforms",
    "CutConcatenate": "nuptse.dataset.cut_transforms",
    "CutMix": "nuptse.dataset.cut_transforms",
    "ExtraPadding": "nuptse.dataset.cut_transforms",
    "LowpassUsingResampling": "nuptse.dataset.cut_transforms",
    "PerturbSpeed": "nuptse.dataset.cut_transforms",
    "PerturbTempo": "nuptse.dataset.cut_transforms",
    "PerturbVolume": "nuptse.dataset.cut_transforms",
    "ReverbWithImpulseResponse": "nuptse.dataset.cut_transforms",
    "make_worker_init_fn": "nuptse.dataset.dataloading",
    "DiarizationDataset": "nuptse.dataset.diarization",
    "FaultReport": "nuptse.dataset.faults",
    "AudioSamples": "nuptse.dataset.input_strategies",
    "OnTheFlyFeatures": "nuptse.dataset.input_strategies",
    "PrecomputedFeatures": "nuptse.dataset.input_strategies",
    "GlobalMVN": "nuptse.dataset.signal_transforms",
    "RandomizedSmoothing": "nuptse.dataset.signal_transforms",
    "SpecAugment": "nuptse.dataset.signal_transforms",
    "DynamicallyMixedSourceSeparationDataset": "nuptse.dataset.source_separation",
    "PreMixedSourceSeparationDataset": "nuptse.dataset.source_separation",
    "SourceSeparationDataset": "nuptse.dataset.source_separation",
    "K2SpeechRecognitionDataset": "nuptse.dataset.speech_recognition",
    "SpeechSynthesisDataset": "nuptse.dataset.speech_synthesis",
    "K2Speech2TextTranslationDataset": "nuptse.dataset.speech_translation",
    "DynamicUnsupervisedDataset": "nuptse.dataset.unsupervised",
    "UnsupervisedDataset": "nuptse.dataset.unsupervised",
    "UnsupervisedWaveformDataset": "nuptse.dataset.unsupervised",
    "VadDataset": "nuptse.dataset.vad",
    "plot_batch": "nuptse.dataset.vis",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports("nuptse.dataset", _EXPORTS, globals())
