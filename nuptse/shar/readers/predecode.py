"""Decoding FLAC audio ahead of the consumer, in background threads.

With ``LazySharIterator(..., decode_workers=N)`` the FLAC bytes of the next
cuts are decoded by ``N`` threads (FFmpeg's decoder through PyAV for 16-bit
FLAC, see :mod:`nuptse.shar.readers.flac`, otherwise libsndfile; both release
the GIL while they decode) while the caller works on the current cut.  The decoded samples are
kept as an in-memory WAV of the same sample format, so ``load_audio()``
returns exactly the samples the FLAC decodes to, at the cost of a copy.
"""

from __future__ import annotations

import struct
from io import BytesIO

import numpy as np

# soundfile subtype -> (numpy dtype to read, WAV bits per sample)
_PCM = {"PCM_S8": ("int16", 16), "PCM_U8": ("int16", 16), "PCM_16": ("int16", 16)}
_PCM32 = {"PCM_24": ("int32", 32), "PCM_32": ("int32", 32)}


def wav_bytes(samples: np.ndarray, sampling_rate: int, bits: int) -> bytes:
    """A PCM WAV file holding interleaved ``(frames, channels)`` integer samples."""
    frames, channels = samples.shape
    data = np.ascontiguousarray(samples).tobytes()
    block = channels * bits // 8
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    fmt = struct.pack("<HHIIHH", 1, channels, sampling_rate, sampling_rate * block, block, bits)
    return (
        header
        + b"fmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(data))
        + data
    )


def _unbuffered_source(data: bytes):
    """An in-memory file descriptor holding ``data`` (a BytesIO where there is none).

    libsndfile reads a descriptor with plain ``read`` calls, so the whole decode
    runs without the GIL; a file object would call back into Python for
    every read and make the decoding threads queue for the GIL.
    """
    import os

    if not hasattr(os, "memfd_create"):
        return BytesIO(data)
    fd = os.memfd_create("nuptse-shar-predecode", getattr(os, "MFD_CLOEXEC", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd


def predecode_flac(data: bytes) -> bytes:
    """The WAV equivalent of FLAC ``data`` (other input is returned unchanged)."""
    if data[:4] != b"fLaC":
        return data
    from nuptse.audio.flac import decode_flac16

    fast = decode_flac16(data)
    if fast is not None:
        samples, rate = fast
        return wav_bytes(samples.T, rate, 16)
    import soundfile as sf

    with sf.SoundFile(_unbuffered_source(data), closefd=True) as f:
        spec = _PCM.get(f.subtype) or _PCM32.get(f.subtype)
        if spec is None:
            return data
        dtype, bits = spec
        samples = f.read(dtype=dtype, always_2d=True)
        rate = f.samplerate
    return wav_bytes(samples, rate, bits)


def predecode_recording_dict(d: dict) -> dict:
    """Replace a filled Shar recording dict's FLAC bytes by WAV bytes."""
    src = d["sources"][0]
    src["source"] = predecode_flac(src["source"])
    return d
