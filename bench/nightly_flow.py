"""Benchmark (d), the nightly's share: Prefect task runs per 1,000 customers of a ``nightly_finance`` flow
run over a seeded book (embedded simulators, no latency), counted on the Prefect API the run reported to.

    python -m bench.nightly_flow HOME CUSTOMERS     -> one JSON line
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


def run(home: Path, customers: int) -> dict[str, Any]:
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    from bench.readback_seed import seed

    seed(home, customers)
    os.environ.update({"ONBOARD_HOME": str(home), "PREFECT_HOME": str(home / "prefect"), "DO_NOT_TRACK": "1",
                       "PREFECT_LOGGING_LEVEL": "ERROR", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nightly_finance import nightly_finance

    server = SubprocessASGIServer()
    server.start()
    try:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            t = time.perf_counter()
            state = nightly_finance(return_state=True)
            seconds = time.perf_counter() - t
            summary = state.result()
            with get_client(sync_client=True) as client:
                runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=[UUID(str(state.state_details.flow_run_id))])))
    finally:
        server.stop()
    # task run names end in "-<n>" ("read-back-chunk-3"): one stage per task (as bench.flow counts them)
    by_task = Counter(r.name.rsplit("-", 1)[0] for r in runs)
    return {"customers": customers, "task_runs": len(runs), "by_task": dict(by_task),
            "task_runs_per_1000": 1000 * len(runs) / customers,
            "max_task_runs_per_1000_per_stage": 1000 * max(by_task.values()) / customers if by_task else 0.0,
            "exceptions": summary["exceptions"], "seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]), int(sys.argv[2]))), flush=True)
