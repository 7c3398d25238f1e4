"""Audio shards: each item is an encoded audio member plus its Recording manifest."""

from __future__ import annotations

from io import BytesIO
from typing import Any, Optional

import numpy as np

from nuptse.shar.errors import SharError
from nuptse.shar.utils import manifest_json_bytes, to_shar_placeholder
from nuptse.shar.writers.tar import FieldTarWriter, TarWriter

AUDIO_FORMATS = ("wav", "flac", "mp3", "opus")
#: Rates that the Opus encoder accepts.
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def opus_ready(samples: np.ndarray, manifest: Any, duration: float) -> tuple[np.ndarray, Any]:
    """Resample audio (and its Recording manifest) to 48 kHz if Opus cannot take its rate.

    Opus encodes 8, 12, 16, 24 or 48 kHz only; other rates go to 48 kHz, as
    lhotse's torchaudio-based writer does.
    """
    import dataclasses

    rate = int(manifest.sampling_rate)
    if rate in OPUS_RATES:
        return samples, manifest
    from nuptse.audio.resampling import polyphase_resample
    from nuptse.timing import compute_num_samples

    target = 48000
    out = polyphase_resample(np.asarray(samples), rate, target)
    n = compute_num_samples(duration, target)
    if out.shape[1] != n:  # keep the manifest and the samples in agreement
        out = out[:, :n] if out.shape[1] > n else np.pad(out, ((0, 0), (0, n - out.shape[1])))
    return out, dataclasses.replace(manifest, sampling_rate=target, num_samples=n)


def encode_audio(samples: np.ndarray, sampling_rate: int, format: str) -> bytes:
    """Encode float ``(channels, samples)`` audio as ``format`` bytes."""
    from nuptse.audio.backend import save_audio

    if format == "opus" and sampling_rate not in OPUS_RATES:
        raise SharError(
            f"Opus cannot encode audio at {sampling_rate} Hz (supported: {OPUS_RATES}); "
            "resample the cuts first or choose another format"
        )
    buf = BytesIO()
    save_audio(buf, samples, sampling_rate, format=format)
    return buf.getvalue()


class AudioTarWriter(FieldTarWriter):
    """Write audio arrays, encoded as ``wav``/``flac``/``mp3``/``opus``, into tar shards.

    Each :meth:`write` adds ``<key>.<format>`` followed by ``<key>.json``, the
    Recording manifest with its sources replaced by a ``"shar"`` placeholder.

    >>> import tempfile, os, numpy as np
    >>> from nuptse.audio import Recording
    >>> d = tempfile.mkdtemp()
    >>> rec = Recording(id="r", sources=[], sampling_rate=16000, num_samples=160, duration=0.01)
    >>> with AudioTarWriter(os.path.join(d, "a.%06d.tar"), shard_size=10, format="wav") as w:
    ...     w.write("r", np.zeros((1, 160), dtype=np.float32), 16000, rec)
    >>> os.listdir(d)
    ['a.000000.tar']
    """

    def __init__(
        self,
        pattern: Any,
        shard_size: Optional[int] = 1000,
        format: str = "flac",
        shard_offset: int = 0,
    ):
        if format not in AUDIO_FORMATS + ("original",):
            raise SharError(
                f"unknown audio format {format!r}; expected one of {AUDIO_FORMATS + ('original',)}",
                shard=pattern,
            )
        self.format = format
        self.tar_writer = TarWriter(pattern, shard_size, shard_offset=shard_offset)

    def resolve_format(self, original_format: Optional[str]) -> str:
        if self.format != "original":
            return self.format
        if original_format not in AUDIO_FORMATS:
            raise SharError(
                f"format='original' needs a source in one of {AUDIO_FORMATS}, got "
                f"{original_format!r}",
                shard=self.tar_writer.pattern,
            )
        return original_format

    def write(
        self,
        key: str,
        value: np.ndarray,
        sampling_rate: int,
        manifest: Any,
        original_format: Optional[str] = None,
    ) -> None:
        """Encode ``value`` (``(channels, samples)``) and store it with ``manifest``."""
        fmt = self.resolve_format(original_format)
        if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
            value = value.numpy()
        value = np.asarray(value)
        if fmt == "opus" and int(sampling_rate) == int(manifest.sampling_rate):
            value, manifest = opus_ready(value, manifest, manifest.duration)
            sampling_rate = manifest.sampling_rate
        data = encode_audio(value, int(sampling_rate), fmt)
        self.write_encoded(key, data, manifest, fmt)

    def write_encoded(self, key: str, data: bytes, manifest: Any, format: str) -> None:
        """Store already-encoded ``format`` bytes (no re-encoding) with ``manifest``."""
        placeholder = to_shar_placeholder(manifest)
        self.tar_writer.write(f"{key}.{format}", data)
        self.tar_writer.write(f"{key}.json", manifest_json_bytes(placeholder), count=False)
