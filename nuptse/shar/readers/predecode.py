"""Decoding Shar audio ahead of the consumer, in background threads.

With ``LazySharIterator(..., decode_workers=N)`` the audio bytes of the next
cuts are decoded by ``N`` threads while the caller works on the current cut.
16-bit FLAC goes through FFmpeg's decoder (:mod:`nuptse.audio.flac`), which
runs without the GIL, so on a machine with an idle core the decoding overlaps
the caller's work (tar parsing, cut building, feature decompression).

The samples are attached to the cut's in-memory
:class:`~nuptse.audio.source.AudioSource` (:meth:`~nuptse.audio.source.AudioSource.attach_decoded`);
the cut's first whole ``load_audio()`` takes them instead of decoding, and
any other read decodes the bytes as usual.  They are decoded by the same
function ``load_audio()`` uses, so the samples are identical.  The source
keeps its encoded bytes, so writing the cut again (``to_shar``, ``to_dict``)
is unchanged.
"""

from __future__ import annotations

import io
import logging
from typing import Optional

logger = logging.getLogger(__name__)


def decode_memory_audio(data: bytes) -> Optional[tuple]:
    """``(float32 (channels, n), rate)`` of in-memory audio as a whole read gives it.

    Returns None when the bytes do not decode: the cut's own ``load_audio()``
    then decodes them again and raises its usual error.
    """
    from nuptse.audio.backend import read_audio
    from nuptse.audio.errors import AudioLoadingError

    try:
        return read_audio(io.BytesIO(data))
    except AudioLoadingError as e:
        logger.debug("decode-ahead left a member to load_audio(): %s", e)
        return None
