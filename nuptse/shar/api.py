"""The two entry points behind ``CutSet.to_shar`` and ``CutSet.from_shar``."""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Optional, Union

from nuptse.shar.errors import SharError
from nuptse.shar.writers.shar import SharWriter, validate_fields

logger = logging.getLogger(__name__)


def _write_cuts(
    cuts: Iterable[Any],
    output_dir: Any,
    fields: dict[str, str],
    shard_size: Optional[int],
    shard_offset: int,
    warn_unused_fields: bool,
    include_cuts: bool,
    shard_suffix: Optional[str],
    fault_tolerant: bool,
    copy_encoded_audio: bool,
    verbose: bool = False,
) -> dict[str, list[str]]:
    progress = None
    if verbose:
        from tqdm import tqdm

        progress = tqdm(desc="Exporting to Shar", unit="cut")
    with SharWriter(
        output_dir,
        fields=fields,
        shard_size=shard_size,
        warn_unused_fields=warn_unused_fields,
        include_cuts=include_cuts,
        shard_suffix=shard_suffix,
        shard_offset=shard_offset,
        copy_encoded_audio=copy_encoded_audio,
    ) as writer:
        for cut in cuts:
            try:
                writer.write(cut)
            except SharError:
                raise
            except Exception as e:
                if not fault_tolerant:
                    raise
                logger.warning("skipping cut %r: its data could not be loaded: %s", cut.id, e)
            if progress is not None:
                progress.update()
    if progress is not None:
        progress.close()
    return writer.output_paths


def _chunks(items: Iterable[Any], size: int) -> Iterable[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def export_cuts_to_shar(
    cuts: Iterable[Any],
    output_dir: Any,
    fields: dict[str, str],
    shard_size: Optional[int] = 1000,
    shard_offset: int = 0,
    warn_unused_fields: bool = True,
    include_cuts: bool = True,
    num_jobs: int = 1,
    fault_tolerant: bool = False,
    verbose: bool = False,
    *,
    copy_encoded_audio: bool = True,
) -> dict[str, list[str]]:
    """Write ``cuts`` and their ``fields`` as Shar shards; return ``{field: [paths]}``.

    With ``num_jobs > 1`` the shards are written by a process pool, at most
    ``2 * num_jobs`` shards of cuts being held in memory at a time.  Shard
    ``N`` is numbered ``shard_offset + N``.  ``fault_tolerant`` skips (with a
    warning) cuts whose data cannot be loaded, without leaving any trace of them.
    """
    fields = validate_fields(fields)
    if not isinstance(num_jobs, int) or num_jobs < 1:
        raise SharError(f"num_jobs must be a positive int, got {num_jobs!r}")
    common = dict(
        fields=fields,
        warn_unused_fields=warn_unused_fields,
        fault_tolerant=fault_tolerant,
        copy_encoded_audio=copy_encoded_audio,
    )
    if num_jobs == 1 or shard_size is None:
        return _write_cuts(
            cuts,
            output_dir,
            shard_size=shard_size,
            shard_offset=shard_offset,
            include_cuts=include_cuts,
            shard_suffix=None,
            verbose=verbose,
            **common,
        )
    if shard_size < 1:
        raise SharError(f"shard_size must be positive or None, got {shard_size}")
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    from nuptse.utils.orphans import exit_with_parent

    paths: dict[str, list[str]] = defaultdict(list)

    def collect(done) -> None:
        for fut in done:
            for k, v in fut.result().items():
                paths[k].extend(v)

    with ProcessPoolExecutor(num_jobs, initializer=exit_with_parent) as pool:
        pending: set = set()
        for idx, chunk in enumerate(_chunks(cuts, shard_size)):
            if len(pending) >= 2 * num_jobs:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                collect(done)
            pending.add(
                pool.submit(
                    _write_cuts,
                    chunk,
                    output_dir,
                    shard_size=None,
                    shard_offset=0,
                    include_cuts=include_cuts,
                    shard_suffix=f".{shard_offset + idx:06d}",
                    **common,
                )
            )
        done, _ = wait(pending)
        collect(done)
    return {k: sorted(v) for k, v in paths.items()}


def read_cuts_from_shar(
    fields: Optional[Union[dict[str, Sequence[Any]], Sequence[str]]] = None,
    in_dir: Optional[Any] = None,
    split_for_dataloading: bool = False,
    shuffle_shards: bool = False,
    stateful_shuffle: bool = True,
    seed: Union[int, str] = 42,
    cut_map_fns: Optional[Sequence[Optional[Callable]]] = None,
    slice_length: Optional[int] = None,
    *,
    allow_pipe: bool = False,
):
    """A lazy CutSet over Shar shards (see :class:`~nuptse.shar.LazySharIterator`).

    The argument order is lhotse's (``fields`` first); a directory passed as
    ``fields`` or a dict passed as ``in_dir`` is taken for what it is.  With
    ``in_dir``, ``fields`` may list the fields to read (default: all of them).
    ``pipe:`` shard sources run shell commands and need ``allow_pipe=True``.
    """
    if in_dir is None and isinstance(fields, (str, os.PathLike)):
        in_dir, fields = fields, None
    elif fields is None and isinstance(in_dir, dict):
        in_dir, fields = None, in_dir
    from nuptse.cut import CutSet
    from nuptse.shar.readers.lazy import LazySharIterator

    return CutSet(
        LazySharIterator(
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
    )
