"""What a ``CutSet`` does with the data behind its cuts: loading audio, writing audio
and features, copying, decomposing into manifests, describing, and Shar export.

:class:`CutSetDataMixin` is mixed into :class:`~nuptse.cut.set.CutSet`; the
work itself is in :mod:`.building`, :mod:`.compute` and :mod:`nuptse.shar`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence

from nuptse.cut.base import CutError
from nuptse.cut.mixed import MixedCut
from nuptse.manifest import ManifestSet
from nuptse.serialization import Pathlike


class CutSetDataMixin:
    """Data-handling methods of :class:`~nuptse.cut.set.CutSet` (the ``ManifestSet``
    they return is a ``CutSet``)."""

    # --- data ---------------------------------------------------------------------

    def load_audio(self, collate: bool = False, limit: int = 1024):
        """The audio of every cut (a list, or with ``collate`` a padded batch and lengths)."""
        if self.is_lazy:
            raise CutError("cannot load the audio of a lazy CutSet; call to_eager() first")
        if len(self) >= limit:
            raise CutError(
                f"CutSet of {len(self)} cuts: load_audio is limited to {limit} cuts "
                f"(raise `limit` if the memory is there)"
            )
        if collate:
            collation = importlib.import_module("nuptse.dataset.collation")
            audios, lens = collation.collate_audio(self)
            return audios.numpy(), lens.numpy()
        return [c.load_audio() for c in self]

    def decompose(self, output_dir: Pathlike | None = None, verbose: bool = False):
        """The distinct ``(recordings, supervisions, features)`` of the cuts (each ``None``
        when empty); with ``output_dir`` also written there as ``*.jsonl.gz``."""
        from nuptse.cut.building import decompose

        return decompose(self, output_dir, verbose)

    def save_audios(
        self,
        storage_path: Pathlike,
        format: str = "wav",
        encoding: str | None = None,
        num_jobs: int | None = None,
        executor=None,
        augment_fn: Callable | None = None,
        progress_bar: bool = True,
        shuffle_on_split: bool = True,
        **kwargs,
    ) -> ManifestSet:
        """Write every cut's audio to ``{storage_path}/{id[:3]}/{id}.{format}`` and return
        cuts of those files.  ``kwargs`` (e.g. ``bits_per_sample``) are accepted for
        lhotse compatibility and ignored, as lhotse does."""
        from nuptse.cut.building import save_audios

        return save_audios(
            self, storage_path, format, encoding, num_jobs, executor, augment_fn, progress_bar
        )

    def copy_data(self, output_dir: Pathlike, verbose: bool = True) -> ManifestSet:
        """Copy all audio, features and custom arrays under ``output_dir`` and return the
        cuts that point at the copies (see :func:`nuptse.cut.building.copy_data`)."""
        from nuptse.cut.building import copy_data

        return copy_data(self, output_dir, verbose)

    def describe(self, full: bool = False, file=None):
        """Write a table of statistics (counts, durations, speakers, coverage) and return them.

        The statistics come from :class:`~nuptse.cut.describe.CutStatistics`,
        which can be built per shard and merged.
        """
        from nuptse.cut.describe import CutSetStatistics

        return CutSetStatistics(full=full).accumulate(self).describe(file=file)

    # --- features -----------------------------------------------------------------

    def compute_and_store_features(
        self,
        extractor,
        storage_path: Pathlike,
        num_jobs: int | None = None,
        augment_fn: Callable | None = None,
        storage_type=None,
        executor=None,
        mix_eagerly: bool = True,
        progress_bar: bool = True,
        on_error: str = "raise",
        manifest_path: Pathlike | None = None,
        num_shards: int | None = None,
    ) -> ManifestSet:
        """Extract features of every cut and store them (see
        :func:`nuptse.cut.compute.compute_and_store_features`; ``on_error``,
        ``manifest_path`` and ``num_shards`` are nuptse's additions)."""
        from nuptse.cut.compute import compute_and_store_features

        return compute_and_store_features(
            self,
            extractor,
            storage_path,
            num_jobs=num_jobs,
            augment_fn=augment_fn,
            storage_type=storage_type,
            executor=executor,
            mix_eagerly=mix_eagerly,
            progress_bar=progress_bar,
            on_error=on_error,
            manifest_path=manifest_path,
            num_shards=num_shards,
        )

    def compute_and_store_features_batch(
        self,
        extractor,
        storage_path: Pathlike,
        manifest_path: Pathlike | None = None,
        batch_duration: float = 600.0,
        num_workers: int = 4,
        collate: bool = False,
        augment_fn: Callable | None = None,
        storage_type=None,
        overwrite: bool = False,
        on_error: str = "raise",
        progress_bar: bool = True,
    ) -> ManifestSet:
        """Batched extraction with background audio loading (see
        :func:`nuptse.cut.compute.compute_and_store_features_batch`)."""
        from nuptse.cut.compute import compute_and_store_features_batch

        return compute_and_store_features_batch(
            self,
            extractor,
            storage_path,
            manifest_path=manifest_path,
            batch_duration=batch_duration,
            num_workers=num_workers,
            collate=collate,
            augment_fn=augment_fn,
            storage_type=storage_type,
            overwrite=overwrite,
            on_error=on_error,
            progress_bar=progress_bar,
        )

    def copy_feats(self, writer, output_path: Pathlike | None = None) -> ManifestSet:
        """Copy every feature matrix into ``writer`` and return cuts that point to the copies.

        Cuts without features and padding cuts are kept as they are; the
        tracks of mixed cuts are copied one by one.  With ``output_path``
        the cuts are written there as they are made and a lazy set is
        returned.
        """
        import dataclasses

        from nuptse.cut.data import DataCut

        def copied(cut):
            if isinstance(cut, MixedCut):
                tracks = [
                    dataclasses.replace(t, cut=copied(t.cut)) if isinstance(t.cut, DataCut) else t
                    for t in cut.tracks
                ]
                return dataclasses.replace(cut, tracks=tracks)
            if isinstance(cut, DataCut) and cut.features is not None:
                return dataclasses.replace(cut, features=cut.features.copy_feats(writer=writer))
            return cut

        with type(self).open_writer(output_path) as manifest_writer:
            for cut in self:
                manifest_writer.write(copied(cut))
        return manifest_writer.open_manifest()

    def compute_global_feature_stats(
        self, storage_path: Pathlike | None = None, max_cuts: int | None = None, extractor=None
    ) -> dict:
        """Mean and std of every feature dimension over the cuts' features."""
        from nuptse.cut.compute import compute_global_feature_stats

        return compute_global_feature_stats(self, storage_path, max_cuts, extractor)

    # --- Shar (a higher layer, reached through importlib) -------------------------

    def to_shar(
        self,
        output_dir: Pathlike,
        fields: dict,
        shard_size: int | None = 1000,
        shard_offset: int = 0,
        warn_unused_fields: bool = True,
        include_cuts: bool = True,
        num_jobs: int = 1,
        fault_tolerant: bool = False,
        verbose: bool = False,
        *,
        copy_encoded_audio: bool = True,
    ) -> dict[str, list[str]]:
        """Export to Shar shards with :func:`nuptse.shar.export_cuts_to_shar`; returns
        ``{field: [shard paths]}``."""
        shar = importlib.import_module("nuptse.shar")
        return shar.export_cuts_to_shar(
            self,
            output_dir,
            fields,
            shard_size,
            shard_offset=shard_offset,
            warn_unused_fields=warn_unused_fields,
            include_cuts=include_cuts,
            num_jobs=num_jobs,
            fault_tolerant=fault_tolerant,
            verbose=verbose,
            copy_encoded_audio=copy_encoded_audio,
        )

    @classmethod
    def from_shar(
        cls,
        fields: dict | None = None,
        in_dir: Pathlike | None = None,
        split_for_dataloading: bool = False,
        shuffle_shards: bool = False,
        stateful_shuffle: bool = True,
        seed: int | str = 42,
        cut_map_fns: Sequence[Callable] | None = None,
        slice_length: int | None = None,
        *,
        allow_pipe: bool = False,
    ) -> ManifestSet:
        """Open Shar shards lazily with :func:`nuptse.shar.read_cuts_from_shar`."""
        shar = importlib.import_module("nuptse.shar")
        return shar.read_cuts_from_shar(
            fields=fields,
            in_dir=in_dir,
            split_for_dataloading=split_for_dataloading,
            shuffle_shards=shuffle_shards,
            stateful_shuffle=stateful_shuffle,
            seed=seed,
            cut_map_fns=cut_map_fns,
            slice_length=slice_length,
            allow_pipe=allow_pipe,
        )
