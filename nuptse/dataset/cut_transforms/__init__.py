"""Transforms of a batch of cuts (a :class:`CutSet`), applied by datasets before loading.

Each is a picklable object holding its parameters (and its random
generator), so it travels to DataLoader workers with the dataset.  They
delegate to the cut methods (``perturb_speed``, ``mix``, ``pad``,
``reverb_rir``, ``compress``, ``clip_amplitude``, ``resample``), which
record the audio transforms in the manifests as lhotse does.
"""

from nuptse.dataset.cut_transforms.clipping import ClippingTransform
from nuptse.dataset.cut_transforms.compress import Compress
from nuptse.dataset.cut_transforms.concatenate import CutConcatenate, concat_cuts
from nuptse.dataset.cut_transforms.extra_padding import ExtraPadding
from nuptse.dataset.cut_transforms.lowpass import LowpassUsingResampling
from nuptse.dataset.cut_transforms.mix import CutMix
from nuptse.dataset.cut_transforms.perturb_speed import PerturbSpeed
from nuptse.dataset.cut_transforms.perturb_tempo import PerturbTempo
from nuptse.dataset.cut_transforms.perturb_volume import PerturbVolume
from nuptse.dataset.cut_transforms.reverberate import ReverbWithImpulseResponse

__all__ = [
    "ClippingTransform",
    "Compress",
    "CutConcatenate",
    "CutMix",
    "ExtraPadding",
    "LowpassUsingResampling",
    "PerturbSpeed",
    "PerturbTempo",
    "PerturbVolume",
    "ReverbWithImpulseResponse",
    "concat_cuts",
]
