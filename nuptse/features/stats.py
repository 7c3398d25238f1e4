"""Global mean and standard deviation of feature bins, in one pass.

:class:`StatsAccumulator` keeps, per feature bin, the frame count, the mean
and the sum of squared deviations from the mean (float64). Each new matrix
is summarized with two passes over itself only, then folded in with Chan,
Golub and LeVeque's pairwise update, which stays accurate where
``E[x^2] - E[x]^2`` cancels catastrophically. :meth:`StatsAccumulator.merge`
uses the same update, so statistics gathered per shard or per worker
combine into the statistics of the whole set.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Iterable
from typing import Any, Optional

import numpy as np

from nuptse.utils import Pathlike


class StatsAccumulator:
    """Running per-bin mean and (population) standard deviation.

    >>> import numpy as np
    >>> acc = StatsAccumulator(feature_dim=2)
    >>> acc.update(np.array([[1.0, 10.0], [3.0, 10.0]]))
    >>> acc.update(np.array([[5.0, 10.0]]))
    >>> stats = acc.get()
    >>> stats["norm_means"].tolist(), stats["norm_stds"].round(4).tolist()
    ([3.0, 10.0], [1.633, 0.0])
    """

    def __init__(self, feature_dim: int) -> None:
        if int(feature_dim) != feature_dim or feature_dim < 1:
            raise ValueError(f"feature_dim must be a positive integer, got {feature_dim!r}")
        self.feature_dim = int(feature_dim)
        self.total_frames = 0
        self._mean = np.zeros(self.feature_dim, dtype=np.float64)
        self._m2 = np.zeros(self.feature_dim, dtype=np.float64)

    def _as_matrix(self, arr: Any) -> np.ndarray:
        a = np.asarray(arr)
        if a.ndim == 1 and self.feature_dim == 1:
            a = a[:, None]
        if a.ndim != 2 or a.shape[1] != self.feature_dim:
            raise ValueError(
                f"expected an array of shape (frames, {self.feature_dim}), got {a.shape}"
            )
        if a.dtype.kind not in "fiub":
            raise ValueError(f"expected a real-valued array, got dtype {a.dtype}")
        return a

    def _fold(self, n: int, mean: np.ndarray, m2: np.ndarray) -> None:
        """Combine (n, mean, m2) of another set of frames into ours."""
        if n == 0:
            return
        if self.total_frames == 0:
            self.total_frames = n
            self._mean = mean.copy()
            self._m2 = m2.copy()
            return
        total = self.total_frames + n
        delta = mean - self._mean
        self._mean = self._mean + delta * (n / total)
        self._m2 = self._m2 + m2 + delta * delta * (self.total_frames * (n / total))
        self.total_frames = total

    def update(self, arr: np.ndarray) -> None:
        """Add the frames (rows) of ``arr``, shape ``(frames, feature_dim)``."""
        a = self._as_matrix(arr)
        n = a.shape[0]
        if n == 0:
            return
        a = a.astype(np.float64, copy=False)
        mean = a.mean(axis=0)
        dev = a - mean
        m2 = np.einsum("ij,ij->j", dev, dev)
        self._fold(n, mean, m2)

    def merge(self, other: StatsAccumulator) -> StatsAccumulator:
        """Fold ``other``'s frames into this accumulator (in place) and return it."""
        if not isinstance(other, StatsAccumulator):
            raise TypeError(f"can only merge a StatsAccumulator, got {type(other).__name__}")
        if other.feature_dim != self.feature_dim:
            raise ValueError(
                f"cannot merge stats of dimension {other.feature_dim} into {self.feature_dim}"
            )
        self._fold(other.total_frames, other._mean, other._m2)
        return self

    def __add__(self, other: StatsAccumulator) -> StatsAccumulator:
        out = StatsAccumulator(self.feature_dim)
        return out.merge(self).merge(other)

    @property
    def total_sum(self) -> np.ndarray:
        return self._mean * self.total_frames

    @property
    def total_unnorm_var(self) -> np.ndarray:
        """Sum of squared deviations from the mean, per bin."""
        return self._m2.copy()

    def _require_frames(self) -> None:
        if self.total_frames == 0:
            raise ValueError("no frames were accumulated; cannot compute statistics")

    @property
    def norm_means(self) -> np.ndarray:
        self._require_frames()
        return self._mean.copy()

    @property
    def norm_stds(self) -> np.ndarray:
        self._require_frames()
        return np.sqrt(np.maximum(self._m2, 0.0) / self.total_frames)

    def get(self) -> dict[str, np.ndarray]:
        """``{'norm_means': ..., 'norm_stds': ...}``, float64 arrays of ``feature_dim``."""
        return {"norm_means": self.norm_means, "norm_stds": self.norm_stds}

    def __repr__(self) -> str:
        return f"StatsAccumulator(feature_dim={self.feature_dim}, total_frames={self.total_frames})"


def save_stats(stats: dict[str, np.ndarray], storage_path: Pathlike) -> None:
    """Write the stats dict to ``storage_path``, atomically.

    ``.npz`` and ``.json`` names get those formats; any other name gets a
    pickle of the dict, the format lhotse writes and reads (writing a pickle
    is safe; :func:`load_stats` reads one back without running code).
    """
    path = os.fspath(storage_path)
    folder = os.path.dirname(path) or "."
    tmp = os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.tmp")
    lower = path.lower()
    with open(tmp, "wb") as f:
        if lower.endswith(".npz"):
            np.savez(f, **{k: np.asarray(v) for k, v in stats.items()})
        elif lower.endswith(".json"):
            f.write(json.dumps({k: np.asarray(v).tolist() for k, v in stats.items()}).encode())
        else:
            pickle.dump(stats, f)
    os.replace(tmp, path)


#: the only globals a stats pickle needs: numpy arrays, dtypes and scalars
_SAFE_PICKLE_GLOBALS = {
    (mod, name)
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray")
    for name in ("_reconstruct", "scalar")
} | {
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.numeric", "_frombuffer"),  # protocol 5 arrays
    ("numpy._core.numeric", "_frombuffer"),
    ("_codecs", "encode"),  # protocols 0-2 spell bytes as latin-1 text
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles dicts of numpy arrays and refuses every other global (no code runs)."""

    def find_class(self, module: str, name: str):
        if (module, name) in _SAFE_PICKLE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load the global {module}.{name}")


class UnsafeStatsFileError(ValueError):
    """A stats pickle needs more than numpy arrays to load; loading it could run code."""


def load_stats(storage_path: Pathlike, allow_pickle: bool = False) -> dict[str, np.ndarray]:
    """Read stats written by :func:`save_stats` or by lhotse's ``compute_global_stats``.

    ``.npz`` and JSON files are read directly. A pickle (lhotse's format) is
    read with an unpickler that builds only numpy arrays and plain containers,
    so a crafted file cannot run code; one that needs anything else raises
    :class:`UnsafeStatsFileError` unless ``allow_pickle=True`` (for a file you
    trust).
    """
    path = os.fspath(storage_path)
    with open(path, "rb") as f:
        head = f.read(2)
        f.seek(0)
        if head == b"PK":
            with np.load(f, allow_pickle=False) as z:
                stats: Any = {k: z[k] for k in z.files}
        elif head[:1] in (b"{", b" ", b"\n"):
            try:
                stats = {k: np.asarray(v, dtype=np.float64) for k, v in json.load(f).items()}
            except (ValueError, AttributeError) as e:
                raise ValueError(f"{path!r}: not a JSON object of stats arrays ({e})") from e
        else:
            try:
                stats = _ArraysOnlyUnpickler(f).load()
            except pickle.UnpicklingError as e:
                if not allow_pickle:
                    raise UnsafeStatsFileError(
                        f"{path!r}: {e}; this pickle holds more than numpy arrays and loading "
                        "it could run arbitrary code. Pass allow_pickle=True only if you trust "
                        "the file, or re-save the stats as .npz"
                    ) from None
                f.seek(0)
                stats = pickle.load(f)
            except Exception as e:
                raise ValueError(f"{path!r}: not a stats file ({type(e).__name__}: {e})") from e
    if not isinstance(stats, dict) or set(stats) != {"norm_means", "norm_stds"}:
        raise ValueError(f"{path!r} does not hold norm_means/norm_stds stats")
    return stats


def compute_global_stats_from_arrays(
    arrays: Iterable[np.ndarray], storage_path: Optional[Pathlike] = None
) -> dict[str, np.ndarray]:
    """Per-bin mean and std over the frames of all ``arrays`` (each ``(frames, dim)``).

    With ``storage_path`` the result is also pickled there, as lhotse's
    ``compute_global_stats`` does.

    >>> import numpy as np
    >>> s = compute_global_stats_from_arrays([np.zeros((2, 3)), np.ones((2, 3))])
    >>> s["norm_means"].tolist(), s["norm_stds"].tolist()
    ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])
    """
    acc: Optional[StatsAccumulator] = None
    for index, arr in enumerate(arrays):
        a = np.asarray(arr)
        if acc is None:
            acc = StatsAccumulator(feature_dim=a.shape[1] if a.ndim == 2 else 1)
        try:
            acc.update(a)
        except ValueError as e:
            raise ValueError(f"array #{index}: {e}") from e
    if acc is None:
        raise ValueError("compute_global_stats_from_arrays got no arrays")
    stats = acc.get()
    if storage_path is not None:
        save_stats(stats, storage_path)
    return stats
