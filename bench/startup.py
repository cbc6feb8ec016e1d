"""Benchmark (d): the fixed start-up of ``onboard run`` (issue 16), cold and warm.

    start-up = wall(`onboard run --json`, one customer) - wall(`onboard validate --json`, same file)
               - the flow run's own duration (as the Prefect API records it)

cold: no Prefect server answers, so the run starts Prefect's temporary one; warm: a Prefect server
answers, as when ``onboard serve`` runs (started here with the serve command's own helper, announced to the
run through ``PREFECT_API_URL``). Both runs are timed as the user runs them: a fresh ``onboard`` process,
a fresh data home each (the same work: one new customer on the embedded simulators). All flow runs end up
in one Prefect database (the temporary server uses PREFECT_HOME's too), read back from the warm server.
The warm case is run ``WARM_RUNS`` times and its median reported; validate's wall is the median of its runs.

    python -m bench.startup WORK     -> one JSON line
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from data.samples.generate import write_big_book

WARM_RUNS = 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any], int]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "onboard.cli", *args], capture_output=True, text=True, env=env,
                          timeout=900, check=False)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"onboard {' '.join(args)} exited {proc.returncode}: {proc.stdout} {proc.stderr}")
    return wall, json.loads(proc.stdout.strip().splitlines()[-1]), proc.returncode


def _flow_seconds(api: str) -> list[float]:
    """Durations of the onboard_order_sheet flow runs, oldest first (start to end as Prefect recorded)."""
    runs = httpx.post(f"{api}/flow_runs/filter", json={"sort": "START_TIME_ASC"}, timeout=30).json()
    out = []
    for r in runs:
        if r.get("start_time") and r.get("end_time"):
            out.append((datetime.fromisoformat(r["end_time"]) - datetime.fromisoformat(r["start_time"])).total_seconds())
    return out


def run(work: Path) -> dict[str, Any]:
    from onboard.serve import prefect_server

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    book = write_big_book(work / "one-customer.xlsx", 1, 3)
    prefect_home = work / "prefect"
    base = {**os.environ, "DO_NOT_TRACK": "1", "PREFECT_HOME": str(prefect_home), "PREFECT_LOGGING_LEVEL": "ERROR",
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    base.pop("PREFECT_API_URL", None)
    for var in ("ONBOARD_BROADWORKS_URL", "ONBOARD_BILLING_URL", "ONBOARD_TICKETS_URL", "ONBOARD_SMTP_URL"):
        base.pop(var, None)
    validates = [_timed(["validate", str(book), "--json"], {**base, "ONBOARD_HOME": str(work / "home-validate")})[0]]
    cold, cold_doc, _ = _timed(["run", str(book), "--json"], {**base, "ONBOARD_HOME": str(work / "home-cold")})
    os.environ["PREFECT_HOME"] = str(prefect_home)  # the server below opens the same database
    warm_runs: list[tuple[float, dict[str, Any]]] = []
    with prefect_server(work / "prefect-server.log", _free_port()) as api:
        # The machine is shared: one warm run can land on someone else's busy second. Several runs, each a
        # fresh data home (the same work each time), and the median start-up is reported.
        for i in range(WARM_RUNS):
            warm_env = {**base, "ONBOARD_HOME": str(work / f"home-warm-{i}"), "PREFECT_API_URL": api}
            validates.append(_timed(["validate", str(book), "--json"], warm_env)[0])  # also equalises the file cache
            wall, doc, _ = _timed(["run", str(book), "--json"], warm_env)
            warm_runs.append((wall, doc))
        flows = _flow_seconds(api)
    if len(flows) < 1 + WARM_RUNS:
        raise RuntimeError(f"expected {1 + WARM_RUNS} flow runs in the Prefect database, found {len(flows)}")
    validate = statistics.median(validates)
    cold_flow = flows[-1 - WARM_RUNS]
    warm = sorted(((wall - validate - flow, wall, flow, doc) for (wall, doc), flow in
                   zip(warm_runs, flows[-WARM_RUNS:], strict=True)), key=lambda w: w[0])
    warm_startup, warm_wall, warm_flow, warm_doc = warm[len(warm) // 2]
    return {
        "validate_s": validate, "cold_run_s": cold, "warm_run_s": warm_wall, "cold_flow_s": cold_flow,
        "warm_flow_s": warm_flow, "cold_startup_s": cold - validate - cold_flow,
        "warm_startup_s": warm_startup, "warm_startups_s": [round(w[0], 2) for w in warm],
        "provisioned": [cold_doc["customers"]["provisioned"], warm_doc["customers"]["provisioned"]],
    }


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]).resolve())), flush=True)
