"""Kaldi-compatible feature extractors as PyTorch layers.

``Wav2Win`` cuts a waveform into processed frames; ``Wav2FFT``,
``Wav2Spec``, ``Wav2LogSpec``, ``Wav2LogFilterBank`` and ``Wav2MFCC`` add
the FFT, the (log) power spectrum, the log-mel filter bank and the MFCC on
top.  Each is a ``torch.nn.Module`` that works on batches ``(batch,
num_samples)`` of float waveforms (lhotse feeds samples in [-1, 1]), runs on
any device and dtype, lets gradients flow to the input, and compiles with
``torch.jit.script``.

What is computed, per frame, is Kaldi's algorithm (``ExtractWindow`` and
``ProcessWindow`` in ``feature-window.cc``, then ``fbank``/``mfcc``/
``spectrogram``):

* frame ``m`` starts at ``m * shift`` (``snip_edges=True``) or at
  ``m * shift + shift // 2 - length // 2`` with the signal reflected at both
  ends (``snip_edges=False``); frame counts are :func:`nuptse.timing.kaldi_num_frames`;
* remove the frame's mean, take the raw log energy, pre-emphasise
  (``y[i] = x[i] - c * x[i-1]``, ``y[0] = x[0] - c * x[0]``), multiply by
  the window, zero-pad to the FFT size;
* power spectrum, mel filter bank, ``log(max(., FLT_EPSILON))``, DCT and
  lifter.

With ``dither=0`` the log-mel filter bank and MFCC equal Kaldi's (and
kaldi-native-fbank's) to float32 precision on every frame.  Where lhotse's
layers deliberately differ from Kaldi, the lhotse behaviour is the default:

* **Log floors** (``kaldi_log_floor=False``, the default): the log energy is
  ``max(log(E + 1e-15), log(energy_floor))`` and the log spectrum of
  ``Wav2LogSpec`` is ``log(P + 1e-15)``.  Kaldi uses ``log(max(E,
  FLT_EPSILON))`` (then the ``energy_floor``) and ``log(max(P,
  FLT_EPSILON))``.  The two only differ for energies below FLT_EPSILON
  (1.19e-7), i.e. near-silent frames: lhotse's silent frame has log energy
  ``ln(1e-10) = -23.03`` (the value lhotse also pads features with), Kaldi's
  ``ln(FLT_EPSILON) = -15.94``.  Pass ``kaldi_log_floor=True`` for
  Kaldi's numbers.  (Mel energies are floored at FLT_EPSILON in both modes,
  as both Kaldi and lhotse do.)
* **Dither** is added once per input sample (Kaldi adds fresh noise to every
  frame, so overlapping frames see different noise).  Dithered output is
  random and cannot equal Kaldi's.
* ``torchaudio_compatible_mel_scale=False`` selects lhotse's alternative mel
  bank (not Kaldi's); ``norm_filters`` only applies to that bank, as in lhotse.

Where exactness is impossible: with ``dither != 0`` (random); with
``kaldi_log_floor=False`` on frames whose energy is below FLT_EPSILON (the
lhotse floor, by design); and ``Wav2LogSpec`` bins whose power is more than
about 60 dB below their frame's strongest bin, where float32 FFT rounding
(ours, Kaldi's and kaldi-native-fbank's alike) dominates the log.  Everything
else agrees with a float64 transcription of Kaldi within 1e-3 (log-mel) and
2e-3 (MFCC) on every frame, and on average closer than kaldi-native-fbank.

Corrections of lhotse's behaviour (Kaldi is followed): the Blackman window
uses ``2*pi/(N-1)`` like Kaldi's; the ``snip_edges=False`` frame offset uses
Kaldi's ``shift // 2 - length // 2`` (lhotse's differs for odd shifts); very
short signals are reflected repeatedly as in Kaldi; ``Wav2MFCC(use_energy=
True)`` replaces ``c0`` of every frame by the log energy; frame length and
shift in samples come from :func:`nuptse.timing.compute_num_samples`.

``Wav2Win()(x)`` returns the frames tensor, as its documented example
shows, and ``(frames, log_energy)`` only with ``return_log_energy=True``
(lhotse always returns a tuple, ``(frames, None)`` without it).  Fixed tables (window, mel
bank, DCT, lifter) are float64 buffers cast to the input's dtype on use, so
``.double()`` and float64 input give float64 results at float64 accuracy.

**Batches.** ``forward(x, lengths)`` takes a zero-padded batch and the true
length of each row; every row then gives exactly what it gives alone,
including its last frames (reflected at its own end).  The output has
``kaldi_num_frames(x.size(1))`` frames; frames past a row's own count
(:meth:`Wav2Win.num_frames`) are zero.  Padding is never computed: on CPU
each row is processed in place; on other devices the valid parts of all rows
are packed into one signal so that each step is one large launch.

**Memory.** On CPU without autograd, the spectral layers keep their frames
buffer (at most ``_block_frames`` frames) between calls, since fresh
multi-MiB buffers cost page faults on every call; it is never shared between
concurrent calls, copied, pickled or saved.

**Streaming.** ``online_inference(x, context=None, flush=False)`` takes
successive chunks (any sizes, down to one sample) and returns the frames
that became complete together with a ``context`` to pass to the next call.
The context is ``(tail_samples, num_samples_seen, num_frames_emitted)``;
the tail holds at most one frame length of samples, so the state stays
bounded.  The end of the stream is signalled by ``flush=True`` on the last
call (its chunk may be empty): it emits the final frames (reflected at the
end for ``snip_edges=False``) and returns a fresh context.  Concatenating all
outputs equals ``forward`` on the whole signal.  (lhotse's context is a bare
remainder tensor and it never emits the last frames.)

**Checkpoints.** Buffers carry lhotse's names and shapes (``wav2win._window``,
``_fb``, ``_dct``, ``_lifter``, ``_eps``), so ``state_dict`` files of models
that embed these layers load either way.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from nuptse.features.kaldi.dsp import (
    FLT_EPSILON,
    band_blocks,
    block_padded_rows,
    dct_matrix,
    lifter_coefficients,
    mel_banks,
    next_power_of_2,
)
from nuptse.features.kaldi.fastpath import rows_fast, run_fast
from nuptse.features.kaldi.framing import (
    StreamContext,
    Wav2Win,
    _matmul,
    _reflect_segment,
    _replace_first,
    _stack_rows,
)
from nuptse.features.kaldi.scratch import FastState, Workspace
from nuptse.timing import compute_num_samples, kaldi_num_frames

__all__ = [
    "Wav2Win",
    "Wav2FFT",
    "Wav2Spec",
    "Wav2LogSpec",
    "Wav2LogFilterBank",
    "Wav2MFCC",
    "StreamContext",
]


class Wav2FFT(nn.Module):
    """Kaldi frames followed by their FFT: a complex spectrum per frame.

    >>> x = torch.randn(1, 16000, dtype=torch.float32)
    >>> x.shape
    torch.Size([1, 16000])
    >>> t = Wav2FFT()
    >>> t(x).shape
    torch.Size([1, 100, 257])
    >>> t(x).dtype
    torch.complex64

    Input ``(batch, num_samples)``; output ``(batch, num_frames,
    num_fft_bins)`` complex.  With ``use_energy=True`` (the default, as in
    lhotse) bin 0 holds the frame's log energy instead of the DC term.
    ``round_to_power_of_two`` pads frames to the next power of two before the
    FFT (Kaldi's default).  The other options are :class:`Wav2Win`'s.
    """

    def __init__(
        self,
        sampling_rate: int = 16000,
        frame_length: float = 0.025,
        frame_shift: float = 0.01,
        round_to_power_of_two: bool = True,
        remove_dc_offset: bool = True,
        preemph_coeff: float = 0.97,
        window_type: str = "povey",
        dither: float = 0.0,
        snip_edges: bool = False,
        energy_floor: float = 1e-10,
        raw_energy: bool = True,
        use_energy: bool = True,
        kaldi_log_floor: bool = False,
    ) -> None:
        super().__init__()
        length = compute_num_samples(frame_length, sampling_rate)
        self.fft_length = next_power_of_2(length) if round_to_power_of_two else length
        self.round_to_power_of_two = round_to_power_of_two
        # Frames per block in forward (4096 at 16 kHz: about 41 s, 8 MiB of
        # float32 frames): bounds the working memory on long inputs.  Larger
        # blocks measured faster than cache-sized ones, so typical
        # utterances are done in one block.
        self._block_frames = max(16, (1 << 21) // self.fft_length)
        self._pack_on_cpu = False  # tests set it to run the packed (GPU) path on CPU
        self._workspace = Workspace()
        self._fast = FastState()  # the short path's tables and buffers (log-mel, MFCC)
        self.use_energy = use_energy
        self.kaldi_log_floor = kaldi_log_floor
        self.wav2win = Wav2Win(
            sampling_rate=sampling_rate,
            frame_length=frame_length,
            frame_shift=frame_shift,
            pad_length=self.fft_length,
            remove_dc_offset=remove_dc_offset,
            preemph_coeff=preemph_coeff,
            window_type=window_type,
            dither=dither,
            snip_edges=snip_edges,
            energy_floor=energy_floor,
            raw_energy=raw_energy,
            return_log_energy=use_energy,
            kaldi_log_floor=kaldi_log_floor,
        )

    @property
    def sampling_rate(self) -> int:
        return self.wav2win.sampling_rate

    @property
    def frame_length(self) -> float:
        return self.wav2win.frame_length

    @property
    def frame_shift(self) -> float:
        return self.wav2win.frame_shift

    @property
    def remove_dc_offset(self) -> bool:
        return self.wav2win.remove_dc_offset

    @property
    def preemph_coeff(self) -> float:
        return self.wav2win.preemph_coeff

    @property
    def window_type(self) -> str:
        return self.wav2win.window_type

    @property
    def dither(self) -> float:
        return self.wav2win.dither

    @property
    def snip_edges(self) -> bool:
        return self.wav2win.snip_edges

    @torch.jit.export
    def num_frames(self, lengths: torch.Tensor) -> torch.Tensor:
        """Kaldi's frame count for each sample count in ``lengths``."""
        return self.wav2win.num_frames(lengths)

    def _apply(self, *args, **kwargs):
        self._fast.clear()  # the tensors the short path's plans hold are replaced
        return super()._apply(*args, **kwargs)

    def _load_from_state_dict(self, *args, **kwargs):
        self._fast.clear()  # the window (in ``wav2win``) may change too
        super()._load_from_state_dict(*args, **kwargs)

    @torch.jit.unused
    def _take_work(self, like: torch.Tensor, numel: int) -> torch.Tensor:
        """A flat scratch tensor of ``numel`` elements for the frames (see :class:`~nuptse.features.kaldi.scratch.Workspace`)."""
        return self._workspace.take(like, numel)

    @torch.jit.unused
    def _give_work(self, work: torch.Tensor) -> None:
        self._workspace.give(work)

    @torch.jit.unused
    def _run_fast(self, signal: torch.Tensor, num_frames: int) -> Optional[torch.Tensor]:
        """The short path (see :mod:`nuptse.features.kaldi.fastpath`), or None where it does not apply.

        ``num_frames`` < 0: all frames of ``x`` (``forward`` without lengths).
        """
        return None

    @torch.jit.unused
    def _rows_fast(
        self, x: torch.Tensor, lens: list[int], counts: list[int], out_frames: int
    ) -> Optional[torch.Tensor]:
        """Rows of a CPU batch written straight into the output by the short path, or None."""
        return None

    # TorchScript reads the signatures of unused methods without resolving
    # string annotations (this module postpones them), so give it real types.
    _take_work.__annotations__ = {"like": torch.Tensor, "numel": int, "return": torch.Tensor}
    _give_work.__annotations__ = {"work": torch.Tensor, "return": None}
    _run_fast.__annotations__ = {
        "signal": torch.Tensor,
        "num_frames": int,
        "return": Optional[torch.Tensor],
    }
    _rows_fast.__annotations__ = {
        "x": torch.Tensor,
        "lens": list[int],
        "counts": list[int],
        "out_frames": int,
        "return": Optional[torch.Tensor],
    }

    def _fft(self, frames: torch.Tensor) -> torch.Tensor:
        if frames.numel() == 0:  # some FFT backends reject empty input
            probe = torch.fft.rfft(frames.new_zeros((1, frames.size(-1))), dim=-1)
            return probe.new_zeros((frames.size(0), frames.size(1), probe.size(-1)))
        return torch.fft.rfft(frames, dim=-1)  # frames are padded: (B, T, fft/2 + 1)

    def _power(
        self, spec: torch.Tensor, use_fft_mag: bool, scratch: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """Power (or magnitude) spectrum of ``spec``.

        Without autograd, ``scratch`` (the frames that were transformed, at
        least as many columns as ``spec``) receives the result, so that no
        new buffer is touched; ``spec`` is overwritten too.
        """
        if torch.is_grad_enabled() and spec.requires_grad:
            power = spec.real.square() + spec.imag.square()  # (B, T, fft/2 + 1)
        else:
            parts = torch.view_as_real(spec).square_()  # in place: spec is ours
            if scratch is not None and scratch.size(-1) >= spec.size(-1):
                power = scratch.narrow(2, 0, spec.size(-1))  # row stride of the frames
                torch.add(parts.select(-1, 0), parts.select(-1, 1), out=power)
            else:
                power = parts.select(-1, 0) + parts.select(-1, 1)
        if use_fft_mag:
            return power.sqrt()
        return power

    def _features(self, frames: torch.Tensor, log_e: Optional[torch.Tensor]) -> torch.Tensor:
        spec = self._fft(frames)  # (B, T, fft/2 + 1) complex
        if self.use_energy and log_e is not None:
            spec[:, :, 0] = log_e.to(spec.dtype)
        return spec

    def forward(self, x: torch.Tensor, lengths: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Features of ``x`` (batch, num_samples); ``lengths`` as in :meth:`Wav2Win.forward`."""
        if lengths is None and not torch.jit.is_scripting():
            fast = self._run_fast(x, -1)
            if fast is not None:
                return fast
        win = self.wav2win
        win._check_input(x)
        x = win._dither(x)
        if lengths is None:
            num = kaldi_num_frames(x.size(1), win._length, win._shift, win.snip_edges)
            return self._run(x, -win._offset, num)
        lens, bases, counts, spans, pos, out_frames = win._pack_layout(x, lengths)
        if x.device.type == "cpu" and not self._pack_on_cpu:
            # On CPU each row is computed in place (no packing copy); rows
            # then cost what they cost alone.  Other devices pack the rows
            # into few large launches.
            if not torch.jit.is_scripting():
                out = self._rows_fast(x, lens, counts, out_frames)
                if out is not None:
                    return out
            rows: list[torch.Tensor] = []
            for b in range(x.size(0)):
                nb = lens[b]
                rows.append(self._run(x.narrow(0, b, 1).narrow(1, 0, nb), -win._offset, counts[b]))
            return _stack_rows(rows, out_frames)
        outs: list[torch.Tensor] = []
        total = (pos - win._length) // win._shift + 1 if pos > 0 else 0
        block = self._block_frames
        for g0 in range(0, total, block):
            # Build each block of the packed signal on the fly.
            g1 = min(total, g0 + block)
            q0, q1 = g0 * win._shift, (g1 - 1) * win._shift + win._length
            seg = win._packed_slice(x, lens, bases, spans, q0, q1)
            frames, log_e = win._process(seg, g1 - g0, self.use_energy)
            outs.append(self._features(frames, log_e))
        if len(outs) == 0:
            frames, log_e = win._process(x[:1, :0], 0, self.use_energy)
            outs.append(self._features(frames, log_e))
        packed = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
        return win._unpack(packed, bases, counts, out_frames)

    def _run(self, signal: torch.Tensor, first: int, num_frames: int) -> torch.Tensor:
        """Features of frames ``m < num_frames`` starting at ``first + m * shift`` of ``signal``.

        Works a block of frames at a time (bounded memory); only the blocks
        at the ends copy samples (to reflect them), the others read the
        signal in place.  Frames do not depend on the blocking.
        """
        win = self.wav2win
        n = signal.size(1)
        shift = win._shift
        block = self._block_frames
        if num_frames <= 0:
            frames, log_e = win._process(signal[:, :0], 0, self.use_energy)
            return self._features(frames, log_e)
        work: Optional[torch.Tensor] = None
        reuse = (
            not torch.jit.is_scripting()
            and signal.device.type == "cpu"
            and not (torch.is_grad_enabled() and signal.requires_grad)
        )
        if reuse:
            fast = self._run_fast(signal, num_frames)
            if fast is not None:
                return fast
            # The frames are scratch here (every output is a new tensor), so
            # their buffer is kept for the next call: fresh multi-MiB buffers
            # cost page faults that measured ~20% of a call.
            work = self._take_work(signal, signal.size(0) * min(block, num_frames) * win.pad_length)
        outs: list[torch.Tensor] = []
        for f0 in range(0, num_frames, block):
            f1 = min(num_frames, f0 + block)
            p0 = first + f0 * shift
            part = _reflect_segment(signal, 0, n, p0, first + (f1 - 1) * shift + win._length)
            frames, log_e = win._process(part, f1 - f0, self.use_energy, work)
            outs.append(self._features(frames, log_e))
        if reuse and work is not None:
            self._give_work(work)
        if len(outs) == 1:
            return outs[0]
        return torch.cat(outs, dim=1)

    @torch.jit.export
    def online_inference(
        self,
        x: torch.Tensor,
        context: Optional[tuple[torch.Tensor, int, int]] = None,
        flush: bool = False,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, int, int]]:
        """Streaming version of :meth:`forward`: returns ``(features, context)``.

        Pass the returned ``context`` with the next chunk and ``flush=True``
        with the last one (see the module notes).
        """
        frames, log_e, ctx = self.wav2win._stream(x, context, flush, self.use_energy)
        return self._features(frames, log_e), ctx


class Wav2Spec(Wav2FFT):
    """Power spectrum (or magnitude, ``use_fft_mag=True``) of Kaldi frames.

    >>> x = torch.randn(1, 16000, dtype=torch.float32)
    >>> x.shape
    torch.Size([1, 16000])
    >>> t = Wav2Spec()
    >>> t(x).shape
    torch.Size([1, 100, 257])

    Output ``(batch, num_frames, num_fft_bins)``; with ``use_energy=True``
    bin 0 holds the log energy.
    """

    def __init__(
        self,
        sampling_rate: int = 16000,
        frame_length: float = 0.025,
        frame_shift: float = 0.01,
        round_to_power_of_two: bool = True,
        remove_dc_offset: bool = True,
        preemph_coeff: float = 0.97,
        window_type: str = "povey",
        dither: float = 0.0,
        snip_edges: bool = False,
        energy_floor: float = 1e-10,
        raw_energy: bool = True,
        use_energy: bool = True,
        use_fft_mag: bool = False,
        kaldi_log_floor: bool = False,
    ) -> None:
        super().__init__(
            sampling_rate=sampling_rate,
            frame_length=frame_length,
            frame_shift=frame_shift,
            round_to_power_of_two=round_to_power_of_two,
            remove_dc_offset=remove_dc_offset,
            preemph_coeff=preemph_coeff,
            window_type=window_type,
            dither=dither,
            snip_edges=snip_edges,
            energy_floor=energy_floor,
            raw_energy=raw_energy,
            use_energy=use_energy,
            kaldi_log_floor=kaldi_log_floor,
        )
        self.use_fft_mag = use_fft_mag

    def _features(self, frames: torch.Tensor, log_e: Optional[torch.Tensor]) -> torch.Tensor:
        power = self._power(self._fft(frames), self.use_fft_mag)  # (B, T, fft/2 + 1)
        if self.use_energy and log_e is not None:
            return _replace_first(power, log_e)
        return power


class Wav2LogSpec(Wav2FFT):
    """Log power spectrum (or log magnitude, ``use_fft_mag=True``) of Kaldi frames.

    With ``use_energy=True`` and ``kaldi_log_floor=True`` this is Kaldi's
    ``compute-spectrogram-feats``.

    >>> x = torch.randn(1, 16000, dtype=torch.float32)
    >>> x.shape
    torch.Size([1, 16000])
    >>> t = Wav2LogSpec()
    >>> t(x).shape
    torch.Size([1, 100, 257])
    """

    def __init__(
        self,
        sampling_rate: int = 16000,
        frame_length: float = 0.025,
        frame_shift: float = 0.01,
        round_to_power_of_two: bool = True,
        remove_dc_offset: bool = True,
        preemph_coeff: float = 0.97,
        window_type: str = "povey",
        dither: float = 0.0,
        snip_edges: bool = False,
        energy_floor: float = 1e-10,
        raw_energy: bool = True,
        use_energy: bool = True,
        use_fft_mag: bool = False,
        kaldi_log_floor: bool = False,
    ) -> None:
        super().__init__(
            sampling_rate=sampling_rate,
            frame_length=frame_length,
            frame_shift=frame_shift,
            round_to_power_of_two=round_to_power_of_two,
            remove_dc_offset=remove_dc_offset,
            preemph_coeff=preemph_coeff,
            window_type=window_type,
            dither=dither,
            snip_edges=snip_edges,
            energy_floor=energy_floor,
            raw_energy=raw_energy,
            use_energy=use_energy,
            kaldi_log_floor=kaldi_log_floor,
        )
        self.use_fft_mag = use_fft_mag

    def _features(self, frames: torch.Tensor, log_e: Optional[torch.Tensor]) -> torch.Tensor:
        power = self._power(self._fft(frames), self.use_fft_mag, frames)  # (B, T, fft/2 + 1)
        if self.kaldi_log_floor:
            log_power = power.clamp_min(1.1920928955078125e-07).log()  # FLT_EPSILON
        else:
            log_power = (power + 1e-15).log()  # lhotse's additive epsilon
        if self.use_energy and log_e is not None:
            return _replace_first(log_power, log_e)
        return log_power


class Wav2LogFilterBank(Wav2FFT):
    """Kaldi's log-mel filter bank ("fbank") of each frame.

    >>> x = torch.randn(1, 16000, dtype=torch.float32)
    >>> x.shape
    torch.Size([1, 16000])
    >>> t = Wav2LogFilterBank()
    >>> t(x).shape
    torch.Size([1, 100, 80])

    Output ``(batch, num_frames, num_filters)``, or ``num_filters + 1``
    columns with the log energy first when ``use_energy=True`` (as Kaldi).
    ``low_freq``/``high_freq`` bound the mel bank in Hz (``high_freq <= 0``
    is an offset from Nyquist).  ``use_fft_mag`` uses magnitudes instead of
    power.  ``torchaudio_compatible_mel_scale=True`` (default) is Kaldi's mel
    bank; ``False`` is lhotse's alternative bank, which ``norm_filters``
    scales to unit-sum filters.
    """

    def __init__(
        self,
        sampling_rate: int = 16000,
        frame_length: float = 0.025,
        frame_shift: float = 0.01,
        round_to_power_of_two: bool = True,
        remove_dc_offset: bool = True,
        preemph_coeff: float = 0.97,
        window_type: str = "povey",
        dither: float = 0.0,
        snip_edges: bool = False,
        energy_floor: float = 1e-10,
        raw_energy: bool = True,
        use_energy: bool = False,
        use_fft_mag: bool = False,
        low_freq: float = 20.0,
        high_freq: float = -400.0,
        num_filters: int = 80,
        norm_filters: bool = False,
        torchaudio_compatible_mel_scale: bool = True,
        kaldi_log_floor: bool = False,
    ) -> None:
        super().__init__(
            sampling_rate=sampling_rate,
            frame_length=frame_length,
            frame_shift=frame_shift,
            round_to_power_of_two=round_to_power_of_two,
            remove_dc_offset=remove_dc_offset,
            preemph_coeff=preemph_coeff,
            window_type=window_type,
            dither=dither,
            snip_edges=snip_edges,
            energy_floor=energy_floor,
            raw_energy=raw_energy,
            use_energy=use_energy,
            kaldi_log_floor=kaldi_log_floor,
        )
        self.use_fft_mag = use_fft_mag
        self.low_freq = low_freq
        self.high_freq = high_freq
        self.num_filters = num_filters
        self.norm_filters = norm_filters
        self.torchaudio_compatible_mel_scale = torchaudio_compatible_mel_scale
        banks = mel_banks(
            num_filters,
            self.fft_length,
            sampling_rate,
            low_freq,
            high_freq,
            norm_filters,
            torchaudio_compatible_mel_scale,
        )
        self.register_buffer("_fb", banks)  # float64; cast on use
        self.register_buffer("_fb_blocks", banks.new_zeros(0, 0), persistent=False)
        self.register_buffer("_fb_blocks_f32", banks.new_zeros(0, 0).float(), persistent=False)
        self._build_blocks()
        self.register_buffer("_eps", torch.tensor(FLT_EPSILON))

    def _build_blocks(self) -> None:
        """Pack the nonzero blocks of ``_fb`` (see :func:`band_blocks`) into ``_fb_blocks``.

        Each block's columns are zero-padded to a multiple of 8, which BLAS
        multiplies much faster; ``_blocks`` holds (first row in ``_fb_blocks``,
        FFT bin start, FFT bin end, first filter, filter count) per block.
        """
        banks = self._fb
        bounds = self._block_bounds(banks.cpu())
        width = max((c1 - c0 + 7) // 8 * 8 for _, _, c0, c1 in bounds)
        rows = sum(r1 - r0 for r0, r1, _, _ in bounds)
        packed = banks.new_zeros((rows, width))
        blocks = []
        at = 0
        for r0, r1, c0, c1 in bounds:
            packed[at : at + r1 - r0, : c1 - c0] = banks[r0:r1, c0:c1]
            blocks.append((at, r0, r1, c0, c1 - c0))
            at += r1 - r0
        self._blocks = blocks
        self._fb_blocks = packed
        self._fb_blocks_f32 = packed.float()
        self._fast.clear()  # plans hold the old blocks

    def _block_bounds(self, banks: torch.Tensor) -> list[tuple[int, int, int, int]]:
        return band_blocks(banks)

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self._build_blocks()  # a loaded ``_fb`` replaces the derived blocks too

    @torch.jit.unused
    def _run_fast(self, signal: torch.Tensor, num_frames: int) -> Optional[torch.Tensor]:
        return run_fast(self, signal, num_frames)

    @torch.jit.unused
    def _rows_fast(
        self, x: torch.Tensor, lens: list[int], counts: list[int], out_frames: int
    ) -> Optional[torch.Tensor]:
        return rows_fast(self, x, lens, counts, out_frames)

    _run_fast.__annotations__ = Wav2FFT._run_fast.__annotations__
    _rows_fast.__annotations__ = Wav2FFT._rows_fast.__annotations__

    def _log_mel(self, frames: torch.Tensor, keep_padding: bool = False) -> torch.Tensor:
        """Log-mel energies (B, T, num_filters) of ``frames``.

        With ``keep_padding`` every block's zero padding columns stay (as
        ``log(FLT_EPSILON)``), which saves copies when the caller multiplies
        by a matrix whose matching rows are zero.
        """
        power = self._power(self._fft(frames), self.use_fft_mag, frames)  # (B, T, fft/2 + 1)
        # Block-sparse product: each block of filters times the only FFT bins it touches.
        if power.dtype == torch.float32:
            weights = self._fb_blocks_f32.to(power.dtype)
        else:
            weights = self._fb_blocks.to(power.dtype)
        if len(self._blocks) == 1:
            at, r0, r1, c0, count = self._blocks[0]
            mel = _matmul(power.narrow(2, r0, r1 - r0), weights.narrow(0, at, r1 - r0))
            if not keep_padding:
                mel = mel.narrow(2, 0, count)
        else:
            parts: list[torch.Tensor] = []
            for block in self._blocks:
                at, r0, r1, c0, count = block
                part = _matmul(power.narrow(2, r0, r1 - r0), weights.narrow(0, at, r1 - r0))
                parts.append(part if keep_padding else part.narrow(2, 0, count))
            mel = torch.cat(parts, dim=-1)  # (B, T, num_filters [+ padding])
        if mel.is_contiguous() and not (torch.is_grad_enabled() and mel.requires_grad):
            return mel.clamp_min_(1.1920928955078125e-07).log_()  # in place: mel is ours
        return mel.clamp_min(1.1920928955078125e-07).log()  # FLT_EPSILON

    def _features(self, frames: torch.Tensor, log_e: Optional[torch.Tensor]) -> torch.Tensor:
        log_mel = self._log_mel(frames)  # (B, T, num_filters)
        if self.use_energy and log_e is not None:
            return torch.cat([log_e.unsqueeze(-1), log_mel], dim=-1)  # (B, T, 1 + num_filters)
        return log_mel


class Wav2MFCC(Wav2LogFilterBank):
    """Kaldi's MFCC: the DCT of the log-mel filter bank, liftered.

    >>> x = torch.randn(1, 16000, dtype=torch.float32)
    >>> x.shape
    torch.Size([1, 16000])
    >>> t = Wav2MFCC()
    >>> t(x).shape
    torch.Size([1, 100, 13])

    Output ``(batch, num_frames, num_ceps)``.  ``cepstral_lifter`` is Kaldi's
    ``Q`` (0 disables); ``use_energy=True`` replaces ``c0`` by the log
    energy.  Other options as :class:`Wav2LogFilterBank`.
    """

    def __init__(
        self,
        sampling_rate: int = 16000,
        frame_length: float = 0.025,
        frame_shift: float = 0.01,
        round_to_power_of_two: bool = True,
        remove_dc_offset: bool = True,
        preemph_coeff: float = 0.97,
        window_type: str = "povey",
        dither: float = 0.0,
        snip_edges: bool = False,
        energy_floor: float = 1e-10,
        raw_energy: bool = True,
        use_energy: bool = False,
        use_fft_mag: bool = False,
        low_freq: float = 20.0,
        high_freq: float = -400.0,
        num_filters: int = 23,
        norm_filters: bool = False,
        num_ceps: int = 13,
        cepstral_lifter: int = 22,
        torchaudio_compatible_mel_scale: bool = True,
        kaldi_log_floor: bool = False,
    ) -> None:
        super().__init__(
            sampling_rate=sampling_rate,
            frame_length=frame_length,
            frame_shift=frame_shift,
            round_to_power_of_two=round_to_power_of_two,
            remove_dc_offset=remove_dc_offset,
            preemph_coeff=preemph_coeff,
            window_type=window_type,
            dither=dither,
            snip_edges=snip_edges,
            energy_floor=energy_floor,
            raw_energy=raw_energy,
            use_energy=use_energy,
            use_fft_mag=use_fft_mag,
            low_freq=low_freq,
            high_freq=high_freq,
            num_filters=num_filters,
            norm_filters=norm_filters,
            torchaudio_compatible_mel_scale=torchaudio_compatible_mel_scale,
            kaldi_log_floor=kaldi_log_floor,
        )
        self.num_ceps = num_ceps
        self.cepstral_lifter = cepstral_lifter
        dct = dct_matrix(num_ceps, num_filters)
        lifter = lifter_coefficients(num_ceps, cepstral_lifter)
        self.register_buffer("_dct", dct)  # float64; cast on use
        self.register_buffer("_lifter", lifter)
        self.register_buffer("_cep", dct.new_zeros(0, 0), persistent=False)
        self.register_buffer("_cep_f32", dct.new_zeros(0, 0).float(), persistent=False)
        self._build_cepstrum()

    def _build_cepstrum(self) -> None:
        """``_cep``: the lifter folded into the DCT, one matrix for log-mel -> MFCC.

        ``_cep`` has a zero row for each padding column of the mel blocks, so
        that it multiplies the padded log-mel directly (see
        :meth:`Wav2LogFilterBank._log_mel`).
        """
        cep = self._dct * self._lifter  # (num_filters, num_ceps)
        self._cep = block_padded_rows(cep, self._blocks, self._fb_blocks.size(1))
        self._cep_f32 = self._cep.float()
        self._fast.clear()  # plans hold the old matrix

    def _block_bounds(self, banks: torch.Tensor) -> list[tuple[int, int, int, int]]:
        # The log-mel stays inside the layer, so every block keeps its zero
        # padding (see _build_cepstrum); 23 filters multiply faster as two
        # blocks of 16 columns than as one of 24.
        return band_blocks(banks, single_up_to=16)

    def _load_from_state_dict(self, *args, **kwargs):
        super()._load_from_state_dict(*args, **kwargs)
        self._build_cepstrum()  # follow a loaded ``_dct`` / ``_lifter``

    @staticmethod
    def make_lifter(N: int, Q: float) -> torch.Tensor:
        """Kaldi's lifter ``1 + Q/2 * sin(pi * n / Q)`` for ``n < N`` (ones when ``Q == 0``).

        >>> Wav2MFCC.make_lifter(3, 22)
        tensor([1.0000, 2.5655, 4.0991])
        """
        return lifter_coefficients(int(N), Q).to(torch.get_default_dtype())

    @staticmethod
    def make_dct_matrix(num_ceps: int, num_filters: int) -> torch.Tensor:
        """Kaldi's DCT as a ``(num_filters, num_ceps)`` matrix: ``log_mel @ dct``.

        >>> Wav2MFCC.make_dct_matrix(13, 23).shape
        torch.Size([23, 13])
        """
        return dct_matrix(int(num_ceps), int(num_filters)).to(torch.get_default_dtype())

    def _features(self, frames: torch.Tensor, log_e: Optional[torch.Tensor]) -> torch.Tensor:
        log_mel = self._log_mel(frames, True)  # (B, T, num_filters [+ padding])
        if log_mel.dtype == torch.float32:
            cep = self._cep_f32.to(log_mel.dtype)
        else:
            cep = self._cep.to(log_mel.dtype)
        mfcc = _matmul(log_mel, cep)  # (B, T, num_ceps)
        if self.use_energy and log_e is not None:
            return _replace_first(mfcc, log_e)
        return mfcc
