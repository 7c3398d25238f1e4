"""Source separation examples: a mixture's features, its sources' features and masks."""

from __future__ import annotations

import logging

import torch

from nuptse.cut import CutSet, MixedCut
from nuptse.dataset.speech_recognition import DatasetError, validate_cuts

logger = logging.getLogger(__name__)

#: Added to the sum of source energies before dividing (avoids 0/0 in silence).
EPSILON = 1e-10


class SourceSeparationDataset(torch.utils.data.Dataset):
    """Indexed by position: ``{"sources" (N, T, F), "mixture" (T, F), "real_mask", "binary_mask"}``.

    Abstract: subclasses say which source cuts make up each mixture.  (This
    older dataset API takes an index, not a batch of cuts, as in lhotse.)
    """

    def __init__(self, sources_set: CutSet, mixtures_set: CutSet):
        super().__init__()
        logger.warning("source separation datasets take an index, not a batch of cuts from a sampler")
        self.sources_set = sources_set
        self.mixtures_set = mixtures_set
        self.cut_ids = [c.id for c in mixtures_set]
        self._mixtures = {c.id: c for c in mixtures_set}
        self._sources = {c.id: c for c in sources_set}

    def _obtain_mixture(self, cut_id: str):
        raise NotImplementedError(
            "SourceSeparationDataset is abstract: use DynamicallyMixedSourceSeparationDataset "
            "or PreMixedSourceSeparationDataset"
        )

    def validate(self) -> None:
        validate_cuts(self.sources_set)
        validate_cuts(self.mixtures_set)
        for cut_id in self.cut_ids:
            _, sources = self._obtain_mixture(cut_id)
            if len(sources) < 2:
                raise DatasetError(f"mixture {cut_id!r} has {len(sources)} source(s); need at least 2")

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        mixture_cut, source_cuts = self._obtain_mixture(self.cut_ids[idx])
        mixture = torch.from_numpy(mixture_cut.load_features())
        sources = torch.stack([torch.from_numpy(c.load_features()) for c in source_cuts])
        energies = sources.exp()
        real_mask = energies / (energies.sum(0, keepdim=True) + EPSILON)
        return {
            "sources": sources,
            "mixture": mixture,
            "real_mask": real_mask,
            "binary_mask": real_mask.argmax(0),
        }

    def __len__(self) -> int:
        return len(self.cut_ids)


class DynamicallyMixedSourceSeparationDataset(SourceSeparationDataset):
    """Mixtures are :class:`MixedCut`\\ s mixed in the feature domain when loaded;
    their tracks found in ``sources_set`` are the sources (others, e.g. noise, are not).
    """

    def __init__(self, sources_set: CutSet, mixtures_set: CutSet, nonsources_set=None):
        super().__init__(sources_set=sources_set, mixtures_set=mixtures_set)
        self.nonsources_set = nonsources_set

    def validate(self) -> None:
        super().validate()
        if self.nonsources_set is not None:
            validate_cuts(self.nonsources_set)

    def _obtain_mixture(self, cut_id: str):
        mixture = self._mixtures[cut_id]
        if not isinstance(mixture, MixedCut):
            raise DatasetError(f"mixture {cut_id!r} is not a MixedCut")
        return mixture, [t.cut for t in mixture.tracks if t.cut.id in self._sources]


class PreMixedSourceSeparationDataset(SourceSeparationDataset):
    """Mixtures are plain cuts (mixed in time); the sources are the cuts of the same recording."""

    def __init__(self, sources_set: CutSet, mixtures_set: CutSet):
        self.mixture_to_source = {
            m.id: [s.id for s in sources_set if s.recording_id == m.recording_id] for m in mixtures_set
        }
        super().__init__(sources_set=sources_set, mixtures_set=mixtures_set)

    def _obtain_mixture(self, cut_id: str):
        mixture = self._mixtures[cut_id]
        return mixture, [self._sources[i] for i in self.mixture_to_source[cut_id]]
