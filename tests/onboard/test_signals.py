"""Ctrl-C and SIGTERM end `onboard run` within 2 s (issue 14): one line, no traceback, the batch
`interrupted`, no stale lock, no orphaned Prefect server; the data home is private (0700 / 0600); the
same command then resumes the batch to the end. A real process, a real signal."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "orders-sample.xlsx"


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        out += [int(x) for x in text]
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def _status(home: Path) -> str:
    batches = json.loads((home / "snapshot" / "batches.json").read_text())
    (b,) = batches
    return str(b["status"])


def _start(home: Path, *extra: str, latency_ms: int = 0) -> subprocess.Popen[str]:
    env = {**os.environ, "ONBOARD_HOME": str(home), "ONBOARD_SIM_JOURNAL_DIR": str(home / "journal"),
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180", "ONBOARD_SIM_LATENCY_MS": str(latency_ms)}
    return subprocess.Popen([sys.executable, "-m", "onboard.cli", "run", str(SAMPLE), *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _interrupt(proc: subprocess.Popen[str], sig: int) -> tuple[float, str, str, list[int]]:
    children = _children(proc.pid)
    started = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    return time.monotonic() - started, out, err, children


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_prefect_starts(isolated_home: Path, sig: int) -> None:
    """Staged, Prefect's server starting: the batch is interrupted, not left `running`."""
    proc = _start(isolated_home)
    _wait_for(isolated_home / "snapshot" / "batches.json", proc, 120)
    time.sleep(0.5)
    took, _out, err, _ = _interrupt(proc, sig)
    assert took < 2.0, took
    assert proc.returncode == 2
    assert "Traceback" not in err and err.strip() == "error: interrupted; run the same command again to resume"
    assert _status(isolated_home) == "interrupted"
    assert not (isolated_home / "onboard.lock.json").exists()


def test_sigterm_mid_run_then_resume(isolated_home: Path) -> None:
    # 200 ms per request: provisioning (a few shared documents per chunk) still runs when the signal comes
    proc = _start(isolated_home, "--json", latency_ms=200)
    _wait_for(isolated_home / "sim" / "broadworks.sqlite", proc, 300)  # inside the flow: simulators up
    time.sleep(1.0)
    took, out, err, children = _interrupt(proc, signal.SIGTERM)
    assert took < 2.0, took
    assert proc.returncode == 2 and json.loads(out) == {"error": "interrupted; run the same command again to resume"}
    assert "Traceback" not in err
    assert children, "the run had no Prefect server child to stop"
    deadline = time.monotonic() + 3
    while any(_alive(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(c) for c in children), "an orphaned Prefect server outlived the run"
    assert _status(isolated_home) == "interrupted"
    assert not (isolated_home / "onboard.lock.json").exists()
    # files at rest: the home 0700, every folder 0700, every file 0600 (journals included)
    assert stat.S_IMODE(isolated_home.stat().st_mode) == 0o700
    assert (isolated_home / "journal" / "broadworks.jsonl").exists()
    for p in isolated_home.rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p
    # the same command again finishes the batch
    again = _start(isolated_home, "--json")
    out, err = again.communicate(timeout=600)
    assert again.returncode == 1, err[-2000:]  # the sample holds customers back on purpose
    c = json.loads(out)["customers"]
    assert c["provisioned"] == c["billed"] == c["valid"] == 18 and c["failed"] == 0
    assert _status(isolated_home) in ("done", "partial")
