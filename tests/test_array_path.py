"""nuptse.array: lhotse's array path re-exports the feature-layer classes."""

import numpy as np
import pytest

from nuptse.array import Array, TemporalArray, deserialize_array
from nuptse.features import array as features_array


def test_same_classes_and_round_trip(tmp_path):
    assert Array is features_array.Array and TemporalArray is features_array.TemporalArray
    from nuptse.features.io import NumpyFilesWriter

    values = np.arange(12, dtype=np.float32).reshape(6, 2)
    with NumpyFilesWriter(tmp_path) as w:
        stored = w.store_array("a", values, frame_shift=0.5, temporal_dim=0)
    back = deserialize_array(stored.to_dict())
    assert isinstance(back, TemporalArray) and back == stored
    np.testing.assert_array_equal(back.load(), values)
    assert isinstance(deserialize_array(stored.array.to_dict()), Array)
    with pytest.raises(ValueError, match="Not an Array"):
        deserialize_array({"x": 1})
