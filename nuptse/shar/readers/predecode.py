"""Decoding Shar audio ahead of the consumer, in helper processes.

With ``LazySharIterator(..., decode_workers=N)`` the reader keeps a few cuts
ahead of the caller and hands the audio bytes of some of them to ``N``
:class:`~nuptse.audio.offload.DecodeProcess` helpers, while the caller's
process keeps reading tars, building cuts, decompressing features and
decoding the other cuts' audio itself.  On a machine with an idle core this
is where Shar reading gets faster than one process can go (FLAC decoding is
most of the work).  Helper *processes*, not threads: the decoders take and
release the GIL once per frame, so a decoding thread mostly waits for the
caller's thread.

How many cuts go to the helpers adapts as the read goes (:class:`DecodeAhead`):
when a helper's answer is already there as its cut comes up, the helpers get
a larger share; when the caller has to wait for one, a smaller one.  Until
the helpers have started (about half a second), the caller decodes
everything itself, so short reads lose nothing.

The samples are attached to the cut's in-memory
:class:`~nuptse.audio.source.AudioSource` (:meth:`~nuptse.audio.source.AudioSource.attach_decoded`);
the cut's first whole ``load_audio()`` takes them instead of decoding, and
any other read decodes the bytes as usual.  The helper decodes with the same
function ``load_audio()`` uses, so the samples are identical.  The source
keeps its encoded bytes, so writing the cut again (``to_shar``, ``to_dict``)
is unchanged.  Bytes a helper cannot decode, or a helper that dies, leave
the cut to its own ``load_audio()`` (which raises the usual error).
"""

from __future__ import annotations

import logging
from typing import Optional

logger = logging.getLogger(__name__)

#: Bounds of the share of cuts handed to the helpers.
_MIN_SHARE, _MAX_SHARE, _STEP = 0.25, 1.0, 0.05


class DecodeAhead:
    """Hands audio bytes to helper processes in a share that follows their speed.

    :meth:`assign` is called for each cut as it enters the reader's
    look-ahead, :meth:`take` as it leaves, in the same order.
    """

    def __init__(self, workers: int) -> None:
        from nuptse.audio.offload import DecodeProcessError, acquire

        self.helpers = []
        for _ in range(workers):
            try:
                self.helpers.append(acquire())
            except (DecodeProcessError, OSError) as e:
                logger.warning("cannot start a Shar decode process (%s); decoding in-process", e)
                break
        self.share = 0.75  # of the cuts that go to a helper
        self._credit = 0.0

    def assign(self, data: bytes):
        """A helper now decoding ``data``, or None (the caller decodes it when loaded)."""
        if not self.helpers:
            return None
        self._credit += self.share
        if self._credit < 1.0:
            return None
        ready = [h for h in list(self.helpers) if self._ready(h)]
        if not ready:
            self._credit = 0.0
            return None
        self._credit -= 1.0
        helper = min(ready, key=lambda h: h.outstanding)
        helper.submit(bytes(data))
        return helper

    def _ready(self, helper) -> bool:
        from nuptse.audio.offload import DecodeProcessError

        try:
            return helper.ready()
        except (DecodeProcessError, OSError) as e:
            self._drop(helper, e)
            return False

    def _drop(self, helper, error: Exception) -> None:
        logger.warning("a Shar decode process failed (%s); decoding in this process", error)
        self.helpers.remove(helper)
        helper.close()

    def take(self, helper) -> Optional[tuple]:
        """The answer of ``helper`` for its oldest request, or None (decode it yourself)."""
        from nuptse.audio.offload import DecodeProcessError

        if helper not in self.helpers:
            return None  # that helper has failed
        if not helper.has_answer():
            self.share = max(_MIN_SHARE, self.share - _STEP)
        else:
            self.share = min(_MAX_SHARE, self.share + _STEP)
        try:
            return helper.result()
        except (DecodeProcessError, OSError) as e:
            self._drop(helper, e)
            return None

    def close(self) -> None:
        """Give the helpers back for the next read (or stop them, see :func:`~nuptse.audio.offload.release`)."""
        from nuptse.audio.offload import release

        for helper in self.helpers:
            release(helper)
        self.helpers = []
