"""lhotse's ``lhotse.augmentation``: the audio transforms and their helpers.

The transforms themselves live in :mod:`nuptse.audio.transforms` (one
implementation, used the same way by recordings, supervisions and cuts,
which create and apply them); this package gives them lhotse's import paths
(``lhotse.augmentation.compress`` is :mod:`nuptse.augmentation.compress`, and
so on) and adds the helpers that only augmentation code uses.
"""

from nuptse.audio.rir import FastRandomRIRGenerator
from nuptse.audio.transforms import (
    AudioTransform,
    Clipping,
    Compress,
    DereverbWPE,
    LoudnessNormalization,
    Resample,
    ReverbWithImpulseResponse,
    Speed,
    Tempo,
    Volume,
    dereverb_wpe_numpy,
    dereverb_wpe_torch,
)
from nuptse.augmentation.common import AugmentFn
from nuptse.augmentation.torchaudio import (
    Codec,
    LPC10Codec,
    MuLawCodec,
    Narrowband,
    check_for_torchaudio,
    check_torchaudio_version,
    compute_num_samples,
    during_docs_build,
    get_current_resampling_backend,
    is_module_available,
    is_torchaudio_available,
    libsox_rate,
    libspandsp_api,
    perturb_num_samples,
)
from nuptse.augmentation.utils import convolve1d
from nuptse.exports import lazy_exports

# torch modules: loaded on first use, so that importing this package stays torch-free.
_LAZY = {
    "ResampleTensor": "nuptse.augmentation.resample",
    "get_or_create_resampler": "nuptse.augmentation.resample",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())

__all__ = [
    "AudioTransform",
    "AugmentFn",
    "Codec",
    "LPC10Codec",
    "MuLawCodec",
    "Narrowband",
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
    "Clipping",
    "Compress",
    "DereverbWPE",
    "FastRandomRIRGenerator",
    "LoudnessNormalization",
    "Resample",
    "ReverbWithImpulseResponse",
    "Speed",
    "Tempo",
    "Volume",
    "convolve1d",
    "dereverb_wpe_numpy",
    "dereverb_wpe_torch",
] + sorted(_LAZY)
