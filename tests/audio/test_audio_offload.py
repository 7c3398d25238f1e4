"""Decoding in a helper process gives exactly what an in-process read gives."""

from __future__ import annotations

import io
import multiprocessing
import os
import time

import numpy as np
import pytest

sf = pytest.importorskip("soundfile")

from nuptse.audio import offload  # noqa: E402
from nuptse.audio.backend import read_audio  # noqa: E402

pytestmark = pytest.mark.skipif(not offload.SUPPORTED, reason="helper processes need POSIX")


def _wait_ready(helper, seconds: float = 30.0):
    end = time.monotonic() + seconds
    while not helper.ready():
        if time.monotonic() > end:
            raise TimeoutError("decode process did not start")
        time.sleep(0.01)
    return helper


@pytest.fixture
def helper():
    h = offload.DecodeProcess()
    yield h
    h.close()


def _flac24_stereo() -> bytes:
    rng = np.random.default_rng(1)
    x = rng.integers(-(2**23), 2**23, size=(1500, 2)) / 2**23
    buf = io.BytesIO()
    sf.write(buf, x, 16000, format="FLAC", subtype="PCM_24")
    return buf.getvalue()


def test_answers_equal_in_process_reads_in_order(helper, fixtures_dir):
    inputs = [
        (fixtures_dir / "mini_corpus/dev-clean-2/9001/500/9001-500-0001.flac").read_bytes(),
        _flac24_stereo(),  # not 16-bit: sent back as float32
        (fixtures_dir / "stereo.wav").read_bytes(),
        (fixtures_dir / "mono_c0.opus").read_bytes(),
    ]
    for data in inputs:
        helper.submit(data)
    assert helper.outstanding == len(inputs)
    for data in inputs:
        samples, rate = helper.result()
        ref, ref_rate = read_audio(io.BytesIO(data))
        assert rate == ref_rate and samples.dtype == np.float32
        np.testing.assert_array_equal(samples, ref)
    assert helper.outstanding == 0


def test_undecodable_bytes_give_none_and_the_helper_goes_on(helper, fixtures_dir):
    good = (fixtures_dir / "mono_c0.wav").read_bytes()
    helper.submit(b"fLaC" + b"\0" * 200)
    helper.submit(b"not audio at all")
    helper.submit(good)
    assert helper.result() is None
    assert helper.result() is None
    np.testing.assert_array_equal(helper.result()[0], read_audio(io.BytesIO(good))[0])


def test_a_dead_helper_is_reported(helper, fixtures_dir):
    _wait_ready(helper)
    helper._proc.kill()
    helper._proc.wait()
    assert not helper.alive()
    helper.submit((fixtures_dir / "mono_c0.wav").read_bytes())
    with pytest.raises(offload.DecodeProcessError):
        helper.result()


def test_result_without_a_request_is_an_error(helper):
    with pytest.raises(offload.DecodeProcessError, match="without a pending request"):
        helper.result()


def test_released_helpers_serve_the_next_read():
    first = _wait_ready(offload.acquire())
    offload.release(first)
    again = offload.acquire()
    try:
        assert again is first and again.ready()
    finally:
        again.close()


def test_a_helper_with_unread_answers_is_stopped_not_kept(fixtures_dir):
    h = _wait_ready(offload.acquire())
    h.submit((fixtures_dir / "mono_c0.wav").read_bytes())
    offload.release(h)
    assert h not in offload._parked
    assert h._proc.wait(timeout=10) is not None


def _child_sees_no_parked_helpers(queue):
    queue.put(len(offload._parked))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_children_do_not_take_the_parents_helpers():
    h = _wait_ready(offload.acquire())
    offload.release(h)
    try:
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_child_sees_no_parked_helpers, args=(queue,))
        child.start()
        child.join(30)
        assert queue.get(timeout=5) == 0
        assert h.alive() and h in offload._parked  # the parent still has it
    finally:
        offload._stop_parked()


def test_malformed_answers_are_protocol_errors(helper):
    # What the caller reads is checked: a bad start byte, an unknown answer
    # kind and an answer cut short each raise DecodeProcessError.
    real_out = helper._out
    r, w = os.pipe()
    helper._out = open(r, "rb", buffering=0)
    try:
        os.write(w, b"X")  # not the "ready" byte
        helper.submit(b"x")
        with pytest.raises(offload.DecodeProcessError, match="did not start"):
            helper.result()
        helper._is_ready, helper.outstanding = True, 1
        os.write(w, offload._RESPONSE.pack(7, 1, 16000, 10))
        with pytest.raises(offload.DecodeProcessError, match="unknown answer kind 7"):
            helper.result()
        helper.submit(b"x")
        os.write(w, offload._RESPONSE.pack(offload._INT16, 1, 16000, 10) + b"\0\0")
        os.close(w)
        with pytest.raises(offload.DecodeProcessError, match="after 2/20 bytes"):
            helper.result()
    finally:
        helper._out.close()
        helper._out = real_out
