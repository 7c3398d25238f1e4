"""IterableDatasetWrapper: run the sampler inside DataLoader workers.

With a map-style dataset the sampler lives in the training process and
DataLoader workers only load data.  Wrapping dataset and sampler in this
iterable dataset moves sampling into the workers, which helps when the
sampler itself is heavy (e.g. reading large lazy manifests).

Each worker holds a copy of the sampler.  By default (as in lhotse) every
copy yields every batch, which suits samplers whose copies read different
data (``seed="randomized"``, sharded Shar input).  With
``split_across_workers=True`` worker ``w`` of ``W`` yields only the batches
``w, w + W, ...`` of its rank, so that the DataLoader, which takes one batch
from each worker in turn, yields every batch exactly once and in the same
order as with ``num_workers=0``.
"""

from __future__ import annotations

import logging

import torch

from nuptse.dataset.sampling.base import CutSampler, _distributed_defaults

logger = logging.getLogger(__name__)


class IterableDatasetWrapper(torch.utils.data.IterableDataset):
    """An iterable dataset that yields ``dataset[batch]`` for each batch of ``sampler``.

    ``auto_increment_epoch`` advances the sampler's epoch at the end of each
    pass; ``reset_on_iter`` restarts the sampler on every ``iter()``.
    """

    def __init__(
        self,
        dataset: torch.utils.data.Dataset,
        sampler: CutSampler,
        auto_increment_epoch: bool = False,
        reset_on_iter: bool = False,
        split_across_workers: bool = False,
    ) -> None:
        super().__init__()
        self.dataset = dataset
        self.sampler = sampler
        self.auto_increment_epoch = auto_increment_epoch
        self.reset_on_iter = reset_on_iter
        self.split_across_workers = split_across_workers
        self.epoch = 0
        self._sampler_iter = None
        if (sampler.rank, sampler.world_size) != (0, 1) and not split_across_workers:
            logger.warning(
                "a sampler with rank=%d, world_size=%d inside IterableDatasetWrapper: rank and "
                "world_size are meant for samplers in the training process (map-style datasets)",
                sampler.rank,
                sampler.world_size,
            )

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
        self.sampler.set_epoch(epoch)
        for cs in getattr(self.sampler, "cuts", ()) or ():
            data = getattr(cs, "data", None)
            if hasattr(data, "set_epoch"):
                data.set_epoch(epoch)

    def __iter__(self):
        if self._sampler_iter is None or self.reset_on_iter:
            if self.split_across_workers:
                info = torch.utils.data.get_worker_info()
                if info is not None:
                    self.sampler._set_worker_split(info.id, info.num_workers)
            self._sampler_iter = iter(self.sampler)
        return self

    def __next__(self):
        try:
            batch = next(self._sampler_iter)
        except StopIteration:
            if self.auto_increment_epoch:
                self.set_epoch(self.epoch + 1)
            self._sampler_iter = None
            raise
        self._update_dataloading_info(batch)
        return self.dataset[batch]

    def _update_dataloading_info(self, batch) -> None:
        if self.split_across_workers:
            return
        world_size, rank = _distributed_defaults()
        cuts = batch[0] if isinstance(batch, tuple) else batch
        for c in cuts:
            info = getattr(c, "dataloading_info", None)
            if isinstance(info, dict):
                info["rank"] = rank
                info["world_size"] = world_size
