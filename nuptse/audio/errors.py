"""Exceptions raised while reading audio.

Every error derives from :class:`AudioLoadingError`, so callers that want to
skip bad files catch one class.  Each subclass also derives from the builtin
exception a Python user would expect (``FileNotFoundError``, ``ValueError``,
``PermissionError``), and every message names the path or source and the value
that was asked for.
"""

from __future__ import annotations


class AudioLoadingError(Exception):
    """Base class: audio could not be read as requested."""


class AudioFileNotFoundError(AudioLoadingError, FileNotFoundError):
    """The file (or URL) behind an audio source does not exist."""


class CorruptAudioError(AudioLoadingError):
    """The data could not be decoded: a damaged, truncated or empty file."""


class UnsupportedAudioFormatError(AudioLoadingError):
    """No available decoder understands this container or codec."""


class OffsetOutOfRangeError(AudioLoadingError, ValueError):
    """The requested offset lies past the end of the recording."""


class ChannelNotFoundError(AudioLoadingError, ValueError, AssertionError):
    """A requested channel id is not one of the recording's channels (an
    ``AssertionError`` too, which is what lhotse raises for it)."""


class DurationMismatchError(AudioLoadingError):
    """The decoder returned more or fewer samples than the manifest declares,
    by more than the allowed tolerance."""


class CommandNotAllowedError(AudioLoadingError, PermissionError):
    """A ``command`` audio source would run a shell command without permission."""


class SharPlaceholderError(AudioLoadingError, RuntimeError):
    """A Shar placeholder source was read outside a Shar reader (a ``RuntimeError``
    too, which is what lhotse raises for it)."""


class SamplingRateMismatchError(ValueError, AssertionError):
    """Two pieces of audio that must share a sampling rate do not (an
    ``AssertionError`` too, which is what lhotse raises for it)."""


class AudioSavingError(Exception):
    """Audio could not be encoded or written."""


__all__ = [
    "AudioLoadingError",
    "SharPlaceholderError",
    "AudioFileNotFoundError",
    "CorruptAudioError",
    "UnsupportedAudioFormatError",
    "OffsetOutOfRangeError",
    "ChannelNotFoundError",
    "DurationMismatchError",
    "CommandNotAllowedError",
    "AudioSavingError",
    "SamplingRateMismatchError",
]
