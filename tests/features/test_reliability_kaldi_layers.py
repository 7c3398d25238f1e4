"""The Kaldi layers refuse inputs they cannot handle with a message naming the dtype or type."""

import numpy as np
import pytest
import torch

from nuptse.features.kaldi.layers import Wav2LogFilterBank, Wav2MFCC, Wav2Spec, Wav2Win

LAYERS = [Wav2Win, Wav2Spec, Wav2LogFilterBank, Wav2MFCC]


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize(
    "dtype,needle",
    [
        (torch.int16, "int16"),
        (torch.int32, "int32"),
        (torch.float16, "float16"),
        (torch.bfloat16, "bfloat16"),
        (torch.complex64, "complex"),
    ],
)
def test_wrong_dtype_is_named(cls, dtype, needle):
    with pytest.raises(TypeError, match=needle):
        cls()(torch.zeros(1, 16000, dtype=dtype))


@pytest.mark.parametrize("cls", LAYERS)
def test_numpy_input_is_named(cls):
    with pytest.raises(TypeError, match="numpy|ndarray"):
        cls()(np.zeros((1, 16000), dtype=np.float32))


@pytest.mark.parametrize("cls", LAYERS)
def test_float64_still_works(cls):
    out = cls()(torch.zeros(1, 16000, dtype=torch.float64))
    out = out[0] if isinstance(out, tuple) else out
    assert out.shape[:2] == (1, 100)


def test_scripted_layer_checks_dtype():
    scripted = torch.jit.script(Wav2LogFilterBank())
    assert scripted(torch.zeros(1, 16000)).shape == (1, 100, 80)
    # TorchScript prints a dtype as its number; the message still says what is expected.
    with pytest.raises(Exception, match="float32 or float64"):
        scripted(torch.zeros(1, 16000, dtype=torch.int16))
