"""Turning a batch of cuts into padded tensors.

Audio is padded with zeros, features with a low log-energy (``LOG_EPSILON``),
label vectors with ``-100`` (PyTorch's cross-entropy ``ignore_index``): the
same values and directions as lhotse, so models trained on either agree.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor
from functools import partial
from typing import Any, Optional, Union

import numpy as np
import torch

from nuptse.audio import Recording, suppress_audio_loading_errors
from nuptse.audio.utils import suppress_video_loading_errors
from nuptse.cut import CutSet, MixedCut
from nuptse.cut.base import LOG_EPSILON, Cut
from nuptse.dataset.faults import LoadFailure
from nuptse.timing import compute_num_samples

logger = logging.getLogger(__name__)

#: Padding for label sequences: ``torch.nn.CrossEntropyLoss().ignore_index``.
IGNORE_INDEX = -100
#: Padding lhotse uses for custom temporal arrays when none is given.
DEFAULT_PADDING_VALUE = 0

_DIRECTIONS = ("right", "left", "both")


class TokenCollater:
    """Map each cut's supervision text to character ids and pad to a batch.

    The vocabulary is ``<pad>``, ``<unk>``, optional ``<bos>``/``<eos>``, then the
    sorted characters of the first supervision of every cut in ``cuts``.
    ``inverse`` turns a batch back into strings.
    """

    def __init__(
        self,
        cuts: CutSet,
        add_eos: bool = True,
        add_bos: bool = True,
        pad_symbol: str = "<pad>",
        bos_symbol: str = "<bos>",
        eos_symbol: str = "<eos>",
        unk_symbol: str = "<unk>",
    ):
        self.pad_symbol = pad_symbol
        self.bos_symbol = bos_symbol
        self.eos_symbol = eos_symbol
        self.unk_symbol = unk_symbol
        self.add_eos = add_eos
        self.add_bos = add_bos
        chars = sorted({ch for cut in cuts for ch in cut.supervisions[0].text})
        specials = [pad_symbol, unk_symbol]
        if add_bos:
            specials.append(bos_symbol)
        if add_eos:
            specials.append(eos_symbol)
        self.idx2token = specials + chars
        self.token2idx = {tok: i for i, tok in enumerate(self.idx2token)}

    def __call__(self, cuts: CutSet) -> tuple[torch.Tensor, torch.Tensor]:
        texts = [" ".join(s.text for s in cut.supervisions) for cut in cuts]
        longest = max((len(t) for t in texts), default=0)
        unk = self.token2idx[self.unk_symbol]
        rows = []
        for text in texts:
            row = [self.token2idx.get(ch, unk) for ch in text]
            if self.add_bos:
                row.insert(0, self.token2idx[self.bos_symbol])
            if self.add_eos:
                row.append(self.token2idx[self.eos_symbol])
            row.extend([self.token2idx[self.pad_symbol]] * (longest - len(text)))
            rows.append(row)
        extra = int(self.add_bos) + int(self.add_eos)
        tokens = torch.tensor(rows, dtype=torch.int64)
        lens = torch.IntTensor([len(t) + extra for t in texts])
        return tokens, lens

    def inverse(self, tokens_batch: torch.LongTensor, tokens_lens: torch.IntTensor) -> list[str]:
        first = 1 if self.add_bos else 0
        out = []
        for row, end in zip(tokens_batch, tokens_lens):
            stop = int(end) - int(self.add_eos)
            out.append("".join(self.idx2token[int(i)] for i in row[first:stop]))
        return out


# --- generic padding ----------------------------------------------------------------


def _as_tensors(tensors: Iterable[Union[torch.Tensor, np.ndarray]]) -> list[torch.Tensor]:
    return [t if isinstance(t, torch.Tensor) else torch.from_numpy(np.asarray(t)) for t in tensors]


def _shapes(items: Sequence[torch.Tensor], limit: int = 5) -> str:
    """The first few shapes, for error messages."""
    shown = ", ".join(str(tuple(t.shape)) for t in items[:limit])
    return f"[{shown}{', ...' if len(items) > limit else ''}] ({len(items)} tensors)"


def _check_direction(pad_direction: str, allowed: Sequence[str] = _DIRECTIONS) -> None:
    if pad_direction not in allowed:
        raise ValueError(f"pad_direction must be one of {list(allowed)}, got {pad_direction!r}")


def _placement(length: int, target: int, pad_direction: str) -> slice:
    """Where a sequence of ``length`` items sits inside ``target`` padded ones."""
    if pad_direction == "right":
        return slice(0, length)
    if pad_direction == "left":
        return slice(target - length, target)
    left = (target - length) // 2
    return slice(left, left + length)


def fill_batch(
    shape: tuple, fill: Union[int, float], dtype: torch.dtype, pieces: Iterable[tuple[tuple, torch.Tensor]]
) -> torch.Tensor:
    """A ``shape`` tensor full of ``fill`` with each ``(index, tensor)`` of ``pieces`` copied in.

    CPU tensors are copied with numpy: torch's element-wise copy goes
    through its intra-op thread pool, which on a busy machine (or beside
    DataLoader workers) can cost 100x a plain memcpy.
    """
    pieces = list(pieces)
    cpu = all(t.device.type == "cpu" and not t.requires_grad for _, t in pieces)
    if cpu:
        try:
            np_dtype = torch.empty(0, dtype=dtype).numpy().dtype
        except (TypeError, RuntimeError):  # e.g. bfloat16 has no numpy twin
            cpu = False
    if cpu:
        rows = _row_spans(shape, pieces)
        if rows is None:
            out = np.full(shape, fill, dtype=np_dtype)
        else:
            # Each row is one piece along axis 1: write only the padding
            # around it instead of filling the whole batch first.
            out = np.empty(shape, dtype=np_dtype)
            for i in range(shape[0]):
                lo, hi = rows.get(i, (0, 0))
                out[i, :lo] = fill
                out[i, hi:] = fill
        for index, t in pieces:
            out[index] = t.numpy()
        return torch.from_numpy(out)
    device = pieces[0][1].device if pieces else None
    out = torch.full(shape, fill, dtype=dtype, device=device)
    for index, t in pieces:
        out[index] = t
    return out


def _row_spans(shape: tuple, pieces: list) -> Optional[dict[int, tuple[int, int]]]:
    """``{row: (start, stop)}`` when each piece fills one row's span along axis 1 entirely
    (all other axes full), else None."""
    if len(shape) < 2:
        return None
    spans: dict[int, tuple[int, int]] = {}
    for index, t in pieces:
        if len(index) != 2 or not isinstance(index[0], int) or not isinstance(index[1], slice):
            return None
        if tuple(t.shape[1:]) != tuple(shape[2:]) or index[0] in spans:
            return None
        start, stop, step = index[1].indices(shape[1])
        if step != 1 or stop - start != t.shape[0]:
            return None
        spans[index[0]] = (start, stop)
    return spans


def collate_vectors(
    tensors: Iterable[Union[torch.Tensor, np.ndarray]],
    padding_value: Union[int, float] = IGNORE_INDEX,
    pad_direction: str = "right",
    matching_shapes: bool = False,
) -> torch.Tensor:
    """Stack 1-D tensors of different lengths into ``(B, L)``, padding with ``padding_value``.

    >>> collate_vectors([torch.tensor([1, 2, 3]), torch.tensor([4])]).tolist()
    [[1, 2, 3], [4, -100, -100]]
    """
    items = _as_tensors(tensors)
    if any(t.ndim != 1 for t in items):
        raise AssertionError(
            f"collate_vectors expects 1-D tensors, got shapes {_shapes(items)}"
        )
    _check_direction(pad_direction, ("right", "left"))
    longest = max(items, key=lambda t: t.shape[0])
    if matching_shapes and any(t.shape != longest.shape for t in items):
        raise AssertionError(
            f"matching_shapes=True but got lengths {[t.shape[0] for t in items]}"
        )
    width = longest.shape[0]
    return fill_batch(
        (len(items), width), padding_value, longest.dtype,
        (((i, _placement(t.shape[0], width, pad_direction)), t) for i, t in enumerate(items)),
    )


def collate_matrices(
    tensors: Iterable[Union[torch.Tensor, np.ndarray]],
    padding_value: Union[int, float] = 0,
    matching_shapes: bool = False,
) -> torch.Tensor:
    """Stack ``(T_i, F)`` tensors into ``(B, max T_i, F)``, padding the end with ``padding_value``.

    >>> collate_matrices([torch.ones(2, 3), torch.ones(1, 3)], padding_value=-1)[1, :, 0].tolist()
    [1.0, -1.0]
    """
    items = _as_tensors(tensors)
    if any(t.ndim != 2 for t in items):
        raise AssertionError(
            f"collate_matrices expects 2-D tensors, got shapes {_shapes(items)}"
        )
    longest = max(items, key=lambda t: t.shape[0])
    if matching_shapes and any(t.shape != longest.shape for t in items):
        raise AssertionError(f"matching_shapes=True but got shapes {_shapes(items)}")
    return fill_batch(
        (len(items), *longest.shape), padding_value, longest.dtype,
        (((i, slice(0, t.shape[0])), t) for i, t in enumerate(items)),
    )


# --- reading ------------------------------------------------------------------------


def _read_features(cut: Cut) -> torch.Tensor:
    return torch.from_numpy(cut.load_features())


def _load_audio_array(cut: Cut, recording_field: Optional[str]) -> np.ndarray:
    if recording_field is None:
        return cut.load_audio()
    value = getattr(cut, recording_field)
    # A custom recording covers the cut's span of that recording.
    return value.load_audio(offset=cut.start, duration=cut.duration)


def _check_recording_field(cut: Cut, recording_field: str) -> None:
    value = getattr(cut, recording_field)
    if not hasattr(value, "sampling_rate") or not hasattr(value, "sources"):
        raise AssertionError(
            f"cut {cut.id!r}: custom field {recording_field!r} is a {type(value).__name__}, "
            "not a Recording"
        )


def _read_audio(
    cut: Cut, suppress_errors: bool = False, recording_field: Optional[str] = None
) -> Union[torch.Tensor, BaseException, None]:
    """One cut's audio as a tensor (mono squeezed to 1-D).

    With ``suppress_errors`` a failure returns the exception instead of
    raising it, so that the caller can report why the cut was dropped.
    """
    if recording_field is not None:
        _check_recording_field(cut, recording_field)
    try:
        audio = _load_audio_array(cut, recording_field)
    except Exception as e:  # noqa: BLE001 - any load failure drops the cut
        if not suppress_errors:
            raise
        return LoadFailure.from_exception(e)
    if audio.ndim == 2 and audio.shape[0] == 1:
        audio = audio[0]
    return torch.from_numpy(np.ascontiguousarray(audio))


def read_audio_from_cuts(
    cuts: Iterable[Cut],
    executor: Optional[Executor] = None,
    suppress_errors: bool = False,
    recording_field: Optional[str] = None,
    filter_aux_iter: Optional[Iterable] = None,
    on_error: Optional[Callable[[Cut, BaseException], None]] = None,
):
    """Load every cut's audio, optionally in parallel through ``executor``.

    Returns ``(audios, ok_cuts)``, plus the matching items of
    ``filter_aux_iter`` when it is given.  With ``suppress_errors`` the cuts
    whose audio fails to load are left out (and ``on_error(cut, error)`` is
    called for each); otherwise the first error is raised.
    """
    cuts = list(cuts)
    aux = list(filter_aux_iter) if filter_aux_iter is not None else [None] * len(cuts)
    reader = partial(_read_audio, suppress_errors=suppress_errors, recording_field=recording_field)
    results = list(executor.map(reader, cuts)) if executor is not None else list(map(reader, cuts))
    audios, ok_cuts, ok_aux = [], [], []
    for cut, result, item in zip(cuts, results, aux):
        if isinstance(result, BaseException) or result is None:
            if on_error is not None:
                on_error(cut, result)
            else:
                logger.warning("Dropping cut %r: its audio failed to load: %r", cut.id, result)
            continue
        audios.append(result)
        ok_cuts.append(cut)
        ok_aux.append(item)
    out = (audios, CutSet.from_cuts(ok_cuts))
    if filter_aux_iter is not None:
        out = out + (ok_aux,)
    return out


def read_features_from_cuts(cuts: Iterable[Cut], executor: Optional[Executor] = None) -> list[torch.Tensor]:
    """Every cut's feature matrix as a tensor (in parallel through ``executor`` if given)."""
    mapper = map if executor is None else executor.map
    return list(mapper(_read_features, cuts))


# --- cuts to batches ----------------------------------------------------------------


def collate_features(
    cuts: CutSet,
    pad_direction: str = "right",
    executor: Optional[Executor] = None,
    features_dtype: Optional[torch.dtype] = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Load the cuts' features into ``(B, T, F)``, padded with ``LOG_EPSILON``; and their frame counts."""
    cuts = cuts if isinstance(cuts, CutSet) else CutSet.from_cuts(cuts)
    missing = [c.id for c in cuts if not c.has_features]
    if missing:
        raise AssertionError(f"cuts without features cannot be collated: {missing[:5]}")
    _check_direction(pad_direction)
    lens = torch.tensor([c.num_frames for c in cuts], dtype=torch.int)
    target = int(lens.max())
    mats = read_features_from_cuts(cuts, executor)
    num_features = mats[0].shape[1]
    pieces = []
    for i, (mat, n) in enumerate(zip(mats, lens.tolist())):
        mat = mat[:n]
        if features_dtype is not None:
            mat = mat.to(features_dtype)
        pieces.append(((i, _placement(mat.shape[0], target, pad_direction)), mat))
    dtype = features_dtype or mats[0].dtype
    out = fill_batch((len(mats), target, num_features), LOG_EPSILON, dtype, pieces)
    return out, lens


def _recording_samples(cut: Cut, recording_field: Optional[str]) -> int:
    if recording_field is None:
        return cut.num_samples
    return compute_num_samples(cut.duration, getattr(cut, recording_field).sampling_rate)


def _check_has_audio(cuts: Sequence[Cut], recording_field: Optional[str]) -> None:
    for cut in cuts:
        if recording_field is None:
            if not cut.has_recording:
                raise AssertionError(f"cut {cut.id!r} has no recording to load audio from")
        elif not cut.has_custom(recording_field):
            raise AssertionError(f"cut {cut.id!r} has no custom recording field {recording_field!r}")


def stack_audio(
    audios: Sequence[torch.Tensor],
    lengths: Sequence[int],
    pad_direction: str = "right",
    mono_downmix: Optional[bool] = None,
) -> torch.Tensor:
    """Pad 1-D ``(T,)`` and 2-D ``(C, T)`` signals with zeros into one tensor.

    ``mono_downmix=None`` keeps channels only if every signal has them;
    ``True`` averages channels into ``(B, T)``; ``False`` gives ``(B, C, T)``
    with mono signals in channel 0.
    """
    if mono_downmix is None:
        mono_downmix = not all(a.ndim == 2 for a in audios)
    width = max(max(a.shape[-1] for a in audios), max(lengths, default=0))
    dtype = audios[0].dtype
    if mono_downmix:
        mono = [a.mean(dim=0) if a.ndim == 2 else a for a in audios]
        return fill_batch(
            (len(mono), width), 0, dtype,
            (((i, _placement(a.shape[0], width, pad_direction)), a) for i, a in enumerate(mono)),
        )
    channels = max(a.shape[0] if a.ndim == 2 else 1 for a in audios)
    multi = [a.unsqueeze(0) if a.ndim == 1 else a for a in audios]
    return fill_batch(
        (len(multi), channels, width), 0, dtype,
        (
            ((i, slice(0, a.shape[0]), _placement(a.shape[1], width, pad_direction)), a)
            for i, a in enumerate(multi)
        ),
    )


def collate_audio(
    cuts: CutSet,
    pad_direction: str = "right",
    executor: Optional[Executor] = None,
    fault_tolerant: bool = False,
    recording_field: Optional[str] = None,
    mono_downmix: Optional[bool] = None,
    on_error: Optional[Callable[[Cut, BaseException], None]] = None,
):
    """Load the cuts' audio into ``(B, T)`` (or ``(B, C, T)``) zero-padded; and sample counts.

    With ``fault_tolerant=True`` the cuts whose audio fails to load are left
    out and a third item, the cuts that were loaded, is returned.
    """
    cuts = list(cuts)
    _check_has_audio(cuts, recording_field)
    _check_direction(pad_direction)
    counts = [_recording_samples(c, recording_field) for c in cuts]
    audios, ok_cuts, ok_counts = read_audio_from_cuts(
        cuts,
        executor,
        suppress_errors=fault_tolerant,
        recording_field=recording_field,
        filter_aux_iter=counts,
        on_error=on_error,
    )
    if not audios:
        empty = torch.zeros(0, 0)
        lens = torch.zeros(0, dtype=torch.int32)
        return (empty, lens, ok_cuts) if fault_tolerant else (empty, lens)
    # A decoder may return a sample more or less than the manifest says: the
    # manifest's count is the truth, the signal is cut or zero-padded to it.
    audios = [a[..., :n] for a, n in zip(audios, ok_counts)]
    batch = stack_audio(audios, ok_counts, pad_direction=pad_direction, mono_downmix=mono_downmix)
    lens = torch.tensor(ok_counts, dtype=torch.int32)
    return (batch, lens, ok_cuts) if fault_tolerant else (batch, lens)


#: lhotse's older name for :func:`collate_audio`, which handles channels itself.
collate_multi_channel_audio = collate_audio


def collate_multi_channel_features(cuts: CutSet) -> torch.Tensor:
    """Features of :class:`MixedCut` tracks as channels: ``(B, tracks, T, F)``."""
    from nuptse.cut import MixedCut

    cuts = list(cuts)
    bad = [c.id for c in cuts if not (c.has_features and isinstance(c, MixedCut))]
    if bad:
        raise AssertionError(f"collate_multi_channel_features needs MixedCuts with features: {bad[:5]}")
    mats = [torch.from_numpy(np.asarray(c.load_features(mixed=False))) for c in cuts]
    frames = max(m.shape[1] for m in mats)
    tracks = max(m.shape[0] for m in mats)
    return fill_batch(
        (len(mats), tracks, frames, mats[0].shape[2]), LOG_EPSILON, mats[0].dtype,
        (((i, slice(0, m.shape[0]), slice(0, m.shape[1])), m) for i, m in enumerate(mats)),
    )


def collate_custom_field(
    cuts: CutSet,
    field: str,
    pad_value: Union[None, int, float] = None,
    pad_direction: str = "right",
) -> Union[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """Collate a custom field of every cut.

    ``Array``: stacked (all shapes equal).  ``TemporalArray``: padded along
    its temporal axis with ``pad_value``; returns ``(data, lengths)``.
    ``Recording``: collated like audio.  Anything else: ``torch.tensor`` of
    the values.
    """
    from nuptse.cut.custom import Array, TemporalArray

    cuts = list(cuts)
    first = getattr(cuts[0], field)
    if isinstance(first, TemporalArray):
        if pad_value is None:
            warnings.warn(
                f"collate_custom_field: no pad_value given for {field!r}; "
                f"padding with {DEFAULT_PADDING_VALUE}",
                stacklevel=2,
            )
            pad_value = DEFAULT_PADDING_VALUE
        _check_direction(pad_direction)
        axis = first.temporal_dim
        arrays = [torch.from_numpy(np.asarray(getattr(c, f"load_{field}")())) for c in cuts]
        lens = torch.tensor([a.shape[axis] for a in arrays], dtype=torch.int32)
        largest = max(arrays, key=torch.numel)
        target = largest.shape[axis]
        dtype = largest.dtype
        if dtype in (torch.uint8, torch.int8, torch.int16, torch.int32):
            dtype = torch.int64
        pieces = []
        for i, a in enumerate(arrays):
            index = [slice(0, n) for n in a.shape]
            index[axis] = _placement(a.shape[axis], target, pad_direction)
            pieces.append(((i, *index), a.to(dtype)))
        return fill_batch((len(arrays), *largest.shape), pad_value, dtype, pieces), lens
    if isinstance(first, Array):
        shapes = {tuple(getattr(c, field).shape) for c in cuts}
        if len(shapes) > 1:
            raise AssertionError(
                f"custom field {field!r}: Array shapes differ ({sorted(shapes)}); "
                "use TemporalArray for variable-length data"
            )
        return torch.stack(
            [torch.from_numpy(np.asarray(getattr(c, f"load_{field}")())) for c in cuts]
        )
    if hasattr(first, "sources") and hasattr(first, "sampling_rate"):
        return collate_audio(CutSet.from_cuts(cuts), recording_field=field, pad_direction=pad_direction)
    return torch.tensor([getattr(c, field) for c in cuts])


def collate_images(cuts: CutSet, image_field: str = "image") -> torch.Tensor:
    """Stack each cut's custom image field into ``(B, height, width, channels)``."""
    return torch.stack([torch.as_tensor(getattr(c, f"load_{image_field}")()) for c in cuts])


def collate_video(cuts: CutSet, *args: Any, **kwargs: Any):
    """Video is not supported by nuptse (lhotse reads it through torchaudio's FFmpeg)."""
    raise NotImplementedError("nuptse does not load video; collate_video is not available")


def read_video_from_cuts(cuts: Iterable[Cut], *args: Any, **kwargs: Any):
    """Video is not supported by nuptse."""
    raise NotImplementedError("nuptse does not load video; read_video_from_cuts is not available")


#: Names lhotse's module offers from elsewhere (imports ported code may rely on).
_REEXPORTED = (MixedCut, Recording, suppress_audio_loading_errors, suppress_video_loading_errors)


def as_cutset(cuts: Any) -> CutSet:
    """``cuts`` as a :class:`CutSet` (lists from custom samplers are accepted)."""
    return cuts if isinstance(cuts, CutSet) else CutSet.from_cuts(cuts)
