"""Benchmark (c): Prefect task runs per 1,000 customers of a whole ``migrate_book`` run (embedded
simulators, no latency), counted on the Prefect API the run reported to.

    python -m bench.flow BOOK HOME CHUNK_SIZE     -> one JSON line
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from uuid import UUID


def run(book: Path, home: Path, chunk_size: int) -> dict[str, Any]:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    os.environ.update({"ONBOARD_HOME": str(home), "PREFECT_HOME": str(home / "prefect"), "DO_NOT_TRACK": "1",
                       "PREFECT_LOGGING_LEVEL": "ERROR"})
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from core.settings import Settings
    from flows.migrate_book import migrate

    server = SubprocessASGIServer()
    server.start()
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            t = time.perf_counter()
            result = migrate(Settings(home=home), [book], chunk_size=chunk_size, workers=8, cutover="2099-01-01")
            seconds = time.perf_counter() - t
            with get_client(sync_client=True) as client:
                runs = client.read_task_runs(
                    flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(result["flow_run_id"])])))
    finally:
        server.stop()
    customers = int(result["customers"]["total"])
    by_task = Counter(r.name.rsplit("-", 1)[0] for r in runs)
    per_stage = max(by_task.values()) if by_task else 0
    return {"customers": customers, "task_runs": len(runs), "by_task": dict(by_task),
            "task_runs_per_1000": 1000 * len(runs) / customers,
            "max_task_runs_per_1000_per_stage": 1000 * per_stage / customers,
            "provisioned": result["customers"]["provisioned"], "seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))), flush=True)
