"""The spectral Kaldi layers: :class:`Wav2FFT` (the base of all of them), :class:`Wav2Spec`, :class:`Wav2LogSpec`.

Their behaviour (Kaldi's algorithm, lhotse's deliberate differences, batches,
streaming, memory) is described in :mod:`nuptse.features.kaldi.layers`.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from nuptse.features.kaldi.dsp import next_power_of_2
from nuptse.features.kaldi.framing import (
    Wav2Win,
    _replace_first,
    _stack_rows,
)
from nuptse.features.kaldi.reflect import _reflect_segment
from nuptse.features.kaldi.scratch import FastState, Workspace
from nuptse.timing import compute_num_samples, kaldi_num_frames

__all__ = ["Wav2FFT", "Wav2Spec", "Wav2LogSpec"]


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
        if not torch.jit.is_scripting():
            if not isinstance(x, torch.Tensor):
                raise TypeError(
                    f"Expected a torch.Tensor waveform, got {type(x).__name__} "
                    "(convert a numpy array with torch.from_numpy)"
                )
            self.wav2win._check_input(x)
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
        context: Optional[torch.Tensor] = None,
        flush: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Streaming :meth:`forward`: returns ``(features, remainder)``.

        Pass the returned remainder (a tensor) with the next chunk and
        ``flush=True`` with the last one (see the module notes of
        :mod:`nuptse.features.kaldi.layers`).
        """
        frames, log_e, remainder = self.wav2win._stream(x, context, flush, self.use_energy)
        return self._features(frames, log_e), remainder


class _Spectrogram(Wav2FFT):
    """The constructor :class:`Wav2Spec` and :class:`Wav2LogSpec` share (``use_fft_mag``)."""

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


class Wav2Spec(_Spectrogram):
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

    def _features(self, frames: torch.Tensor, log_e: Optional[torch.Tensor]) -> torch.Tensor:
        power = self._power(self._fft(frames), self.use_fft_mag)  # (B, T, fft/2 + 1)
        if self.use_energy and log_e is not None:
            return _replace_first(power, log_e)
        return power


class Wav2LogSpec(_Spectrogram):
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

    def _features(self, frames: torch.Tensor, log_e: Optional[torch.Tensor]) -> torch.Tensor:
        power = self._power(self._fft(frames), self.use_fft_mag, frames)  # (B, T, fft/2 + 1)
        if self.kaldi_log_floor:
            log_power = power.clamp_min(1.1920928955078125e-07).log()  # FLT_EPSILON
        else:
            log_power = (power + 1e-15).log()  # lhotse's additive epsilon
        if self.use_energy and log_e is not None:
            return _replace_first(log_power, log_e)
        return log_power
