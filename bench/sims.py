"""The three simulators in a process of their own (so that their CPU is not the benchmarked client's),
with latency injected. Prints the base URLs as one JSON line; then answers ``counts`` on stdin with the
requests each has served (the simulators' request counters) and stops on ``stop`` or end of input.

    python -m bench.sims HOME LATENCY_MS
"""

from __future__ import annotations

import json
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
