"""Opt-in caches, the resampling backend switch, URL sources through IO backends,
and custom sources whose network errors can be suppressed."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

import nuptse
from nuptse.audio import AudioSource, Recording, allow_commands, suppress_audio_loading_errors
from nuptse.audio.caching import AudioCache, dynamic_lru_cache


@pytest.fixture
def caching():
    nuptse.set_caching_enabled(True)
    yield
    nuptse.set_caching_enabled(False)


def test_command_output_is_cached_only_when_enabled(tmp_path, fixtures_dir, caching):
    path = tmp_path / "a.wav"
    path.write_bytes((fixtures_dir / "mono_c0.wav").read_bytes())
    src = AudioSource("command", [0], f"cat {path}")
    with allow_commands():
        first = src.load_audio()
        path.write_bytes((fixtures_dir / "mono_c1.wav").read_bytes())
        np.testing.assert_array_equal(src.load_audio(), first)  # from the cache
        nuptse.set_caching_enabled(False)
        expected, _ = sf.read(fixtures_dir / "mono_c1.wav", dtype="float32")
        np.testing.assert_array_equal(src.load_audio()[0], expected)  # re-run


def test_audio_cache_limits():
    AudioCache.enable(True)
    try:
        old = AudioCache.max_cache_elements
        AudioCache.max_cache_elements = 2
        for k in "abc":
            AudioCache.add_to_cache(k, k.encode())
        assert AudioCache.try_cache("a") is None and AudioCache.try_cache("c") == b"c"
    finally:
        AudioCache.max_cache_elements = old
        AudioCache.enable(False)
    assert AudioCache.try_cache("c") is None


def test_dynamic_lru_cache(caching):
    calls = []

    @dynamic_lru_cache
    def square(x):
        calls.append(x)
        return x * x

    assert square(3) == square(3) == 9 and calls == [3]
    nuptse.set_caching_enabled(False)
    square(3)
    assert calls == [3, 3]


def test_url_source_uses_the_selected_io_backend(fixtures_dir):
    from nuptse.serialization import IOBackend, io_backend

    opened = []

    class LocalMirror(IOBackend):
        def open(self, identifier, mode):
            opened.append(identifier)
            return open(fixtures_dir / "mono_c0.wav", mode)

    src = AudioSource("url", [0], "mirror://mono_c0.wav")
    with io_backend(LocalMirror()):
        audio = src.load_audio()
    expected, _ = sf.read(fixtures_dir / "mono_c0.wav", dtype="float32")
    np.testing.assert_array_equal(audio[0], expected)
    assert opened == ["mirror://mono_c0.wav"]


def test_resampling_backend_switch(monkeypatch, fixtures_dir):
    from nuptse.audio import resampling_backend as rb
    from nuptse.tools import libsox

    monkeypatch.setattr(rb, "CURRENT_RESAMPLING_BACKEND", None)
    assert nuptse.get_current_resampling_backend() == "default"
    with nuptse.resampling_backend("sox"):
        assert nuptse.get_current_resampling_backend() == "sox"
        rec = Recording.from_file(fixtures_dir / "mono_c0.wav").resample(16000)
        if not libsox.libsox_available():
            with pytest.raises(RuntimeError, match="libsox"):
                rec.load_audio()
            assert libsox.LIBSOX_INITIALIZED is False
    assert nuptse.get_current_resampling_backend() == "default"
    with pytest.raises(ValueError):
        nuptse.set_current_resampling_backend("speex")


class FlakyNetworkSource:
    """A custom source object: Recording only needs channels, type and load_audio."""

    type = "url"
    channels = [0]

    def load_audio(self, offset=0.0, duration=None, force_opus_sampling_rate=None):
        raise ConnectionResetError("peer went away")


def test_custom_source_errors_propagate_and_can_be_suppressed():
    rec = Recording("r", [FlakyNetworkSource()], 16000, 16000, 1.0, channel_ids=[0])
    with pytest.raises(ConnectionResetError):
        rec.load_audio()
    with suppress_audio_loading_errors():
        rec.load_audio()
        pytest.fail("the error should have left the block")  # pragma: no cover
