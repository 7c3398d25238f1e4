"""Pytest helpers that build cuts backed by real temporary files.

:class:`RandomCutTestCase` is a base class for test classes: its
``with_cut``/``with_recording`` write random audio (and optionally features
and a custom temporal array) to temporary files that are removed after each
test.  :func:`random_cut_set` makes a set of cuts with random spans of a
100-second recording, without audio.

>>> from nuptse.testing.fixtures import random_cut_set
>>> len(random_cut_set(n_cuts=3))
3
"""

from __future__ import annotations

import os
import random
from tempfile import NamedTemporaryFile, TemporaryDirectory

import pytest

from nuptse.audio import AudioSource, Recording, save_audio
from nuptse.cut import CutSet, MonoCut
from nuptse.features.io import NumpyFilesWriter, default_features_storage_backend
from nuptse.features.kaldi.extractors import Fbank, FbankConfig
from nuptse.supervision import AlignmentItem, SupervisionSegment
from nuptse.timing import Seconds, seconds_to_frames
from nuptse.utils import uuid4

__all__ = ["RandomCutTestCase", "random_cut_set", "with_dill_enabled"]


@pytest.fixture()
def with_dill_enabled():
    """Turn on dill pickling of lazy manifests' functions for the rest of the process."""
    os.environ["NUPTSE_DILL_ENABLED"] = "1"
    os.environ["LHOTSE_DILL_ENABLED"] = "1"


def random_cut_set(n_cuts: int = 100) -> CutSet:
    """``n_cuts`` cuts of 3-10 s starting in the first 5 s of a 100 s, 16 kHz recording.

    Starts and durations are whole samples drawn with ``random``; ids come
    from :func:`nuptse.utils.uuid4`; the recording has no sources.
    """
    sr = 16000
    cuts = []
    for _ in range(n_cuts):
        start = random.randint(0, 5 * sr) / sr
        duration = random.randint(3 * sr, 10 * sr) / sr
        recording = Recording(
            id=str(uuid4()), sources=[], sampling_rate=sr, num_samples=100 * sr, duration=100.0
        )
        cuts.append(
            MonoCut(id=str(uuid4()), start=start, duration=duration, channel=0, recording=recording)
        )
    return CutSet.from_cuts(cuts)


class RandomCutTestCase:
    """Base class for pytest test classes that need cuts with real audio files.

    Files made by ``with_recording``/``with_cut`` live until the end of the test.
    """

    def setup_method(self, method) -> None:
        self.files: list = []
        self.dirs: list = []

    def teardown_method(self, method) -> None:
        self.cleanup()

    def cleanup(self) -> None:
        for f in self.files:
            f.close()
        for d in self.dirs:
            d.cleanup()
        self.files = []
        self.dirs = []

    def with_recording(
        self, sampling_rate: int, num_samples: int, use_zeros: bool = False
    ) -> Recording:
        """A recording of ``num_samples`` uniform random samples in [0, 1) (or zeros) in a temporary WAV."""
        import torch

        f = NamedTemporaryFile("wb", suffix=".wav")
        self.files.append(f)
        shape = (1, num_samples)
        samples = torch.zeros(shape) if use_zeros else torch.rand(shape)
        save_audio(f.name, samples, sampling_rate=sampling_rate)
        f.flush()
        os.fsync(f)
        return Recording(
            id=str(uuid4()),
            sources=[AudioSource(type="file", channels=[0], source=f.name)],
            sampling_rate=sampling_rate,
            num_samples=num_samples,
            duration=num_samples / sampling_rate,
        )

    def with_cut(
        self,
        sampling_rate: int,
        num_samples: int,
        features: bool = True,
        supervision: bool = False,
        alignment: bool = False,
        custom_field: bool = False,
        frame_shift: Seconds = 0.01,
        use_zeroes: bool = False,
    ) -> MonoCut:
        """A cut over a whole new random recording, optionally with fbank features,
        a supervision (with a 3-character subword alignment) and a custom
        ``codebook_indices`` temporal array."""
        cut = MonoCut(
            id=str(uuid4()),
            start=0,
            duration=num_samples / sampling_rate,
            channel=0,
            recording=self.with_recording(
                sampling_rate=sampling_rate, num_samples=num_samples, use_zeros=use_zeroes
            ),
        )
        if features:
            cut = self._with_features(cut, frame_shift=frame_shift, sampling_rate=sampling_rate)
        if supervision:
            cut.supervisions.append(
                SupervisionSegment(
                    id=f"sup-{cut.id}",
                    recording_id=cut.recording_id,
                    start=0,
                    duration=cut.duration,
                    text="irrelevant",
                    alignment=self._with_alignment(cut, "irrelevant") if alignment else None,
                )
            )
        if custom_field:
            self._with_custom_temporal_array(cut=cut, frame_shift=frame_shift)
        return cut

    def _with_features(self, cut: MonoCut, frame_shift: Seconds, sampling_rate: int) -> MonoCut:
        d = TemporaryDirectory()
        self.dirs.append(d)
        extractor = Fbank(FbankConfig(sampling_rate=sampling_rate, frame_shift=frame_shift))
        with default_features_storage_backend()(d.name) as storage:
            return cut.compute_and_store_features(extractor, storage=storage)

    def _with_alignment(self, cut: MonoCut, text: str) -> dict[str, list[AlignmentItem]]:
        from nuptse.testing.dummies import dummy_alignment

        return dummy_alignment(text, start=0.0, duration=cut.duration)

    def _with_custom_temporal_array(self, cut: MonoCut, frame_shift: Seconds) -> None:
        import numpy as np

        d = TemporaryDirectory()
        self.dirs.append(d)
        num_frames = seconds_to_frames(cut.duration, frame_shift=frame_shift)
        values = np.random.randint(256, size=(num_frames,))
        with NumpyFilesWriter(d.name) as storage:
            cut.codebook_indices = storage.store_array(
                key="ali1", value=values, frame_shift=frame_shift, temporal_dim=0
            )
