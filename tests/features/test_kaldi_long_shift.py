"""A frame shift longer than the frame (frames skip samples) runs and matches kaldi-native-fbank.

The per-utterance short path assumed overlapping frames and crashed on such
settings (e.g. 8 kHz, 32 ms shift, 25 ms frames); they take the general path.
"""

from __future__ import annotations

import numpy as np
import pytest

from nuptse.features.kaldi.extractors import Fbank, FbankConfig

sf = pytest.importorskip("soundfile")
knf = pytest.importorskip("kaldi_native_fbank")


@pytest.mark.parametrize("num_samples", [3680, 40000])
def test_shift_longer_than_frame_matches_kaldi_native_fbank(fixtures_dir, num_samples):
    x, sr = sf.read(str(fixtures_dir / "libri/libri-1088-134315-0000.wav"), dtype="float32")
    x = x[:num_samples]
    ours = Fbank(FbankConfig(sampling_rate=sr, frame_shift=0.04, dither=0.0)).extract(x, sr)
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = sr
    opts.frame_opts.frame_shift_ms = 40
    opts.frame_opts.dither = 0.0
    opts.frame_opts.snip_edges = False
    opts.mel_opts.num_bins = 80
    opts.mel_opts.high_freq = -400
    online = knf.OnlineFbank(opts)
    online.accept_waveform(sr, x.tolist())
    online.input_finished()
    ref = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=2e-3)
