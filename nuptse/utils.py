"""Public helpers, at lhotse's ``lhotse.utils`` path.

Small, dependency-free building blocks used across the package and by user
scripts: type aliases, dataclass copying, seeded ids, time-span predicates,
sequence splitting and a few context managers.

This module sits at the bottom of the package: it imports only
:mod:`nuptse.timing` (time arithmetic lives there and is re-exported here,
never re-implemented) and imports numpy/torch only inside the functions that
need them, so ``import nuptse.utils`` stays cheap.

>>> from nuptse.utils import TimeSpan, overlaps, fastcopy
>>> overlaps(TimeSpan(0.0, 1.0), TimeSpan(0.5, 2.0))
True
>>> fastcopy(TimeSpan(0.0, 1.0), end=3.0)
TimeSpan(start=0.0, end=3.0)
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import inspect
import logging
import math
import os
import random
import secrets
import sys
import uuid
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, fields
from itertools import tee
from pathlib import Path
from typing import Any, Literal, Optional, TypeVar, Union
from urllib.parse import urlparse, urlunparse

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
from nuptse.timing import overlaps as _intervals_overlap

logger = logging.getLogger(__name__)

_DOWNLOAD_CHUNK = 1 << 20

# Sentinel for exhausted iterators.
_END = object()

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

Pathlike = Union[Path, str]
T = TypeVar("T")
Decibels = float

#: Magnitude of the most negative 16-bit sample; divides int16 PCM into [-1, 1).
INT16MAX = 32768
#: Floor added before taking logs of energies.
EPSILON = 1e-10
LOG_EPSILON = math.log(EPSILON)
#: Value that custom arrays are padded with.
DEFAULT_PADDING_VALUE = 0


# --------------------------------------------------------------------------
# Optional modules and environment


def is_module_available(*modules: str) -> bool:
    """Whether every named module can be imported, checked without importing it.

    >>> is_module_available("json", "math")
    True
    >>> is_module_available("surely_not_an_installed_module")
    False
    """
    return all(importlib.util.find_spec(m) is not None for m in modules)


def is_torchaudio_available() -> bool:
    """Whether torchaudio is installed."""
    return is_module_available("torchaudio")


def is_torchcodec_available() -> bool:
    """Whether torchcodec is installed."""
    return is_module_available("torchcodec")


def during_docs_build() -> bool:
    """True while Read the Docs builds the documentation (``READTHEDOCS`` is set)."""
    return bool(os.environ.get("READTHEDOCS"))


def _env_flag(*names: str) -> bool:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.strip().lower() not in ("", "0", "false", "no"):
            return True
    return False


#: Set through :func:`nuptse.lazy.set_dill_enabled`.
_DILL_ENABLED = False


def is_dill_enabled() -> bool:
    """Whether lambdas in lazy manifests are pickled with dill.

    On when :func:`nuptse.lazy.set_dill_enabled` turned it on, or when the
    environment variable ``NUPTSE_DILL_ENABLED`` (or lhotse's
    ``LHOTSE_DILL_ENABLED``) is set to a true value.
    """
    return _DILL_ENABLED or _env_flag("NUPTSE_DILL_ENABLED", "LHOTSE_DILL_ENABLED")


# --------------------------------------------------------------------------
# Random numbers and ids

# Replaced by fix_random_seed(): the stdlib ``uuid.uuid4`` ignores ``random.seed``.
_uuid_source: Optional[Callable[[], uuid.UUID]] = None


def fix_random_seed(random_seed: int) -> None:
    """Seed ``random``, numpy, torch and :func:`uuid4` with ``random_seed``.

    After this call, :func:`uuid4` yields a reproducible sequence of ids.

    >>> fix_random_seed(0); a = uuid4()
    >>> fix_random_seed(0); a == uuid4()
    True
    """
    global _uuid_source
    random.seed(random_seed)
    if is_module_available("numpy"):
        import numpy as np

        np.random.seed(random_seed)
    if is_module_available("torch"):
        import torch

        torch.random.manual_seed(random_seed)
    generator = random.Random(random_seed)
    _uuid_source = lambda: uuid.UUID(int=generator.getrandbits(128))  # noqa: E731


def uuid4() -> uuid.UUID:
    """A random UUID, reproducible after :func:`fix_random_seed`."""
    if _uuid_source is not None:
        return _uuid_source()
    return uuid.uuid4()


def build_rng(seed: Union[int, Literal["trng"]]) -> random.Random:
    """A ``random.Random`` seeded with ``seed``; ``"trng"`` gives the system's true RNG.

    >>> build_rng(5).random() == build_rng(5).random()
    True
    """
    if seed == "trng":
        return secrets.SystemRandom()
    return random.Random(seed)


def hash_str_to_int(s: str, max_value: Optional[int] = None) -> int:
    """A stable integer in ``[0, max_value)`` derived from the SHA-1 of ``s``.

    Unlike ``hash()``, the answer is the same in every process.

    >>> hash_str_to_int("abc", 100)
    17
    """
    if max_value is None:
        max_value = sys.maxsize
    return int.from_bytes(hashlib.sha1(s.encode("utf-8")).digest(), "big") % max_value


def streaming_shuffle(
    data: Iterator[T],
    bufsize: int = 10000,
    rng: Optional[random.Random] = None,
) -> Generator[T, None, None]:
    """Shuffle a stream with a buffer of about ``bufsize`` items.

    Yields items as soon as the buffer is full, so the order is only locally
    random (an item moves at most about ``bufsize`` positions).  ``data`` must
    be an iterator: while filling, the buffer takes an extra item from it
    for every item read.  ``rng`` defaults to the ``random`` module; the same
    seeded ``rng`` gives the same order as lhotse.

    >>> sorted(streaming_shuffle(iter(range(10)), bufsize=4, rng=random.Random(0)))
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    """
    if rng is None:
        rng = random
    buffer: list = []
    filling = True
    for item in data:
        if len(buffer) < bufsize:
            extra = next(data, _END)
            if extra is not _END:
                buffer.append(extra)
        if buffer:
            k = rng.randint(0, len(buffer) - 1)
            item, buffer[k] = buffer[k], item
        if filling and len(buffer) < bufsize:
            buffer.append(item)
            continue
        filling = False
        yield item
    yield from buffer


# --------------------------------------------------------------------------
# Dataclasses and small value helpers


def fastcopy(dataclass_obj: T, **kwargs) -> T:
    """A shallow copy of a dataclass instance, with the fields in ``kwargs`` replaced.

    Calls the class's constructor with the instance's attributes, which is
    several times faster than ``dataclasses.replace``.

    >>> fastcopy(TimeSpan(start=5, end=10), end=12)
    TimeSpan(start=5, end=12)
    """
    try:
        values = dataclass_obj.__dict__
    except AttributeError:  # a slotted dataclass
        values = {f.name: getattr(dataclass_obj, f.name) for f in fields(dataclass_obj) if f.init}
    return type(dataclass_obj)(**{**values, **kwargs})


def asdict_nonull(dclass: Any) -> dict[str, Any]:
    """``dataclasses.asdict`` with the ``None``-valued fields dropped, at every depth.

    >>> asdict_nonull(TimeSpan(start=1.0, end=None))
    {'start': 1.0}
    """
    return asdict(dclass, dict_factory=lambda pairs: {k: v for k, v in pairs if v is not None})


def ifnone(item: Optional[Any], alt_item: Any) -> Any:
    """``alt_item`` when ``item`` is None, else ``item``.

    >>> ifnone(None, 3), ifnone(0, 3)
    (3, 0)
    """
    return alt_item if item is None else item


def to_list(item: Any) -> list:
    """``item`` itself when it is a list, else a one-element list holding it.

    >>> to_list(1), to_list([1, 2])
    ([1], [1, 2])
    """
    return item if isinstance(item, list) else [item]


def to_hashable(item: Any) -> Any:
    """A tuple for a list (so it can be a dict key or set member), else ``item``."""
    return tuple(item) if isinstance(item, list) else item


def exactly_one_not_null(*args: Any) -> bool:
    """Whether exactly one of ``args`` is not None.

    >>> exactly_one_not_null(None, 1, None), exactly_one_not_null(1, 2)
    (True, False)
    """
    return sum(a is not None for a in args) == 1


def is_none_or_gt(value: Any, threshold: Any) -> bool:
    """Whether ``value`` is None or greater than ``threshold``."""
    return value is None or value > threshold


def is_equal_or_contains(value: Any, other: Any) -> bool:
    """Whether every element of ``other`` is among ``value`` (scalars count as one-item lists).

    >>> is_equal_or_contains([0, 1], 1), is_equal_or_contains(0, [0, 1])
    (True, False)
    """
    return set(to_list(other)).issubset(to_list(value))


def merge_items_with_delimiter(
    values: Iterable[str],
    prefix: str = "cat",
    delimiter: str = "#",
    return_first: bool = False,
) -> Optional[str]:
    """Join ids into one, e.g. for the id of a concatenation.

    One value (or ``return_first``) gives the first value; several give
    ``prefix`` and the values joined by ``delimiter``; none gives None.

    >>> merge_items_with_delimiter(["a", "b"])
    'cat#a#b'
    >>> merge_items_with_delimiter(["a"]) , merge_items_with_delimiter([])
    ('a', None)
    """
    values = list(values)
    if not values:
        return None
    if len(values) == 1 or return_first:
        return values[0]
    return delimiter.join([prefix, *values])


class SetContainingAnything:
    """A stand-in for a set that contains every item (e.g. "no filter")."""

    def __contains__(self, item: Any) -> bool:
        return True

    def intersection(self, iterable: Iterable) -> bool:
        return True


def pairwise(iterable: Iterable[T]) -> Iterator[tuple[T, T]]:
    """Consecutive pairs: ``s0, s1, s2, ...`` gives ``(s0, s1), (s1, s2), ...``.

    >>> list(pairwise([1, 2, 3]))
    [(1, 2), (2, 3)]
    """
    first, second = tee(iterable)
    next(second, None)
    return zip(first, second)


def lens_to_mask(lens: Any) -> Any:
    """A float32 ``(batch, max(lens))`` tensor with ones in each row's first ``lens[i]`` places.

    >>> import torch
    >>> lens_to_mask(torch.tensor([1, 3])).tolist()
    [[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
    """
    import torch

    steps = torch.arange(int(lens.max()) if len(lens) else 0, device=lens.device)
    return (steps.unsqueeze(0) < lens.unsqueeze(1)).to(torch.float32)


# --------------------------------------------------------------------------
# Time spans


@dataclass
class TimeSpan:
    """A ``[start, end)`` interval in seconds."""

    start: Seconds
    end: Seconds

    @property
    def duration(self) -> Seconds:
        return self.end - self.start


def overlaps(lhs: Any, rhs: Any) -> bool:
    """Whether two objects with ``start``/``end`` overlap by more than float noise.

    Spans that only touch (one ends where the other starts) do not overlap.

    >>> overlaps(TimeSpan(0, 1), TimeSpan(1, 2))
    False
    """
    return (
        _intervals_overlap(lhs.start, lhs.end, rhs.start, rhs.end)
        and not math.isclose(lhs.start, rhs.end)
        and not math.isclose(rhs.start, lhs.end)
    )


def overspans(spanning: Any, spanned: Any, tolerance: float = 1e-3) -> bool:
    """Whether ``spanning`` covers all of ``spanned`` (to within ``tolerance`` seconds).

    >>> overspans(TimeSpan(0, 1), TimeSpan(0.5, 1.0005)), overspans(TimeSpan(0.5, 1), TimeSpan(0, 1))
    (True, False)
    """
    return spanning.start - tolerance <= spanned.start <= spanned.end <= spanning.end + tolerance


def measure_overlap(lhs: Any, rhs: Any) -> float:
    """Overlap of two spans as a fraction of the shorter one's duration.

    >>> measure_overlap(TimeSpan(0, 2), TimeSpan(1, 5))
    0.5
    """
    first, second = sorted([lhs, rhs], key=lambda span: span.start)
    overlap = first.end - second.start
    if overlap <= 0:
        return 0.0
    return overlap / min(first.end - first.start, second.end - second.start)


def compute_start_duration_for_extended_cut(
    start: Seconds,
    duration: Seconds,
    new_duration: Seconds,
    direction: Literal["center", "left", "right", "random"] = "center",
) -> tuple[Seconds, Seconds]:
    """Start and duration of a span of ``start``/``duration`` grown to ``new_duration``.

    ``direction`` says where the extra time goes: before (``"left"``), after
    (``"right"``), half on each side (``"center"``) or a random split
    (``"random"``).  A start that would fall before 0 is clipped to 0 and the
    duration shrinks by the clipped amount.  A ``new_duration`` not longer
    than ``duration`` leaves the span as it is.

    >>> compute_start_duration_for_extended_cut(5.0, 10.0, 11.0, "center")
    (4.5, 11.0)
    >>> compute_start_duration_for_extended_cut(0.0, 10.0, 11.0, "center")
    (0, 10.5)
    """
    if new_duration <= duration:
        return start, duration
    extra = new_duration - duration
    if direction == "center":
        new_start = start - extra / 2
    elif direction == "left":
        new_start = start - extra
    elif direction == "right":
        new_start = start
    elif direction == "random":
        new_start = random.uniform(start - extra, start)
    else:
        raise ValueError(
            f"Unexpected direction {direction!r}: expected 'center', 'left', 'right' or 'random'."
        )
    if new_start < 0:
        new_duration = round(new_duration + new_start, 15)
        new_start = 0
    return round(new_start, 15), new_duration


# --------------------------------------------------------------------------
# Sequences and manifests


def split_sequence(
    seq: Sequence[Any], num_splits: int, shuffle: bool = False, drop_last: bool = False
) -> list[list[Any]]:
    """Split ``seq`` into ``num_splits`` contiguous parts of near-equal length.

    The first ``len(seq) % num_splits`` parts get one extra item; with
    ``drop_last`` every part has ``len(seq) // num_splits`` items and the rest
    is dropped.  ``shuffle`` shuffles (with ``random``) before splitting.

    >>> split_sequence(range(5), 2)
    [[0, 1, 2], [3, 4]]
    >>> split_sequence(range(5), 2, drop_last=True)
    [[0, 1], [2, 3]]
    """
    items = list(seq)
    if num_splits > len(items):
        raise ValueError(
            f"Cannot split a sequence of {len(items)} items into {num_splits} parts "
            "(more parts than items)."
        )
    if shuffle:
        random.shuffle(items)
    size, remainder = divmod(len(items), num_splits)
    parts = []
    begin = 0
    for i in range(num_splits):
        if drop_last:
            begin, end = i * size, (i + 1) * size
        else:
            end = begin + size + (1 if i < remainder else 0)
        parts.append(items[begin:end])
        begin = end
    return parts


def check_and_rglob(path: Pathlike, pattern: str, strict: Optional[bool] = True) -> list[Path]:
    """The files under directory ``path`` matching ``pattern`` (recursively, sorted).

    Raises ``NotADirectoryError`` when ``path`` is not a directory and, with
    ``strict``, ``FileNotFoundError`` when nothing matches.
    """
    path = Path(path)
    if not path.is_dir():
        raise NotADirectoryError(f"No such directory: {path}")
    matches = sorted(path.rglob(pattern))
    if strict and not matches:
        raise FileNotFoundError(f"No files matching pattern {pattern!r} in directory: {path}")
    return matches


# --------------------------------------------------------------------------
# Context managers, decorators, exceptions


class nullcontext(AbstractContextManager):
    """A context manager that does nothing and returns ``enter_result`` (like ``contextlib.nullcontext``).

    Tests use it as ``does_not_raise``.

    >>> with nullcontext(5) as value:
    ...     value
    5
    """

    def __init__(self, enter_result: Any = None, *args: Any, **kwargs: Any):
        self.enter_result = enter_result

    def __enter__(self) -> Any:
        return self.enter_result

    def __exit__(self, *excinfo: Any) -> None:
        return None


@contextmanager
def recursion_limit(stack_size: int):
    """Run the block with Python's recursion limit set to ``stack_size``, then restore it."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(stack_size)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


class suppress_and_warn:
    """Suppress the given exception types inside the block, logging each as a warning.

    >>> with suppress_and_warn(KeyError):
    ...     {}["missing"]
    """

    def __init__(self, *exceptions: type[BaseException], enabled: bool = True):
        self._enabled = enabled
        self._exceptions = exceptions

    def __enter__(self) -> None:
        return None

    def __exit__(self, exctype, excinst, exctb) -> bool:
        if not self._enabled or exctype is None or not issubclass(exctype, self._exceptions):
            return False
        logger.warning("[Suppressed %s] Error message: %s", exctype.__qualname__, excinst)
        return True


def rich_exception_info(fn: Callable) -> Callable:
    """Decorator: re-raise any exception from ``fn`` with the call's arguments in its message.

    The re-raised exception has the same type and chains the original.
    """

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            message = (
                f"{e}\n[extra info] When calling: {fn.__qualname__}(args={args} kwargs={kwargs})"
            )
            try:
                enriched = type(e)(message)
            except Exception:
                raise e from None
            raise enriched from e

    return wrapper


class NonPositiveEnergyError(ValueError):
    """A signal has zero (or negative) energy where a positive one is needed (e.g. mixing at an SNR)."""


class DeprecatedWarning(UserWarning):
    """Warning issued by functions marked with :func:`deprecated`."""


def deprecated(message: str) -> Callable[[Callable], Callable]:
    """Decorator: warn with ``message`` (a :class:`DeprecatedWarning`) at each call, naming the caller."""

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            caller = inspect.currentframe().f_back
            warnings.warn_explicit(
                message,
                category=DeprecatedWarning,
                filename=caller.f_code.co_filename,
                lineno=caller.f_lineno,
            )
            return func(*args, **kwargs)

        return wrapper

    return decorator


# --------------------------------------------------------------------------
# Paths, URLs, archives, downloads


def is_valid_url(value: str) -> bool:
    """Whether ``value`` parses as a URL with both a scheme and a host.

    >>> is_valid_url("s3://bucket/key"), is_valid_url("/local/path")
    (True, False)
    """
    try:
        parsed = urlparse(value)
    except (AttributeError, TypeError, ValueError):
        return False
    return bool(parsed.scheme) and bool(parsed.netloc)


def replace_bucket_with_profile_name(identifier: str, profile_name: str) -> str:
    """``identifier`` with its URL host (bucket) replaced by ``profile_name``.

    >>> replace_bucket_with_profile_name("msc://bucket/a/b.jsonl", "profile")
    'msc://profile/a/b.jsonl'
    """
    return urlunparse(urlparse(identifier)._replace(netloc=profile_name))


class SmartOpen:
    """Opens URLs (S3, GCS, HTTP, ...) with the optional ``smart_open`` package.

    ``SmartOpen.setup(transport_params=...)`` sets parameters shared by every
    later call (e.g. one reused S3 client, which is much faster than a client
    per file); :meth:`open` calls it on first use.
    """

    transport_params: Optional[dict] = None
    smart_open: Optional[Callable] = None
    import_err_msg = (
        "Opening URLs needs the smart_open package: 'pip install smart_open' "
        "(or 'pip install smart_open[s3]', smart_open[gcs], ... for cloud storage)."
    )

    @classmethod
    def setup(cls, transport_params: Optional[dict] = None) -> None:
        try:
            from smart_open import open as smart_open_fn
        except ImportError as e:
            raise ImportError(cls.import_err_msg) from e
        if cls.transport_params is not None and cls.transport_params != transport_params:
            logger.warning(
                "SmartOpen.setup called again: replacing transport_params %r with %r",
                cls.transport_params,
                transport_params,
            )
        cls.transport_params = transport_params
        cls.smart_open = smart_open_fn

    @classmethod
    def open(cls, uri: Any, mode: str = "rb", transport_params: Optional[dict] = None, **kwargs):
        if cls.smart_open is None:
            cls.setup(transport_params=transport_params)
        return cls.smart_open(
            uri, mode=mode, transport_params=transport_params or cls.transport_params, **kwargs
        )


class DownloadError(OSError):
    """A download could not be completed; the message names the URL."""


class UnsafeArchiveError(ValueError):
    """An archive member would be written outside the extraction folder."""


def resumable_download(
    url: str,
    filename: Pathlike,
    force_download: bool = False,
    completed_file_size: Optional[int] = None,
    missing_ok: bool = False,
    ssl_context: Any = None,
    additional_headers: Optional[dict[str, str]] = None,
) -> None:
    """Download ``url`` to ``filename``, continuing a partial file where the server allows it.

    A file of ``completed_file_size`` bytes is taken as done.  With
    ``missing_ok``, a 404 is logged and skipped instead of raised.
    """
    import urllib.error
    import urllib.request

    filename = Path(filename)
    filename.parent.mkdir(parents=True, exist_ok=True)
    if force_download and filename.exists():
        filename.unlink()
    have = filename.stat().st_size if filename.exists() else 0
    if completed_file_size is not None and have == completed_file_size:
        return
    headers = {"User-Agent": "nuptse-recipes"}
    if have:
        headers["Range"] = f"bytes={have}-"
    headers.update(additional_headers or {})
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, context=ssl_context)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing left to fetch: the file is complete
            return
        if e.code == 404 and missing_ok:
            logger.warning("%s: not found (404); skipped", url)
            return
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        raise DownloadError(f"{url}: {e.reason}") from e
    with response:
        status = getattr(response, "status", None)
        resumed = have > 0 and status == 206
        length = response.headers.get("Content-Length")
        total = (int(length) + (have if resumed else 0)) if length else None
        from tqdm.auto import tqdm

        with (
            open(filename, "ab" if resumed else "wb") as out,
            tqdm(
                total=total,
                initial=have if resumed else 0,
                unit="B",
                unit_scale=True,
                desc=filename.name,
                disable=None,
            ) as bar,
        ):
            while True:
                chunk = response.read(_DOWNLOAD_CHUNK)
                if not chunk:
                    break
                out.write(chunk)
                bar.update(len(chunk))
    if total is not None and filename.stat().st_size != total:
        raise DownloadError(
            f"{url}: got {filename.stat().st_size} bytes of {total}; run again to resume"
        )


def _inside(root: Path, target: Path) -> bool:
    root = root.resolve()
    try:
        target.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def safe_extract(
    tar: Any,
    path: Pathlike = ".",
    members: Optional[list] = None,
    *,
    numeric_owner: bool = False,
) -> None:
    """Extract an open ``tarfile.TarFile`` into ``path``, refusing path traversal."""
    root = Path(path)
    for member in tar.getmembers():
        if not _inside(root, root / member.name):
            raise UnsafeArchiveError(f"{tar.name}: member {member.name!r} is outside {root}")
        if (member.issym() or member.islnk()) and not _inside(
            root, (root / member.name).parent / member.linkname
        ):
            raise UnsafeArchiveError(
                f"{tar.name}: link {member.name!r} -> {member.linkname!r} points outside {root}"
            )
    tar.extractall(root, members, numeric_owner=numeric_owner)


def safe_extract_rar(rar: Any, path: Pathlike = ".", members: Optional[list] = None) -> None:
    """Extract an open ``rarfile.RarFile`` into ``path``, refusing path traversal."""
    root = Path(path)
    for member in rar.infolist():
        if not _inside(root, root / member.filename):
            raise UnsafeArchiveError(
                f"{getattr(rar, 'filename', 'rar')}: member {member.filename!r} is outside {root}"
            )
    rar.extractall(root, members)


def safe_extract_zip(zf: Any, path: Pathlike = ".") -> None:
    """Extract an open ``zipfile.ZipFile`` into ``path``, refusing path traversal."""
    root = Path(path)
    for name in zf.namelist():
        if not _inside(root, root / name):
            raise UnsafeArchiveError(f"{zf.filename}: member {name!r} is outside {root}")
    zf.extractall(root)


class Pipe:
    """A file-like stream connected to a subprocess's stdin or stdout.

    ``mode`` ``"r"``/``"rb"`` reads the command's output, ``"w"``/``"wb"``
    writes its input.  Closing waits for the process and raises when it exits
    with a status outside ``[0, 141] + ignore_status`` (141: broken pipe),
    unless ``ignore_errors``.  Other arguments go to ``subprocess.Popen``.
    """

    def __init__(
        self,
        *args: Any,
        mode: str,
        timeout: float = 7200.0,
        ignore_errors: bool = False,
        ignore_status: Optional[list] = None,
        **kw: Any,
    ):
        from subprocess import PIPE, Popen

        self.ignore_errors = ignore_errors
        self.ignore_status = [0, 141] + list(ignore_status or [])
        self.timeout = timeout
        self.args = (args, kw)
        text = "b" not in mode
        if mode.startswith("r"):
            self.proc = Popen(*args, stdout=PIPE, text=text, **kw)
            self.stream = self.proc.stdout
        elif mode.startswith("w"):
            self.proc = Popen(*args, stdin=PIPE, text=text, **kw)
            self.stream = self.proc.stdin
        else:
            raise ValueError(f"Pipe mode must start with 'r' or 'w', got {mode!r}")
        if self.stream is None:
            raise ValueError(f"Could not open a pipe to {args}")
        self.status: Optional[int] = None

    def __str__(self) -> str:
        return f"<Pipe {self.args}>"

    def check_status(self) -> None:
        if self.proc.poll() is not None:
            self.wait_for_child()

    def is_running(self) -> bool:
        return self.proc.poll() is None

    def wait_for_child(self) -> None:
        if self.status is not None:
            return
        self.status = self.proc.wait()
        if self.status not in self.ignore_status and not self.ignore_errors:
            raise OSError(f"{self.args}: command exited with status {self.status}")

    def read(self, *args: Any, **kw: Any):
        result = self.stream.read(*args, **kw)
        self.check_status()
        return result

    def write(self, *args: Any, **kw: Any):
        result = self.stream.write(*args, **kw)
        self.check_status()
        return result

    def readline(self, *args: Any, **kw: Any):
        result = self.stream.readline(*args, **kw)
        self.check_status()
        return result

    def close(self) -> None:
        self.stream.close()
        self.proc.wait(self.timeout)
        self.wait_for_child()

    def __iter__(self):
        while line := self.readline():
            yield line

    def __enter__(self) -> Pipe:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


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
