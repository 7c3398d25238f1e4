"""A minimal manifest item used to test the generic collection machinery."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch.utils.data

from nuptse.manifest import ManifestSet


@dataclass
class Thing:
    id: str
    value: float
    label: str = ""

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Thing:
        return cls(**data)

    def with_id(self, new_id: str) -> Thing:
        return replace(self, id=new_id)


class ThingSet(ManifestSet[Thing]):
    item_type = Thing

    @classmethod
    def accepts_dict(cls, data: dict) -> bool:
        return "value" in data and "label" in data


def make_things(n: int) -> ThingSet:
    return ThingSet.from_items(Thing(f"t{i:05d}", float(i), f"label {i}") for i in range(n))


class IdDataset(torch.utils.data.IterableDataset):
    """An iterable dataset of item ids (for DataLoader worker tests)."""

    def __init__(self, manifest):
        self.manifest = manifest

    def __iter__(self):
        return (t.id for t in self.manifest)
