"""Public helpers, at lhotse's ``lhotse.utils`` path.

Small, dependency-free building blocks used across the package and by user
scripts: type aliases, dataclass copying, seeded ids, time-span predicates,
sequence splitting and a few context managers.

This package sits at the bottom of nuptse: it imports only
:mod:`nuptse.timing` (time arithmetic lives there and is re-exported here,
never re-implemented) and imports numpy/torch only inside the functions that
need them, so ``import nuptse.utils`` stays cheap.  Its modules, by concept:
``types`` (aliases, constants), ``env`` (optional modules, switches), ``rng``
(seeded ids and shuffling), ``items`` (dataclass and sequence helpers),
``spans`` (time spans), ``context`` (context managers, decorators,
exceptions) and ``files`` (URLs, archives, downloads, pipes).

>>> from nuptse.utils import TimeSpan, overlaps, fastcopy
>>> overlaps(TimeSpan(0.0, 1.0), TimeSpan(0.5, 2.0))
True
>>> fastcopy(TimeSpan(0.0, 1.0), end=3.0)
TimeSpan(start=0.0, end=3.0)
"""

from __future__ import annotations

from typing import Any

from nuptse.timing import (
    Seconds,
    add_durations,
    compute_num_frames,
    compute_num_frames_from_samples,
    compute_num_samples,
    compute_num_windows,
    perturb_num_samples,
    seconds_to_frames,
    supervision_to_frames,
    supervision_to_samples,
    time_diff_to_num_frames,
)
from nuptse.utils.context import (
    DeprecatedWarning,
    NonPositiveEnergyError,
    deprecated,
    nullcontext,
    recursion_limit,
    rich_exception_info,
    suppress_and_warn,
)
from nuptse.utils.env import (
    during_docs_build,
    is_dill_enabled,
    is_module_available,
    is_torchaudio_available,
    is_torchcodec_available,
)
from nuptse.utils.files import (
    DownloadError,
    Pipe,
    SmartOpen,
    UnsafeArchiveError,
    is_valid_url,
    replace_bucket_with_profile_name,
    resumable_download,
    safe_extract,
    safe_extract_rar,
    safe_extract_zip,
)
from nuptse.utils.items import (
    SetContainingAnything,
    asdict_nonull,
    check_and_rglob,
    exactly_one_not_null,
    fastcopy,
    ifnone,
    is_equal_or_contains,
    is_none_or_gt,
    lens_to_mask,
    merge_items_with_delimiter,
    pairwise,
    split_sequence,
    to_hashable,
    to_list,
)
from nuptse.utils.rng import (
    build_rng,
    fix_random_seed,
    hash_str_to_int,
    streaming_shuffle,
    uuid4,
)
from nuptse.utils.spans import (
    TimeSpan,
    compute_start_duration_for_extended_cut,
    measure_overlap,
    overlaps,
    overspans,
)
from nuptse.utils.types import (
    DEFAULT_PADDING_VALUE,
    EPSILON,
    INT16MAX,
    LOG_EPSILON,
    Decibels,
    Pathlike,
    T,
)

__all__ = [
    "DEFAULT_PADDING_VALUE",
    "EPSILON",
    "INT16MAX",
    "LOG_EPSILON",
    "Decibels",
    "DeprecatedWarning",
    "DownloadError",
    "NonPositiveEnergyError",
    "Pathlike",
    "Pipe",
    "PythonLiteralOption",  # noqa: F822 (built on first access, see __getattr__)
    "Seconds",
    "SetContainingAnything",
    "SmartOpen",
    "T",
    "TimeSpan",
    "UnsafeArchiveError",
    "add_durations",
    "asdict_nonull",
    "build_rng",
    "check_and_rglob",
    "compute_num_frames",
    "compute_num_frames_from_samples",
    "compute_num_samples",
    "compute_num_windows",
    "compute_start_duration_for_extended_cut",
    "deprecated",
    "during_docs_build",
    "exactly_one_not_null",
    "fastcopy",
    "fix_random_seed",
    "hash_str_to_int",
    "ifnone",
    "is_dill_enabled",
    "is_equal_or_contains",
    "is_module_available",
    "is_none_or_gt",
    "is_torchaudio_available",
    "is_torchcodec_available",
    "is_valid_url",
    "lens_to_mask",
    "measure_overlap",
    "merge_items_with_delimiter",
    "nullcontext",
    "overlaps",
    "overspans",
    "pairwise",
    "perturb_num_samples",
    "recursion_limit",
    "replace_bucket_with_profile_name",
    "resumable_download",
    "rich_exception_info",
    "safe_extract",
    "safe_extract_rar",
    "safe_extract_zip",
    "seconds_to_frames",
    "split_manifest_lazy",  # noqa: F822 (resolved from nuptse.manifest, see __getattr__)
    "split_sequence",
    "streaming_shuffle",
    "supervision_to_frames",
    "supervision_to_samples",
    "suppress_and_warn",
    "time_diff_to_num_frames",
    "to_hashable",
    "to_list",
    "uuid4",
]


# --------------------------------------------------------------------------
# click option (built on first use, so importing this module does not import click)


def _python_literal_option() -> type:
    import ast

    import click

    class PythonLiteralOption(click.Option):
        """A click option whose value is parsed as a Python literal.

        ``"3"`` gives 3, ``"(4, 5)"`` a tuple, ``"[6]"`` gives 6 (a one-element
        list or tuple is unwrapped); a value that is not a literal gives None.
        """

        def type_cast_value(self, ctx: Any, value: Any) -> Any:
            try:
                parsed = ast.literal_eval(value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                return None
            if isinstance(parsed, (list, tuple)) and len(parsed) == 1:
                return parsed[0]
            return parsed

    PythonLiteralOption.__module__ = __name__
    PythonLiteralOption.__qualname__ = "PythonLiteralOption"
    return PythonLiteralOption


def __getattr__(name: str) -> Any:
    if name == "PythonLiteralOption":
        cls = _python_literal_option()
        globals()[name] = cls
        return cls
    if name == "split_manifest_lazy":
        # lhotse keeps it here; it writes manifests, so nuptse defines it in
        # nuptse.manifest and only points to it (resolved on first use).
        import importlib

        fn = importlib.import_module("nuptse.manifest").split_manifest_lazy
        globals()[name] = fn
        return fn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
