"""Chaos: 300 customers, faulty simulators in their own processes, `onboard run` SIGKILLed and resumed.

The simulators run as `onboard sim ...` with --fault-rate 0.1 --commit-timeout-rate 0.05; the run is a
subprocess killed with SIGKILL at a random moment, again and again (bounded), then resumed until it
finishes. The first kill and the final run go through the real `onboard run` CLI (Prefect and all);
the kills in between drive the plain pipeline, which does the same work without Prefect's start-up.
Afterwards the simulators' own state is read back: every valid customer exactly once in BroadWorks
and billing, no number on two customers, and the ledger equal to what the systems hold.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from data.samples.generate import sample_rows, write_xlsx
from tests.pipeline.mailbox import all_logins, credential_files
from tests.pipeline.test_resume import read_back, staged

ROOT = Path(__file__).resolve().parents[2]
ONBOARD = str(Path(sys.executable).parent / "onboard")
CUSTOMERS = 300
KILLS = 5  # SIGKILLs before the run is let to finish
MAX_ROUNDS = 14  # bound of the resume loop

PLAIN_RUN = (
    "import sys; from pathlib import Path; from core.settings import load_settings; "
    "from pipeline.batch import run_file; from pipeline.stage import RunOptions; s = load_settings(); "
    "run_file(s, Path(sys.argv[1]), RunOptions(chunk_size=s.chunk_size))"
)


def _start_sim(system: str, state: Path, journal: Path, seed: int, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [ONBOARD, "sim", system, "--port", "0", "--state", str(state), "--journal", str(journal),
         "--fault-rate", "0.1", "--commit-timeout-rate", "0.05", "--seed", str(seed)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "listening on http://127.0.0.1:PORT"
    assert line.startswith("listening on "), f"{system} simulator did not start: {line!r}"
    return proc, line.split()[-1].strip()


@pytest.fixture
def systems(tmp_path: Path) -> Iterator[dict[str, Any]]:
    env = {**os.environ}
    for var in ("ONBOARD_BROADWORKS_URL", "ONBOARD_BILLING_URL", "ONBOARD_TICKETS_URL"):
        env.pop(var, None)
    sim_dir = tmp_path / "systems"
    sim_dir.mkdir()
    procs, urls = [], {}
    try:
        for i, system in enumerate(("broadworks", "billing", "tickets")):
            proc, url = _start_sim(system, sim_dir / f"{system}.sqlite", sim_dir / f"{system}.jsonl", 1000 + i, env)
            procs.append(proc)
            urls[system] = url
        yield {"dir": sim_dir, "urls": urls}
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


def _faults(journal: Path) -> int:
    """Requests the simulator answered with a fault or left unanswered (the journal records both)."""
    n = 0
    with journal.open(encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            resp = entry["response"]
            dropped = entry.get("delivered") is False
            if dropped or resp is None or (isinstance(resp, dict) and int(resp.get("status", 200)) >= 429):
                n += 1
    return n


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    """SIGKILL the run, then (after the resume proved they do not block it) the helpers it left behind."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.slow
def test_chaos_kill_and_resume_exactly_once(tmp_path: Path, systems: dict[str, Any], isolated_home: Path) -> None:
    started = time.monotonic()
    book = write_xlsx(sample_rows(CUSTOMERS, invalid=False), tmp_path / "orders-300.xlsx")
    env = {
        **os.environ,
        "ONBOARD_BROADWORKS_URL": systems["urls"]["broadworks"] + "/webservice/services/ProvisioningService",
        "ONBOARD_BILLING_URL": systems["urls"]["billing"],
        "ONBOARD_TICKETS_URL": systems["urls"]["tickets"],
        "ONBOARD_CONCURRENCY": "8",
        "ONBOARD_CHUNK_SIZE": "25",  # the ledger is flushed per chunk: progress survives the kills
        "PYTHONPATH": str(ROOT),
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",  # a loaded CI machine starts Prefect slowly
    }
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "0")) or None)
    kills, rounds, leftovers, finishing = 0, 0, [], False
    exit_code: int | None = None
    while rounds < MAX_ROUNDS:
        rounds += 1
        finishing = finishing or kills >= KILLS
        cli = kills == 0 or finishing  # first kill and the final run through the real CLI
        cmd = [ONBOARD, "run", str(book), "--json"] if cli else [sys.executable, "-c", PLAIN_RUN, str(book)]
        # Output to files, not pipes: a helper the killed run leaves behind would hold a pipe open.
        out_file, err_file = tmp_path / f"round{rounds}.out", tmp_path / f"round{rounds}.err"
        with out_file.open("w") as fo, err_file.open("w") as fe:
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fo, stderr=fe, start_new_session=True)
        if not finishing:
            # A random moment: staging, mid-chunk, between chunks (the CLI spends its first seconds on Prefect).
            delay = rng.uniform(8.0, 25.0) if cli else rng.uniform(0.5, 12.0)
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)  # the run only: its helpers (Prefect server) live on
                proc.wait()
                kills += 1
                leftovers.append(proc)
                continue
        else:
            proc.wait(timeout=240)
        exit_code = proc.returncode
        out, errs = out_file.read_text(), err_file.read_text()
        if exit_code == 0 and not cli:
            finishing = True  # done before the last kill: the CLI still has to find nothing left to do
            continue
        if exit_code == 0:
            break
        assert exit_code == 1, f"run failed ({exit_code}): {errs[-2000:]}"  # failed customers: resume again
    for p in leftovers:
        _kill_group(p)
    assert exit_code == 0, f"not done after {rounds} rounds ({kills} kills)"
    result = json.loads(out.strip().splitlines()[-1])
    c = result["customers"]
    assert (c["valid"], c["provisioned"], c["billed"], c["failed"]) == (CUSTOMERS, CUSTOMERS, CUSTOMERS, 0)

    plans, ledger = staged(isolated_home, result["batch"])
    rb = read_back(systems["dir"], plans, ledger)
    faults = {s: _faults(systems["dir"] / f"{s}.jsonl") for s in ("broadworks", "billing", "tickets")}
    retries = sum(max(0, a - 1) for a in _attempts(isolated_home, result["batch"]))
    print(
        f"\nCHAOS: {CUSTOMERS} customers, faults injected {sum(faults.values())} {faults}, "
        f"ledger retries {retries}, kills survived {kills}, rounds {rounds}, duplicates found {rb['duplicates']}, "
        f"problems {len(rb['problems'])}; read back: {rb['enterprises']} enterprises, {rb['numbers']} numbers, "
        f"{rb['admins']} admins, {rb['billing_accounts']} billing accounts, {rb['package_lines']} package lines, "
        f"{rb['tickets']} tickets; {time.monotonic() - started:.0f} s"
    )
    assert rb["problems"] == [], rb["problems"][:20]
    assert rb["duplicates"] == 0
    assert rb["enterprises"] == rb["admins"] == CUSTOMERS
    assert kills >= 2 and rounds > kills
    # each admin's credentials reached the partner exactly once, in one message per finishing run (a run
    # that ends with failed customers mails what it created; the resume mails the rest in a message of its
    # own); a re-send after a kill between send and mark lists the same rows, so it replaces its own file
    logins = all_logins(isolated_home)
    assert len(logins) == len({x.admin_user_id for x in logins}) == len({x.account for x in logins}) == CUSTOMERS
    assert len({x.password for x in logins}) == CUSTOMERS
    assert 1 <= len(credential_files(isolated_home)) < rounds
    assert not list((isolated_home / "mail").glob("admin.*.eml"))  # never one mail per customer
    assert sum(faults.values()) > 0


def _attempts(home: Path, batch: str) -> list[int]:
    import duckdb

    with duckdb.connect(str(home / "onboard.duckdb"), read_only=True) as con:
        return [int(a) for (a,) in con.execute("SELECT attempts FROM ledger WHERE batch_id = ?", [batch]).fetchall()]
