"""The three simulators in a process of their own (so that their CPU is not the benchmarked client's),
with latency injected. Prints the base URLs as one JSON line; then answers ``counts`` on stdin with the
requests each has served (the simulators' request counters) and stops on ``stop`` or end of input.

    python -m bench.sims HOME LATENCY_MS
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from connectors.common.simhttp import Faults
from connectors.systems import start_simulators
from core.settings import Settings


def main(home: Path, latency_ms: float) -> None:
    settings = Settings(home=home)
    sims = start_simulators(home, settings, lambda: Faults(latency_ms=latency_ms))
    try:
        print(json.dumps({name: s.base_url for name, s in sims.items()}), flush=True)
        for line in sys.stdin:
            if line.strip() == "counts":
                print(json.dumps({name: s.faults.counts["requests"] for name, s in sims.items()}), flush=True)
            elif line.strip() == "stop":
                break
    finally:
        for s in sims.values():
            s.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]), float(sys.argv[2]))


class SimsProcess:
    """``python -m bench.sims`` as a child process: its base URLs and its request counters.

    ``with SimsProcess(home, latency_ms) as sims: sims.urls[...], sims.counts()``."""

    def __init__(self, home: Path, latency_ms: float) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.sims", str(home), str(latency_ms)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.urls: dict[str, str] = json.loads(self._ask(None))

    def _ask(self, command: str | None) -> str:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        if command is not None:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the simulators' process ended early")
        return line

    def counts(self) -> dict[str, int]:
        """Requests each simulator has served so far (logins included)."""
        return {k: int(v) for k, v in json.loads(self._ask("counts")).items()}

    def __enter__(self) -> SimsProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write("stop\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
