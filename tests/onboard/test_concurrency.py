"""One writer per data home: a second run is told who holds it; readers still answer (issue 7).

A "run in progress" here is a real second process holding the data home exactly as `onboard run`
does (``Store.open``): the lock and the open DuckDB file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import load_settings
from pipeline.batch import run_file
from pipeline.stage import RunOptions
from staging.lock import LockedError, RunLock
from staging.store import Store

ROOT = Path(__file__).resolve().parents[2]
ONBOARD = str(Path(sys.executable).parent / "onboard")
SAMPLE = ROOT / "data" / "samples" / "orders-sample.xlsx"

HOLDER = """
import subprocess, sys, time
from pathlib import Path
from staging.store import Store
store = Store.open(Path(sys.argv[1]), command="onboard run orders.xlsx")
helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # like a Prefect server
print(helper.pid, flush=True)
time.sleep(120)
"""


def _holder(home: Path) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(home)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout is not None
    helper = int(proc.stdout.readline())
    return proc, helper


@pytest.fixture
def holder(isolated_home: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc, helper = _holder(isolated_home)
    yield proc, helper
    for pid in (proc.pid, helper):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([ONBOARD, *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT),
                               "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"})


def _tree(home: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(home)): (p.stat().st_size, p.stat().st_mtime_ns) for p in home.rglob("*") if p.is_file()}


def test_second_run_exits_2_and_changes_nothing_while_readers_answer(
    isolated_home: Path, holder: tuple[subprocess.Popen[str], int]
) -> None:
    proc, _ = holder
    before = _tree(isolated_home)
    second = _cli("run", str(SAMPLE), "--json")
    assert second.returncode == 2, second.stderr[-1500:]
    message = json.loads(second.stdout.strip().splitlines()[-1])["error"]
    assert "in progress" in message and f"pid {proc.pid}" in message and "since" in message
    assert "onboard run orders.xlsx" in message
    assert _tree(isolated_home) == before, "the refused run changed the data home"
    # readers still answer
    status = _cli("status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout) == {"batches": []}
    validate = _cli("validate", str(SAMPLE), "--json")
    assert validate.returncode == 1 and json.loads(validate.stdout)["customers"]["valid"] == 18
    assert "Traceback" not in second.stderr


def test_status_and_validate_read_the_snapshot_of_a_batch_while_held(isolated_home: Path) -> None:
    result = run_file(load_settings(), SAMPLE, RunOptions())
    proc, helper = _holder(isolated_home)
    try:
        listing = _cli("status", "--json")
        assert listing.returncode == 0
        batches = json.loads(listing.stdout)["batches"]
        assert [b["batch"] for b in batches] == [result["batch"]] and batches[0]["customers"]["provisioned"] == 18
        one = json.loads(_cli("status", result["batch"], "--json").stdout)
        valid = [c for c in one["customers"] if c["customer"] == "valid"]
        assert len(valid) == 18 and all(set(c["status"].values()) == {"done"} for c in valid)
        # validate sees the onboarded customers in the snapshot: the same file again is all skipped
        again = json.loads(_cli("validate", str(SAMPLE), "--json").stdout)
        assert again["customers"]["skipped"] == 18
    finally:
        for pid in (proc.pid, helper):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)


def test_stale_lock_after_a_crash_is_free_and_helpers_do_not_block(
    isolated_home: Path, holder: tuple[subprocess.Popen[str], int]
) -> None:
    proc, helper = holder
    with pytest.raises(LockedError, match=f"pid {proc.pid}"):
        Store.open(isolated_home, command="second")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    os.kill(helper, 0)  # the helper the killed run started is still alive ...
    assert (isolated_home / "onboard.lock.json").exists()  # ... and the holder's note was left behind
    assert not RunLock(isolated_home).is_held()  # the stale lock is detected as free
    with Store.open(isolated_home, command="resume") as store:  # and the resume is not blocked
        assert store.scalar("SELECT count(*) FROM batches") == 0
        info = json.loads((isolated_home / "onboard.lock.json").read_text())
        assert info["pid"] == os.getpid() and info["command"] == "resume"


def test_two_plain_runs_at_once_one_waits_out(isolated_home: Path) -> None:
    """Two runs started together: exactly one works, the other is refused before touching anything."""
    code = ("import sys; from pathlib import Path; from core.settings import load_settings; "
            "from pipeline.batch import run_file; from pipeline.stage import RunOptions; from staging.lock import LockedError\n"
            "try:\n    run_file(load_settings(), Path(sys.argv[1]), RunOptions())\n"
            "except LockedError as e:\n    print('LOCKED', e); sys.exit(2)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ONBOARD_SIM_LATENCY_MS": "20"}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(SAMPLE)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], [o[1][-800:] for o in outs]
    locked = next(o[0] for p, o in zip(procs, outs, strict=True) if p.returncode == 2)
    assert "in progress" in locked
    status = json.loads(_cli("status", "--json").stdout)
    assert len(status["batches"]) == 1 and status["batches"][0]["customers"]["provisioned"] == 18


def test_status_shows_progress_during_a_run(isolated_home: Path) -> None:
    """The run keeps the snapshot current mid-chunk: status shows done and pending customers at once."""
    from onboard import commands

    code = ("import sys; from pathlib import Path; from core.settings import load_settings; "
            "from pipeline.batch import run_file; from pipeline.stage import RunOptions; "
            "run_file(load_settings(), Path(sys.argv[1]), RunOptions())")
    # long enough (about 10 s) for the 5-second ledger flush to land mid-run: with shared OCI-P documents
    # (issue 18 b) a 30 ms run of 18 customers is over before it
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ONBOARD_SIM_LATENCY_MS": "80", "ONBOARD_CONCURRENCY": "2"}
    run = subprocess.Popen([sys.executable, "-c", code, str(SAMPLE)], cwd=ROOT, env=env, stderr=subprocess.PIPE,
                           text=True)
    seen: set[tuple[int, int]] = set()
    lock = RunLock(isolated_home)
    try:
        while run.poll() is None:
            batches = commands.status(None)["batches"]
            if batches and lock.is_held():
                doc = commands.status(batches[0]["batch"])
                # per system: with shared OCI-P documents (issue 18 b) BroadWorks runs ahead of billing
                # and may be through for every customer while billing completes them one by one
                for system in ("broadworks", "billing"):
                    states = [c["status"][system] for c in doc["customers"] if c["customer"] == "valid"]
                    seen.add((states.count("done"), len(states)))
            time.sleep(0.25)
    finally:
        run.kill()
        _, err = run.communicate()
    assert run.returncode == 0, err[-1500:]
    assert any(0 < done < total for done, total in seen), f"no mid-run progress in the snapshot: {sorted(seen)}"
