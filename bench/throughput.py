"""Benchmark (b): customers per second against the simulators with latency injected, vs the ideal
concurrency / (round trips per customer x latency), round trips counted by the simulators.

    python -m bench.throughput BOOK HOME LATENCY_MS CONCURRENCY     -> one JSON line
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from connectors.billing.steps import request_floor
from connectors.systems import OCIP_PATH, open_systems
from core.order import CustomerOrder
from core.settings import Settings
from pipeline import batch as pipeline
from pipeline import migrate as M
from staging.orders import load_plans


def run(book: Path, home: Path, latency_ms: float, concurrency: int) -> dict[str, Any]:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    sims = subprocess.Popen([sys.executable, "-m", "bench.sims", str(home / "sims"), str(latency_ms)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert sims.stdin is not None and sims.stdout is not None
    try:
        urls = json.loads(sims.stdout.readline())

        def counts() -> dict[str, int]:
            assert sims.stdin is not None and sims.stdout is not None
            sims.stdin.write("counts\n")
            sims.stdin.flush()
            return {k: int(v) for k, v in json.loads(sims.stdout.readline()).items()}

        settings = Settings(home=home, concurrency=concurrency, broadworks_url=urls["broadworks"] + OCIP_PATH,
                            billing_url=urls["billing"], tickets_url=urls["tickets"])
        with pipeline.open_context(settings, "bench") as ctx:
            prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2099-01-01"))
            with open_systems(ctx.home, settings) as systems:
                before = counts()
                t = time.perf_counter()
                n = 0
                for no, chunk in enumerate(M.chunks_to_do(ctx, prepared.batch_id, settings.chunk_size)):
                    M.plan_chunk(ctx, prepared.batch_id, chunk, no)
                    out = M.provision_here(ctx, systems, prepared.batch_id, chunk)
                    n += int(out["done"]["billing"])
                elapsed = time.perf_counter() - t
                after = counts()
            # the billing floor of these very customers (connectors.billing.steps.request_floor)
            floors = [request_floor(CustomerOrder.from_dict(p)) for _, p in load_plans(ctx.store, prepared.batch_id)]
        sims.stdin.write("stop\n")
        sims.stdin.flush()
    finally:
        sims.wait(timeout=30) if sims.poll() is None and sims.stdin.closed is False else None
        if sims.poll() is None:
            sims.terminate()
    per_system = {k: (after[k] - before[k]) / max(n, 1) for k in after}
    round_trips = sum(per_system.values())
    achieved = n / elapsed
    ideal = concurrency / (round_trips * latency_ms / 1000.0)
    return {"customers": n, "seconds": elapsed, "customers_per_s": achieved, "round_trips_per_customer": round_trips,
            "round_trips_by_system": per_system, "ideal_customers_per_s": ideal, "ratio": achieved / ideal,
            "concurrency": concurrency, "latency_ms": latency_ms,
            "billing_floor_per_customer": sum(floors) / max(len(floors), 1)}


if __name__ == "__main__":
    out = run(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))
    print(json.dumps(out), flush=True)
