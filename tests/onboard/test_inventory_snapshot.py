"""`inventory show` while a run holds the data home answers from the run's snapshot, and says the same as
without a run (issue 16, DESIGN §5): every state of every number, not only the free ones."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.settings import load_settings
from pipeline.batch import open_context, run_file, stage_batch
from pipeline.stage import RunOptions
from staging.inventory import show
from staging.snapshot import inventory

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "tests" / "cases" / "clean.xlsx"  # Acme Dental asks for 4 numbers in 512-555


@pytest.fixture
def partners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "partners.csv"
    path.write_text("partner_id,name,notification_email\ndefault,D,d@x.example\n"
                    "acme-telecom,Acme Telecom,orders@acme.example.com\n")
    monkeypatch.setenv("ONBOARD_PARTNERS", str(path))


def _show(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "onboard.cli", "inventory", "show", *args, "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=dict(os.environ), check=False)


def test_staging_refreshes_the_inventory_snapshot_with_the_reservations(isolated_home: Path, partners: None) -> None:
    with open_context(load_settings(), "test") as ctx:
        stage_batch(ctx, CLEAN, RunOptions())
        in_store = show(ctx.store, "512", "555")
    snap = inventory(isolated_home, "512", "555")
    assert snap is not None
    assert (in_store["status"] == "reserved").sum() == 4  # the stage reserved them: the snapshot must say so
    assert snap.astype(object).where(snap.notna(), None).to_dict("records") == \
        in_store.astype(object).where(in_store.notna(), None).to_dict("records")


def test_inventory_show_during_a_run_equals_it_after_the_run(isolated_home: Path, partners: None) -> None:
    from tests.onboard.test_concurrency import _holder

    result = run_file(load_settings(), CLEAN, RunOptions())
    assert result["customers"]["provisioned"] >= 1
    proc, helper = _holder(isolated_home)  # a second process holds the data home, as a run does
    try:
        during = _show("512", "555")
    finally:
        for pid in (proc.pid, helper):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
    after = _show("512", "555")
    assert during.returncode == 0 and after.returncode == 0, during.stderr + after.stderr
    held, free = json.loads(during.stdout), json.loads(after.stdout)
    assert "snapshot" in held.pop("note")  # answered from the snapshot, and says so
    assert "note" not in free
    assert held == free
    assert free["counts"].get("assigned", 0) == 4 and free["counts"].get("free", 0) > 0, free["counts"]
    assert {n["account"] for n in free["numbers"] if n["status"] == "assigned"} == {"Acme Dental"}
