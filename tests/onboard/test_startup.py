"""Issue 16, start-up of `onboard run`: when `onboard serve` answers, the run reports to serve's Prefect server
(its flow run is in serve's database) and starts no temporary server of its own. Not a timing test: the
timing is `make bench`'s (s) rows (bench/startup.py)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "tests" / "cases" / "clean.xlsx"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_run_reports_to_serves_prefect_server_and_starts_none(isolated_home: Path, tmp_path: Path) -> None:
    partners = tmp_path / "partners.csv"
    partners.write_text("partner_id,name,notification_email\ndefault,D,d@x.example\n"
                        "acme-telecom,Acme Telecom,orders@acme.example.com\n")
    base = {**os.environ, "ONBOARD_HOME": str(isolated_home), "ONBOARD_PARTNERS": str(partners),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    base.pop("PREFECT_API_URL", None)  # the run must find serve through the data home's announcement alone
    serve_log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "onboard.cli", "serve", "--port", str(_free_port())], cwd=ROOT, stdout=serve_log,
        stderr=subprocess.STDOUT, start_new_session=True,
        env={**base, "PREFECT_HOME": str(tmp_path / "serve-prefect"), "ONBOARD_PORTAL_PORT": str(_free_port())})
    announced = isolated_home / "prefect-api.url"
    run_prefect = tmp_path / "run-prefect"  # where a temporary server of the run would keep its database
    try:
        deadline = time.monotonic() + 240
        while not announced.exists():
            assert serve.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "onboard serve did not announce its server in time"
            time.sleep(0.5)
        api = announced.read_text().strip()
        proc = subprocess.run([sys.executable, "-m", "onboard.cli", "run", str(CLEAN), "--json"], cwd=ROOT,
                              capture_output=True, text=True, timeout=600,
                              env={**base, "PREFECT_HOME": str(run_prefect)}, check=False)
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        doc = json.loads(proc.stdout)
        runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"name": {}}}, timeout=30).json()
    finally:
        os.killpg(serve.pid, signal.SIGINT)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.wait(timeout=10)
        serve_log.close()
    ours = [r for r in runs if r["parameters"].get("batch_id") == doc["batch"]]
    assert len(ours) == 1, runs  # the run's flow run is in serve's database ...
    assert ours[0]["state_type"] == "COMPLETED" and ours[0]["deployment_id"] is None  # ... run in the CLI's process
    assert doc["customers"]["provisioned"] == doc["customers"]["valid"] > 0
    assert not (run_prefect / "prefect.db").exists(), "the run started a temporary Prefect server of its own"
