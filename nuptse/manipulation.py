"""Combining manifests and building them from items, at lhotse's ``lhotse.manipulation`` path.

>>> from nuptse.testing.dummies import DummyManifest
>>> from nuptse import SupervisionSet, combine, to_manifest
>>> a = DummyManifest(SupervisionSet, begin_id=0, end_id=2)
>>> b = DummyManifest(SupervisionSet, begin_id=2, end_id=3)
>>> len(combine(a, b)), len(combine([a, b]))
(3, 3)
>>> type(to_manifest(iter(a))).__name__
'SupervisionSet'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from functools import reduce
from itertools import chain
from operator import add
from typing import Any, Optional, TypeVar, Union

from nuptse.audio import Recording, RecordingSet
from nuptse.cut import CutSet, MixedCut, MonoCut
from nuptse.features import Features, FeatureSet
from nuptse.supervision import SupervisionSegment, SupervisionSet
from nuptse.utils.orphans import exit_with_parent

__all__ = [
    "Manifest",
    "ManifestItem",
    "combine",
    "split_parallelize_combine",
    "to_manifest",
]

ManifestItem = TypeVar("ManifestItem", Recording, SupervisionSegment, Features, MonoCut, MixedCut)
Manifest = TypeVar("Manifest", RecordingSet, SupervisionSet, FeatureSet, CutSet)


def combine(*manifests: Union[Manifest, Iterable[Manifest]]) -> Manifest:
    """Concatenate manifests of one type: ``combine(a, b, c)`` or ``combine([a, b, c])``.

    The result is ``a + b + c``: eager when every input is eager and lazy
    (read on iteration) when any input is lazy.
    """
    if len(manifests) == 1 and not hasattr(manifests[0], "ids"):
        # One iterable of manifests: a list, tuple or generator (icefall's
        # compute_fbank_musan passes ``part["recordings"] for part in ...``).
        manifests = tuple(manifests[0])
    if not manifests:
        raise ValueError("combine() needs at least one manifest")
    return reduce(add, manifests)


def split_parallelize_combine(
    num_jobs: int, manifest: Manifest, fn: Callable, *args: Any, **kwargs: Any
) -> Manifest:
    """Apply ``fn(part, *args, **kwargs)`` to ``num_jobs`` splits of ``manifest`` in
    worker processes and :func:`combine` the results (in split order).

    Worth it for cheap per-item transforms such as ``CutSet.cut_into_windows``,
    where sending items one by one to workers would cost more than the work.
    ``fn`` and its arguments must be picklable.
    """
    parts = manifest.split(num_splits=num_jobs)
    with ProcessPoolExecutor(num_jobs, initializer=exit_with_parent) as executor:
        futures = [executor.submit(fn, part, *args, **kwargs) for part in parts]
        return combine([f.result() for f in futures])


def to_manifest(items: Iterable[ManifestItem]) -> Optional[Manifest]:
    """The manifest set matching the type of ``items`` (recordings, segments or cuts).

    Returns None for an empty iterable.  Features are refused (a
    ``FeatureSet`` is built with ``FeatureSet.from_features``); other item
    types raise ``ValueError`` naming the type.
    """
    items = iter(items)
    first = next(items, None)
    if first is None:
        return None
    everything = chain([first], items)
    if isinstance(first, Recording):
        return RecordingSet.from_recordings(everything)
    if isinstance(first, SupervisionSegment):
        return SupervisionSet.from_segments(everything)
    if isinstance(first, Features):
        raise ValueError(
            "to_manifest() cannot build a FeatureSet (it would lose the feature "
            "extractor's configuration); call FeatureSet.from_features() instead."
        )
    from nuptse.cut.base import Cut

    if isinstance(first, Cut):
        return CutSet.from_cuts(everything)
    raise ValueError(f"to_manifest(): unknown manifest item type {type(first).__name__!r}")
