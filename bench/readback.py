"""Benchmark (c): the nightly over a seeded book, against the simulators with latency injected.

    python -m bench.readback HOME CUSTOMERS LATENCY_MS CONCURRENCY     -> one JSON line

The book is seeded straight into the simulators' state and staging (``bench.readback_seed``; its time is
not counted), the simulators run in a process of their own (``bench.sims``: their CPU is not the
client's), then ``pipeline.nightly.run_nightly`` runs end to end (read-back in bulk, comparison, change
tracking, the workbook) with ``CONCURRENCY`` sessions. Requests are counted by the simulators (every
request each one served, logins included) and divided by the customers read back.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.readback_seed import seed
from bench.sims import SimsProcess
from connectors.systems import OCIP_PATH, open_systems
from core.settings import Settings
from pipeline import nightly
from pipeline.batch import open_context


def run(home: Path, customers: int, latency_ms: float, concurrency: int) -> dict[str, Any]:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    t = time.perf_counter()
    book = seed(home, customers)
    seeding = time.perf_counter() - t
    with SimsProcess(home, latency_ms) as sims:
        settings = Settings(home=home, concurrency=concurrency, broadworks_url=sims.urls["broadworks"] + OCIP_PATH,
                            billing_url=sims.urls["billing"], tickets_url=sims.urls["tickets"])
        before = sims.counts()
        cpu = time.process_time()
        t = time.perf_counter()
        with open_context(settings, "bench readback") as ctx, open_systems(ctx.home, settings) as systems:
            _, summary = nightly.run_nightly(ctx, systems, datetime.now(UTC).date())
        elapsed = time.perf_counter() - t
        cpu = time.process_time() - cpu
        after = sims.counts()
    per_system = {k: (after[k] - before[k]) / customers for k in after}
    return {
        "customers": customers, "seconds": elapsed, "minutes": elapsed / 60, "client_cpu_seconds": cpu,
        "seeding_seconds": seeding, "requests_per_customer": sum(per_system.values()),
        "requests_by_system": per_system, "requests": {k: after[k] - before[k] for k in after},
        "exceptions": summary["exceptions"], "seeded_exceptions": sum(len(v) for v in book.expected().values()),
        "latency_ms": latency_ms, "concurrency": concurrency,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    out = run(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    print(json.dumps(out), flush=True)
