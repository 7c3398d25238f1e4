"""Audio URLs: a timeout instead of a hang, and a distinct error for each failure.

Every server here listens on 127.0.0.1 only.
"""

import http.server
import socket
import threading

import numpy as np
import pytest
import soundfile as sf

from nuptse.audio import AudioSource
from nuptse.audio.errors import AudioLoadingError
from nuptse.audio.url_fetch import (
    URLNotFoundError,
    URLRefusedError,
    URLTimeoutError,
    URLTruncatedError,
    set_url_timeout,
)


@pytest.fixture(autouse=True)
def short_timeout():
    set_url_timeout(0.5)
    yield
    set_url_timeout(None)


def _src(url):
    return AudioSource(type="url", channels=[0], source=url)


@pytest.fixture
def silent_server():
    """Accepts connections and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    held = []

    def accept():
        while True:
            try:
                held.append(s.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{s.getsockname()[1]}/a.wav"
    s.close()
    for c in held:
        c.close()


@pytest.fixture
def http_server(fixtures_dir):
    wav = (fixtures_dir / "mono_c0.wav").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/a.wav":
                self.send_response(200)
                self.send_header("Content-Length", str(len(wav)))
                self.end_headers()
                self.wfile.write(wav)
            elif self.path == "/short.wav":
                self.send_response(200)
                self.send_header("Content-Length", str(len(wav)))
                self.end_headers()
                self.wfile.write(wav[: len(wav) // 2])
                self.close_connection = True
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_silent_server_times_out(silent_server):
    with pytest.raises(URLTimeoutError, match="127.0.0.1"):
        _src(silent_server).load_audio()


def test_refused(silent_server):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(URLRefusedError, match=str(port)):
        _src(f"http://127.0.0.1:{port}/a.wav").load_audio()


def test_not_found(http_server):
    with pytest.raises(URLNotFoundError, match="404"):
        _src(f"{http_server}/missing.wav").load_audio()
    assert issubclass(URLNotFoundError, FileNotFoundError)


def test_truncated(http_server):
    with pytest.raises(URLTruncatedError, match="short.wav"):
        _src(f"{http_server}/short.wav").load_audio()


def test_errors_are_distinct_audio_loading_errors():
    kinds = [URLRefusedError, URLTimeoutError, URLNotFoundError, URLTruncatedError]
    assert all(issubclass(k, AudioLoadingError) for k in kinds)
    assert len({k.__mro__[1] for k in kinds} | set(kinds)) >= 4


def test_good_url_loads(http_server, fixtures_dir):
    ref, _ = sf.read(fixtures_dir / "mono_c0.wav", dtype="float32")
    audio = _src(f"{http_server}/a.wav").load_audio()
    np.testing.assert_array_equal(audio[0], ref)
