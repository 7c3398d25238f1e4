"""Pool workers of compute_and_store_features end when their parent is killed."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, sys, time
    from nuptse.cut import CutSet
    from nuptse.features import Fbank

    pids = sys.argv[2]

    class Slow:
        def __call__(self, audio, sr):
            with open(pids, "a") as f:
                f.write(f"{os.getpid()}\\n")
            time.sleep(600)
            return audio

    cuts = CutSet.from_file(sys.argv[1])
    cuts.compute_and_store_features(
        Fbank(), sys.argv[3], num_jobs=2, augment_fn=Slow(), progress_bar=False
    )
    """
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return True


@pytest.mark.skipif(sys.platform != "linux", reason="uses /proc and fork")
def test_workers_exit_after_parent_is_killed(fixture_cuts, tmp_path):
    manifest = tmp_path / "cuts.jsonl.gz"
    fixture_cuts.subset(first=4).drop_features().to_file(manifest)
    pids = tmp_path / "pids"
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, NUPTSE_MP_CONTEXT="fork")
    proc = subprocess.Popen(
        [sys.executable, str(script), str(manifest), str(pids), str(tmp_path / "f")], env=env
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if pids.exists() and len(set(pids.read_text().split())) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail(f"the run ended early with status {proc.returncode}")
            time.sleep(0.2)
        else:
            pytest.fail("the workers did not start")
        workers = {int(p) for p in pids.read_text().split()}
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    left = [p for p in workers if _alive(p)]
    for p in left:
        os.kill(p, signal.SIGKILL)
    assert not left, f"workers {left} outlived their killed parent"
