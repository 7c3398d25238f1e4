"""HTTP(S) audio downloads with a timeout and an error that says what went wrong.

A server that accepts a connection and never answers must not block a data
loader for minutes and then be reported as "not found". Every connect and
every read waits at most :func:`get_url_timeout` seconds (30 s by default;
``NUPTSE_URL_TIMEOUT`` or :func:`set_url_timeout` change it), and the whole
download at most ten times that. Failures raise distinct errors, all
:class:`~nuptse.audio.errors.AudioLoadingError` subclasses naming the URL:
:class:`URLRefusedError`, :class:`URLTimeoutError`, :class:`URLNotFoundError`
(also a ``FileNotFoundError``), :class:`URLTruncatedError` (fewer bytes than
the server announced) and :class:`URLFetchError` for any other HTTP status.

Only the standard library is used, so plain ``http://`` and ``https://``
audio works without aiohttp.
"""

from __future__ import annotations

import http.client
import os
import socket
import time
import urllib.error
import urllib.request
from typing import Optional

from nuptse.audio.errors import AudioFileNotFoundError, AudioLoadingError, CorruptAudioError

__all__ = [
    "URL_TIMEOUT_ENV",
    "URLFetchError",
    "URLNotFoundError",
    "URLRefusedError",
    "URLTimeoutError",
    "URLTruncatedError",
    "fetch_http",
    "get_url_timeout",
    "is_http_url",
    "set_url_timeout",
]

URL_TIMEOUT_ENV = "NUPTSE_URL_TIMEOUT"
DEFAULT_URL_TIMEOUT = 30.0
_timeout: Optional[float] = None
_CHUNK = 1 << 20


class URLFetchError(AudioLoadingError):
    """An audio URL could not be downloaded (the message names the URL and the cause)."""


class URLRefusedError(URLFetchError, ConnectionRefusedError):
    """Nothing listens at the URL's host and port."""


class URLTimeoutError(URLFetchError, TimeoutError):
    """The server did not answer (or stopped sending) within the timeout."""


class URLNotFoundError(AudioFileNotFoundError):
    """The server answered 404 or 410."""


class URLTruncatedError(CorruptAudioError):
    """The body ended before the length the server announced."""


def set_url_timeout(seconds: Optional[float]) -> None:
    """Seconds to wait for a connect or a read of an audio URL (None: back to the default)."""
    global _timeout
    if seconds is not None and not seconds > 0:
        raise ValueError(f"the URL timeout must be a positive number of seconds, got {seconds!r}")
    _timeout = seconds


def get_url_timeout() -> float:
    """The current URL timeout: :func:`set_url_timeout`, else ``NUPTSE_URL_TIMEOUT``, else 30 s."""
    if _timeout is not None:
        return _timeout
    raw = os.environ.get(URL_TIMEOUT_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"{URL_TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
        if value > 0:
            return value
    return DEFAULT_URL_TIMEOUT


def is_http_url(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _is_timeout(e: BaseException) -> bool:
    return isinstance(e, (socket.timeout, TimeoutError)) or "timed out" in str(e)


def fetch_http(url: str, timeout: Optional[float] = None) -> bytes:
    """The whole body of ``url``, or one of this module's errors naming it."""
    timeout = get_url_timeout() if timeout is None else timeout
    deadline = time.monotonic() + 10 * timeout
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - http(s) only
            announced = resp.headers.get("Content-Length")
            parts = []
            got = 0
            while True:
                if time.monotonic() > deadline:
                    raise URLTimeoutError(
                        f"Audio URL '{url}': the download took longer than {10 * timeout:.0f} s "
                        f"(got {got} bytes so far); raise the timeout with set_url_timeout() or "
                        f"{URL_TIMEOUT_ENV}"
                    )
                chunk = resp.read(_CHUNK)
                if not chunk:
                    break
                parts.append(chunk)
                got += len(chunk)
    except urllib.error.HTTPError as e:
        if e.code in (404, 410):
            raise URLNotFoundError(f"Audio URL not found: '{url}' (HTTP {e.code})") from None
        raise URLFetchError(
            f"Audio URL '{url}': the server answered HTTP {e.code} {e.reason}"
        ) from None
    except http.client.IncompleteRead as e:
        raise URLTruncatedError(
            f"Audio URL '{url}' is truncated: the server announced "
            f"{len(e.partial) + (e.expected or 0)} bytes but the connection ended after "
            f"{len(e.partial)}"
        ) from None
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, ConnectionRefusedError):
            raise URLRefusedError(f"Audio URL '{url}': connection refused") from None
        if _is_timeout(reason if isinstance(reason, BaseException) else e):
            raise URLTimeoutError(
                f"Audio URL '{url}': no answer within {timeout} s (set_url_timeout() or "
                f"{URL_TIMEOUT_ENV} to wait longer)"
            ) from None
        raise URLFetchError(f"Audio URL '{url}' could not be fetched: {reason}") from None
    except TimeoutError:
        raise URLTimeoutError(
            f"Audio URL '{url}': the server stopped sending for {timeout} s "
            f"(set_url_timeout() or {URL_TIMEOUT_ENV} to wait longer)"
        ) from None
    except ConnectionRefusedError:
        raise URLRefusedError(f"Audio URL '{url}': connection refused") from None
    except (ConnectionError, http.client.HTTPException) as e:
        raise URLFetchError(f"Audio URL '{url}': {type(e).__name__}: {e}") from None
    data = b"".join(parts)
    if announced is not None and announced.isdigit() and len(data) < int(announced):
        raise URLTruncatedError(
            f"Audio URL '{url}' is truncated: the server announced {announced} bytes but sent "
            f"{len(data)}"
        )
    return data
