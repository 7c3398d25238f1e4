"""StatelessSampler: an endless stream of batches drawn at random from JSON-lines manifests.

Every cut is drawn independently: first a manifest (weighted by its number
of cuts times its scale), then a line uniformly, read by its byte offset
from an index built once next to the manifest (``<name>.jsonl.idx``).  The
random stream depends only on ``base_seed``, the rank and the DataLoader
worker, so there is no state to save: a restarted job just continues
drawing (with a new ``base_seed`` if it should not repeat itself).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from nuptse.cut import CutSet
from nuptse.dataset.sampling.base import SamplingDiagnostics, _distributed_defaults
from nuptse.serialization import Pathlike, loads

logger = logging.getLogger(__name__)


class ManifestIndex:
    """Byte offsets of the lines of uncompressed ``.jsonl`` manifests.

    Offsets are cached in ``<manifest>.jsonl.idx`` (one per line, plus the
    end of the file); ``index_path`` lists each manifest's line count.
    """

    def __init__(self, manifest_paths: Iterable[Pathlike], index_path: Pathlike, force: bool = False):
        self.line_counts: dict[Path, int] = {}
        self.line_offsets: dict[Path, tuple[int, ...]] = {}
        for p in map(Path, manifest_paths):
            if p.suffix != ".jsonl":
                raise ValueError(f"only uncompressed .jsonl manifests can be indexed, got {p}")
            cache = p.with_suffix(".jsonl.idx")
            if cache.is_file() and not force:
                offsets = tuple(int(x) for x in cache.read_text().split())
            else:
                offsets = self._scan(p)
                cache.write_text("".join(f"{o}\n" for o in offsets))
            self.line_counts[p] = len(offsets) - 1
            self.line_offsets[p] = offsets
        index_path = Path(index_path)
        if force or not index_path.is_file():
            index_path.write_text("".join(f"{n} {p}\n" for p, n in self.line_counts.items()))

    @staticmethod
    def _scan(path: Path) -> tuple[int, ...]:
        offsets = [0]
        pos = 0
        with path.open("rb") as f:
            for line in f:
                pos += len(line)
                if line.strip():
                    offsets.append(pos)
                else:
                    offsets[-1] = pos
        return tuple(offsets)


def _parse_paths(cuts_paths) -> tuple[list[Path], list[float]]:
    if isinstance(cuts_paths, (str, Path)):
        return [Path(cuts_paths)], [1.0]
    items = list(cuts_paths)
    if not items:
        raise ValueError("StatelessSampler needs at least one manifest path")
    if all(isinstance(p, (str, Path)) for p in items):
        return [Path(p) for p in items], [1.0] * len(items)
    paths, scales = [], []
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], (str, Path))):
            raise ValueError(
                f"expected paths or (path, scale) pairs (not mixed), got {item!r}"
            )
        if not isinstance(item[1], (int, float)):
            raise ValueError(f"the scale of {item[0]} must be a number, got {item[1]!r}")
        paths.append(Path(item[0]))
        scales.append(float(item[1]))
    return paths, scales


class StatelessSampler:
    """Endless random batches from JSON-lines manifests (see the module docstring).

    With ``num_buckets`` or ``duration_bins`` the draws go through a
    :class:`DynamicBucketingSampler`, otherwise through a :class:`DynamicCutSampler`.
    Drawn cuts get ``_it{n}`` appended to their ids (a cut may be drawn again).
    """

    def __init__(
        self,
        cuts_paths,
        index_path: Pathlike,
        base_seed: int,
        max_duration: float | None = None,
        max_cuts: int | None = None,
        num_buckets: int | None = None,
        duration_bins: list[float] | None = None,
        quadratic_duration: float | None = None,
    ) -> None:
        if max_duration is None and max_cuts is None:
            raise ValueError("set at least one of max_duration or max_cuts")
        self.paths, self.scales = _parse_paths(cuts_paths)
        self.index_path = Path(index_path)
        self.base_seed = base_seed
        self.max_duration = max_duration
        self.max_cuts = max_cuts
        self.num_buckets = num_buckets
        self.duration_bins = duration_bins
        self.quadratic_duration = quadratic_duration
        self.diagnostics = SamplingDiagnostics()
        self.index = ManifestIndex(self.paths, self.index_path)
        self.scaled_line_counts = [
            self.index.line_counts[p] * s for p, s in zip(self.paths, self.scales)
        ]
        self._transforms: list[Callable] = []
        self.world_size, self.rank = _distributed_defaults()

    def map(self, fn: Callable[[CutSet], CutSet]) -> StatelessSampler:
        """Apply ``fn`` to each batch before it is yielded."""
        self._transforms.append(fn)
        return self

    def state_dict(self) -> dict[str, Any]:
        """Empty: the sampler has no state to save."""
        return {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Nothing to restore."""
        return None

    def _draws(self, rng: random.Random):
        from nuptse.cut import Cut

        n = 0
        while True:
            path = rng.choices(self.paths, self.scaled_line_counts)[0]
            offsets = self.index.line_offsets[path]
            i = rng.randrange(len(offsets) - 1)
            with path.open("rb") as f:
                f.seek(offsets[i])
                line = f.read(offsets[i + 1] - offsets[i])
            cut = Cut.from_dict(loads(line))
            yield cut.with_id(f"{cut.id}_it{n}")
            n += 1

    def __iter__(self):
        from torch.utils.data import get_worker_info

        from nuptse.dataset.sampling.dynamic import DynamicCutSampler
        from nuptse.dataset.sampling.dynamic_bucketing import DynamicBucketingSampler

        info = get_worker_info()
        worker = 0 if info is None else info.id
        seed = self.base_seed + worker + 1000 * self.rank
        logger.info("StatelessSampler: seed %d (rank %d, worker %d)", seed, self.rank, worker)
        draws = self._draws(random.Random(seed))
        if self.num_buckets is not None or self.duration_bins is not None:
            inner = DynamicBucketingSampler(
                draws,
                max_duration=self.max_duration,
                max_cuts=self.max_cuts,
                num_buckets=self.num_buckets,
                duration_bins=self.duration_bins,
                quadratic_duration=self.quadratic_duration,
                world_size=1,
                rank=0,
            )
        else:
            inner = DynamicCutSampler(
                draws, max_duration=self.max_duration, max_cuts=self.max_cuts, world_size=1, rank=0
            )
        for fn in self._transforms:
            inner.map(fn)
        self.diagnostics = inner.diagnostics
        yield from inner

    def get_report(self) -> str:
        return self.diagnostics.get_report()
