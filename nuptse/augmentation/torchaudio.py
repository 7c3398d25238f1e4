"""lhotse's ``lhotse.augmentation.torchaudio`` path: speed, tempo, volume, resampling, narrowband.

nuptse implements them in numpy (:mod:`nuptse.audio.transforms`); torchaudio
is not needed.  ``ResampleTensor`` and ``get_or_create_resampler`` (torch
modules) load torch when first used.
"""

from nuptse.audio.resampling_backend import get_current_resampling_backend
from nuptse.audio.transforms.gain import Volume
from nuptse.audio.transforms.narrowband import (
    CODECS,
    LPC10_FRAME_BYTES,
    LPC10_FRAME_SAMPLES,
    Codec,
    LPC10Codec,
    MuLawCodec,
    Narrowband,
    libspandsp_api,
)
from nuptse.audio.transforms.resample import Resample
from nuptse.audio.transforms.tempo import Speed, Tempo
from nuptse.exports import lazy_exports
from nuptse.tools.libsox import libsox_rate
from nuptse.utils import (
    compute_num_samples,
    during_docs_build,
    is_module_available,
    is_torchaudio_available,
    perturb_num_samples,
)


def check_torchaudio_version() -> None:
    """Nothing to check: nuptse's transforms do not use torchaudio."""


def check_for_torchaudio() -> None:
    """Nothing to check: nuptse's transforms do not use torchaudio."""


_LAZY = {
    "ResampleTensor": "nuptse.augmentation.resample",
    "get_or_create_resampler": "nuptse.augmentation.resample",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())

__all__ = [
    "CODECS",
    "Codec",
    "LPC10Codec",
    "LPC10_FRAME_BYTES",
    "LPC10_FRAME_SAMPLES",
    "MuLawCodec",
    "Narrowband",
    "Resample",
    "Speed",
    "Tempo",
    "Volume",
    "check_for_torchaudio",
    "check_torchaudio_version",
    "compute_num_samples",
    "during_docs_build",
    "get_current_resampling_backend",
    "is_module_available",
    "is_torchaudio_available",
    "libsox_rate",
    "libspandsp_api",
    "perturb_num_samples",
] + sorted(_LAZY)
