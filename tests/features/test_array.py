"""Array and TemporalArray manifests: partial reads, memory copies, lhotse's properties."""

from __future__ import annotations

import numpy as np
import pytest

from nuptse.features.array import Array, TemporalArray, frame_index
from nuptse.features.io import LilcomChunkyWriter, NumpyFilesWriter, NumpyHdf5Writer


@pytest.fixture
def data():
    return np.random.default_rng(0).standard_normal((1234, 3)).astype(np.float32)


@pytest.mark.parametrize("writer_type", [NumpyFilesWriter, NumpyHdf5Writer])
def test_temporal_partial_reads_equal_numpy_slices(writer_type, data, tmp_path):
    with writer_type(tmp_path / "store") as w:
        ta = w.store_array("k", data, frame_shift=0.01, temporal_dim=0, start=2.0)
    assert (ta.ndim, ta.num_frames, ta.duration, ta.end) == (2, 1234, 12.34, 14.34)
    np.testing.assert_array_equal(ta.load(), data)
    # 3.005 s is 100.5 frames after the start: halves round up, as in lhotse
    np.testing.assert_array_equal(ta.load(start=3.005, duration=0.5), data[101:151])
    np.testing.assert_array_equal(ta.load(start=2.0, duration=100.0), data)
    with pytest.raises(ValueError, match="covers"):
        ta.load(start=1.0)


def test_temporal_dim_other_than_zero(data, tmp_path):
    with NumpyFilesWriter(tmp_path) as w:
        ta = w.store_array("k", data.T.copy(), frame_shift=0.01, temporal_dim=1, start=0.0)
    np.testing.assert_array_equal(ta.load(start=0.5, duration=0.25), data.T[:, 50:75])


def test_move_to_memory(data, tmp_path):
    with LilcomChunkyWriter(tmp_path / "a") as w:
        ta = w.store_array("k", data, frame_shift=0.01, temporal_dim=0, start=1.0)
        plain = w.store_array("p", data)
    mem = ta.move_to_memory(start=1.5, duration=1.0)
    assert mem.is_in_memory and mem.start == 0.0 and mem.shape == [100, 3]
    np.testing.assert_array_equal(mem.load(), ta.load(start=1.5, duration=1.0))
    assert ta.move_to_memory().shape == [1234, 3]
    arr = plain.move_to_memory(lilcom=True)
    assert arr.storage_type == "memory_lilcom" and arr.is_in_memory
    np.testing.assert_allclose(arr.load(), plain.load(), atol=0.02)  # lilcom again
    assert arr.move_to_memory() is arr
    assert "<binary-data>" in repr(arr)


def test_placeholders_and_round_trip():
    a = Array("shar", "", "", [5, 2])
    t = TemporalArray(a, 0, 0.04, 0.0)
    assert a.is_placeholder and t.is_placeholder and not t.is_in_memory
    assert TemporalArray.from_dict(t.to_dict()) == t
    assert frame_index(0.02, 0.04) == 1 and frame_index(0.0199, 0.04) == 0
    with pytest.raises(ValueError):
        frame_index(-0.1, 0.01)
