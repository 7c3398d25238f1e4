"""The mel-domain Kaldi layers: :class:`Wav2LogFilterBank` and :class:`Wav2MFCC`.

Their behaviour is described in :mod:`nuptse.features.kaldi.layers`; both
run the short path of :mod:`nuptse.features.kaldi.fastpath` where it applies.
"""

from __future__ import annotations

from typing import Optional

import torch

from nuptse.features.kaldi.dsp import (
    FLT_EPSILON,
    band_blocks,
    block_padded_rows,
    dct_matrix,
    lifter_coefficients,
    mel_banks,
)
from nuptse.features.kaldi.fastpath import rows_fast, run_fast
from nuptse.features.kaldi.framing import _matmul, _replace_first
from nuptse.features.kaldi.spectral import Wav2FFT

__all__ = ["Wav2LogFilterBank", "Wav2MFCC"]


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
