"""Issue 16, start-up of `onboard run`: when `onboard serve` answers, the run reports to serve's Prefect server
(its flow run is in serve's database) and starts no temporary server of its own. Not a timing test: the
timing is `make bench`'s (s) rows (bench/startup.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from data.samples.generate import SAMPLE
from tests.support.processes import stop_group

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
        runs = httpx.post(f"{api}/flow_runs/filter", json={}, timeout=30).json()
        ours = [r for r in runs if r["parameters"].get("batch_id") == doc["batch"]]
        assert len(ours) == 1, runs  # the run's flow run is in serve's database ...
        # ... with its task runs (sent as events; the server records them a moment later): the run's quick exit
        # (onboard.cli._exit_now) loses nothing Prefect sends
        tasks: set[str] = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not {"resume-staged", "reconcile-and-report"} <= tasks:
            found = httpx.post(f"{api}/task_runs/filter", timeout=30,
                               json={"flow_runs": {"id": {"any_": [ours[0]["id"]]}}}).json()
            tasks = {t["name"].rsplit("-", 1)[0] for t in found}  # "<task>-<suffix>", "provision-chunk-0"
            time.sleep(0.5)
    finally:
        stop_group(serve, grace=60)
        serve_log.close()
    assert {"resume-staged", "provision-chunk", "route-held", "reconcile-and-report"} <= tasks, tasks
    assert ours[0]["state_type"] == "COMPLETED" and ours[0]["deployment_id"] is None  # ... run in the CLI's process
    assert doc["customers"]["provisioned"] == doc["customers"]["valid"] > 0
    assert not (run_prefect / "prefect.db").exists(), "the run started a temporary Prefect server of its own"


@pytest.mark.parametrize("args", [["validate", str(SAMPLE), "--json"], ["plan", str(SAMPLE)], ["status", "--json"],
                                  ["template", "{tmp}/t.xlsx"], ["--help"], ["run", "--help"]],
                         ids=lambda a: "-".join(a[:2]))
def test_read_only_commands_import_no_prefect_through_the_real_entry_point(tmp_path: Path, args: list[str]) -> None:
    """As the `onboard` script runs them (``main()`` with the process's own argv, ending in ``_exit_now``):
    no module of Prefect is imported and PREFECT_HOME is not even created."""
    prefect_home = tmp_path / "pf"
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "onboard.cli", *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PREFECT_HOME": str(prefect_home)}, check=False)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
    assert "typer" in imported  # importtime did report: the check below can fail
    assert not [m for m in imported if m == "prefect" or m.startswith("prefect.")]
    assert not prefect_home.exists()


@pytest.mark.parametrize(("code", "status"), [("0", 0), ("3", 3), ("None", 0), ("'bad input'", 1)])
def test_the_quick_exit_runs_what_an_ordinary_exit_runs(code: str, status: int) -> None:
    """Non-daemon threads joined, atexit handlers run (Prefect's flushes, logging), output flushed, exit code kept."""
    script = ("import atexit, sys, threading, time\n"
              "from onboard.cli import _exit_now\n"
              "atexit.register(lambda: print('atexit ran', flush=False))\n"
              "threading.Thread(target=lambda: (time.sleep(0.3), sys.stdout.write('thread done;'))).start()\n"
              f"sys.stdout.write('buffered;')\n_exit_now({code})\nprint('not reached')\n")
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == status, proc.stderr
    assert proc.stdout == "buffered;thread done;atexit ran\n"
    assert proc.stderr == ("bad input\n" if status == 1 else "")
