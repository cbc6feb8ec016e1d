"""Stopping a process group the tests started (``onboard serve`` and its Prefect server)."""

from __future__ import annotations

import os
import signal
import subprocess


def stop_group(proc: subprocess.Popen[bytes] | subprocess.Popen[str], grace: float = 30) -> None:
    """Ctrl-C to the whole group, as a terminal would; SIGKILL what is still there after ``grace`` seconds."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
