"""Where a recording's bytes come from: :class:`AudioSource`.

Four types, in lhotse's JSON layout ``{"type", "channels", "source"}``:

* ``file``: a local path; reads seek to the requested span.
* ``url``: any fsspec URL (``s3://``, ``http://``, ``file://``...).  The
  remote file is opened as a seekable stream, so a short read fetches only
  the byte ranges the decoder asks for; when the user selected an IO backend
  (:func:`nuptse.serialization.io_backend`), it opens the URL instead.
* ``memory``: the encoded bytes themselves.  ``to_dict`` keeps them as
  ``bytes`` (as lhotse does); plain JSON cannot hold them.
* ``command``: a shell pipeline whose standard output is audio, as in a Kaldi
  ``wav.scp`` (without the trailing ``|``).  Running it executes arbitrary
  code, so it runs only with permission: ``allow_commands=True`` on the load
  call, the :func:`allow_commands` context manager, or the environment
  variable ``NUPTSE_ALLOW_COMMANDS=1``.  Otherwise
  :class:`~nuptse.audio.errors.CommandNotAllowedError` explains how to allow it.

The bytes of ``command`` and ``url`` sources are kept in
:class:`~nuptse.audio.caching.AudioCache` while caching is enabled
(``nuptse.set_caching_enabled(True)``), so several reads run the command or
download the file once.

``shar`` sources are placeholders filled in by the Shar reader.
"""

from __future__ import annotations

import io
import os
import subprocess
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from nuptse.audio.backend import info as _info
from nuptse.audio.backend import read_audio as _read_audio
from nuptse.audio.caching import AudioCache
from nuptse.audio.errors import (
    AudioFileNotFoundError,
    AudioLoadingError,
    CommandNotAllowedError,
    CorruptAudioError,
    SharPlaceholderError,
)

SOURCE_TYPES = ("file", "url", "memory", "command", "shar")
ALLOW_COMMANDS_ENV = "NUPTSE_ALLOW_COMMANDS"

_commands_allowed: ContextVar[bool] = ContextVar("nuptse_commands_allowed", default=False)


class UnknownSourceTypeError(AudioLoadingError, ValueError):
    """An audio source's ``type`` is none of :data:`SOURCE_TYPES`."""


@contextmanager
def allow_commands(enabled: bool = True):
    """Let ``command`` audio sources run inside this block (this thread/task only).

    >>> from nuptse.audio import allow_commands
    >>> with allow_commands():
    ...     pass
    """
    token = _commands_allowed.set(bool(enabled))
    try:
        yield
    finally:
        _commands_allowed.reset(token)


def commands_allowed(explicit: Optional[bool] = None) -> bool:
    """Whether a command source may run now: the explicit argument wins, then the
    context manager, then ``NUPTSE_ALLOW_COMMANDS``."""
    if explicit is not None:
        return bool(explicit)
    if _commands_allowed.get():
        return True
    return os.environ.get(ALLOW_COMMANDS_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _run_command(cmd: str, allow: Optional[bool]) -> bytes:
    if not commands_allowed(allow):
        raise CommandNotAllowedError(
            f"Refusing to run the shell command of a 'command' audio source: {cmd!r}. "
            "It executes arbitrary code. To allow it, pass allow_commands=True to load_audio(), "
            "wrap the call in `with nuptse.audio.allow_commands():`, or set the environment "
            f"variable {ALLOW_COMMANDS_ENV}=1."
        )
    proc = subprocess.run(cmd, shell=True, capture_output=True)
    if proc.returncode != 0 or not proc.stdout:
        raise CorruptAudioError(
            f"The audio command {cmd!r} exited with status {proc.returncode} and produced "
            f"{len(proc.stdout)} bytes; stderr: {proc.stderr.decode(errors='replace')[-500:]!r}"
        )
    return proc.stdout


def _open_url(url: str):
    """A binary file object for ``url``: through the IO backend the user selected
    (:func:`nuptse.serialization.set_current_io_backend`), else a seekable fsspec
    stream (a short read fetches only the byte ranges the decoder asks for)."""
    from nuptse.serialization import get_current_io_backend, user_selected_io_backend

    if user_selected_io_backend():
        return get_current_io_backend().open(url, "rb")
    from nuptse.audio.url_fetch import fetch_http, is_http_url

    if is_http_url(url):  # timeouts and distinct errors (refused, timed out, 404, truncated)
        return io.BytesIO(fetch_http(url))
    import fsspec

    return fsspec.open(url, "rb").open()


def _cached(key: str, produce) -> bytes:
    """The bytes for ``key`` from :class:`AudioCache` (when enabled), else ``produce()``."""
    data = AudioCache.try_cache(key)
    if data is None:
        data = produce()
        AudioCache.add_to_cache(key, data)
    return data


@dataclass
class AudioSource:
    """One file, URL, byte string or command holding some of a recording's channels.

    >>> s = AudioSource(type="file", channels=[0], source="audio.wav")
    >>> s.to_dict()
    {'type': 'file', 'channels': [0], 'source': 'audio.wav'}
    """

    type: str
    channels: list[int]
    source: Union[str, bytes]
    video: Optional[Any] = field(default=None)

    def __post_init__(self):
        # An unknown type is kept (a manifest from a newer lhotse stays readable);
        # reading it raises UnknownSourceTypeError.
        if self.type == "memory" and not isinstance(self.source, (bytes, bytearray, memoryview)):
            raise ValueError(
                f"A 'memory' AudioSource needs bytes, got {type(self.source).__name__}"
            )
        if self.type != "memory" and isinstance(self.source, Path):
            self.source = str(self.source)
        self.channels = [int(c) for c in self.channels]

    # ------------------------------------------------------------------ info
    @property
    def has_video(self) -> bool:
        return self.video is not None

    @property
    def format(self) -> str:
        """Lower-case format: the file extension for paths/URLs, sniffed for bytes."""
        if self.type in ("file", "url"):
            return os.path.splitext(str(self.source))[1][1:].lower()
        if self.type == "memory":
            import soundfile as sf

            i = sf.info(io.BytesIO(bytes(self.source)))
            return "opus" if i.subtype == "OPUS" else i.format.lower()
        raise NotImplementedError(f"Cannot tell the format of a {self.type!r} source")

    def _describe(self) -> str:
        if self.type == "memory":
            return f"<{len(self.source)} bytes in memory>"
        return f"{self.type}:{self.source}"

    # ------------------------------------------------------------------ reading
    @contextmanager
    def _open(self, allow_commands: Optional[bool] = None):
        """Yield something the decoders accept: a path or a binary file object."""
        if self.type == "file":
            yield self.source
        elif self.type == "memory":
            yield io.BytesIO(bytes(self.source))
        elif self.type == "command":
            yield io.BytesIO(
                _cached(str(self.source), lambda: _run_command(self.source, allow_commands))
            )
        elif self.type == "url" and AudioCache.enabled():
            yield io.BytesIO(_cached(str(self.source), lambda: self._fetch_url()))
        elif self.type == "url":
            try:
                f = _open_url(str(self.source))
            except AudioLoadingError:
                raise  # already specific (url_fetch's errors name the URL and the cause)
            except FileNotFoundError as e:
                raise AudioFileNotFoundError(f"Audio URL not found: '{self.source}' ({e})") from e
            except Exception as e:
                raise AudioLoadingError(f"Could not open audio URL '{self.source}': {e}") from e
            try:
                yield f
            finally:
                f.close()
        elif self.type != "shar":
            raise UnknownSourceTypeError(
                f"Cannot read an AudioSource of unknown type {self.type!r} "
                f"(source {self._describe()}); nuptse reads {SOURCE_TYPES}"
            )
        else:
            raise SharPlaceholderError(
                "This AudioSource is a Shar placeholder; its audio is filled in only when the "
                "cut is read through a Shar reader"
            )

    def _fetch_url(self) -> bytes:
        try:
            with _open_url(str(self.source)) as f:
                return f.read()
        except AudioLoadingError:
            raise
        except FileNotFoundError as e:
            raise AudioFileNotFoundError(f"Audio URL not found: '{self.source}' ({e})") from e
        except Exception as e:
            raise AudioLoadingError(f"Could not read audio URL '{self.source}': {e}") from e

    def load_audio(
        self,
        offset: float = 0.0,
        duration: Optional[float] = None,
        force_opus_sampling_rate: Optional[int] = None,
        allow_commands: Optional[bool] = None,
    ) -> np.ndarray:
        """Decode ``duration`` seconds from ``offset`` as float32 ``(channels, samples)``.

        With ``force_opus_sampling_rate`` the result is at that rate (a
        resampled Opus stream, or any other source whose rate differs).
        """
        with self._open(allow_commands) as src:
            try:
                samples, _ = _read_audio(
                    src,
                    offset=offset,
                    duration=duration,
                    force_opus_sampling_rate=force_opus_sampling_rate,
                )
            except AudioLoadingError as e:
                if self.type in ("file",):
                    raise
                raise type(e)(f"{e} [source {self._describe()}]") from e
        return samples

    def info(self, allow_commands: Optional[bool] = None):
        """The decoder's :class:`~nuptse.audio.backend.AudioInfo` for this source."""
        with self._open(allow_commands) as src:
            return _info(src)

    def read_bytes(self, allow_commands: Optional[bool] = None) -> bytes:
        """The encoded bytes of this source (file contents, download, command output)."""
        if self.type == "memory":
            return bytes(self.source)
        if self.type == "command":
            return _run_command(str(self.source), allow_commands)
        if self.type == "file":
            try:
                with open(self.source, "rb") as f:
                    return f.read()
            except FileNotFoundError as e:
                raise AudioFileNotFoundError(f"Audio file not found: '{self.source}'") from e
        with self._open(allow_commands) as f:
            return f.read()

    # ------------------------------------------------------------------ manifests
    def with_path_prefix(self, path) -> AudioSource:
        """A copy whose relative ``file`` path is joined to ``path`` (others unchanged)."""
        if self.type != "file":
            return self
        return AudioSource(
            type=self.type,
            channels=list(self.channels),
            source=str(Path(path) / self.source),
            video=self.video,
        )

    def to_dict(self) -> dict:
        d = {"type": self.type, "channels": list(self.channels), "source": self.source}
        if self.video is not None:
            d["video"] = self.video.to_dict() if hasattr(self.video, "to_dict") else self.video
        return d

    @staticmethod
    def from_dict(data: dict) -> AudioSource:
        data = dict(data)
        video = data.pop("video", None)
        if isinstance(video, dict):
            from nuptse.audio.utils import VideoInfo

            video = VideoInfo.from_dict(video)
        return AudioSource(**data, video=video)

    def __repr__(self) -> str:
        shown = self.source if isinstance(self.source, str) else "<binary-data>"
        return f"AudioSource(type={self.type!r}, channels={self.channels}, source={shown!r})"
