"""Tempo perturbation of a batch of cuts (duration changes, pitch does not)."""

from __future__ import annotations

from nuptse.dataset.cut_transforms.perturb_speed import FactorPerturbation


class PerturbTempo(FactorPerturbation):
    """Tempo perturbation (:meth:`Cut.perturb_tempo`; supervisions are rescaled too)."""

    _method = "perturb_tempo"
