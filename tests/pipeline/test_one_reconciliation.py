"""One reconciliation (issue 15): the batch report, `status` and the nightly agree on one state.

The state seen on main before the issue: 150 migrated customers whose numbers BroadWorks already held
ended "0 provisioned, 150 billed". The order-integrity rules stop the pipeline from producing it now, so
it is fed as read-back data (and as the ledger `status` reads) to the one comparison.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import load_workbook

from core.order import BILL_GROUP
from data.catalog import load_catalog
from pipeline.reconcile import EXCEPTION_COLUMNS, exception_rows
from reports import compare
from reports.finance import assemble
from reports.reconciliation import tie_out, write_reconciliation
from staging.snapshot import batch_summaries
from staging.store import Store

N = 150
BATCH = "feedfacefeedface"
SEAT = next(line for line in load_catalog().lines if line.seat and line.mrc > 0)


def plan(i: int) -> dict[str, Any]:
    return {
        "account": f"Migrated {i:03d}", "partner_id": "p1", "enterprise_id": f"ENT{i:03d}", "group_id": f"GRP{i:03d}",
        "billing_type": BILL_GROUP, "billing_start": "2026-04-01", "emails": [f"owner{i}@example.com"],
        "packages": [{"billing_package": SEAT.billing_package, "quantity": 2, "mrc": SEAT.mrc, "nrc": SEAT.nrc}],
        "numbers": [{"number": f"+1512555{i:04d}"}], "admin_user_id": f"admin{i}@ENT{i:03d}",
    }


def readback(i: int) -> dict[str, Any]:
    """BroadWorks holds the customer's numbers (migrated) but no enterprise or group; billing holds all."""
    return {
        "broadworks": {"enterprise_exists": False, "group_exists": False, "numbers": [f"+1-512555{i:04d}"],
                       "admins": {}},
        "billing": {"found": True, "billing_type": BILL_GROUP, "missing_auto_packages": [], "duplicates": 0,
                    "contact": {"emails": [f"owner{i}@example.com"]},
                    "enterprise": {"id": str(1000 + i), "packages": [{"name": "BroadWorks Enterprise", "quantity": 1}]},
                    "customer": {"id": str(5000 + i), "packages": [
                        {"name": "BroadWorks Group", "quantity": 1}, {"name": "RetailRates", "quantity": 1},
                        {"name": SEAT.billing_package, "quantity": 2}]}},
    }


def batch_report(plans: list[dict[str, Any]], rbs: list[dict[str, Any]], out: Path) -> tuple[list[Any], pd.DataFrame]:
    checks = [compare.compare(p, r["broadworks"], r["billing"]) for p, r in zip(plans, rbs, strict=True)]
    summary = compare.totals(len(plans), len(plans), checks).summary()
    rows = [row for p, c in zip(plans, checks, strict=True) for row in exception_rows(p["account"], c)]
    exceptions = pd.DataFrame(rows, columns=EXCEPTION_COLUMNS)
    write_reconciliation(out, summary=summary, customers=pd.DataFrame({"account": [p["account"] for p in plans]}),
                         dids=pd.DataFrame(), tickets=pd.DataFrame(), exceptions=exceptions, meta={"Batch": BATCH})
    return tie_out(summary, exceptions), exceptions


def ledger_state(home: Path, plans: list[dict[str, Any]]) -> dict[str, int]:
    """`status`'s counts for the same state: billing complete for every customer, BroadWorks never."""
    now = datetime.now(UTC)
    with Store.open(home) as store:
        store.insert("batches", pd.DataFrame([{
            "batch_id": BATCH, "partner_id": "p1", "received_at": now, "mode": "migration", "sources": "[]",
            "status": "partial", "total": N, "valid": N, "held": 0, "skipped": 0}]))
        store.insert("ledger", pd.DataFrame(
            [{"batch_id": BATCH, "account": p["account"], "system": "billing", "step": "complete", "status": "done",
              "attempts": 1, "updated_at": now} for p in plans]
            + [{"batch_id": BATCH, "account": p["account"], "system": "broadworks", "step": "enterprise",
                "status": "pending", "attempts": 0, "updated_at": now} for p in plans]))
        return dict(batch_summaries(store)[0]["customers"])


def test_batch_status_and_nightly_agree_on_billed_not_provisioned(tmp_path: Path) -> None:
    plans = [plan(i) for i in range(N)]
    rbs = [readback(i) for i in range(N)]

    ties, exceptions = batch_report(plans, rbs, tmp_path / "recon.xlsx")
    by_label = {r[0]: r for r in ties}
    assert by_label["Provisioned"][1] == 0 and by_label["Billed"][1] == N
    assert set(exceptions["code"]) == {compare.BILLED_NOT_PROVISIONED} and len(exceptions) == N
    assert all(r[4] == "yes" for r in ties[1:])  # each total ties to Valid minus the exceptions listed for it
    ws = load_workbook(tmp_path / "recon.xlsx")["Summary"]
    cells = {row[0]: row[1] for row in ws.iter_rows(values_only=True) if row and row[0] in ("Provisioned", "Billed")}
    assert cells == {"Provisioned": 0, "Billed": N}

    counts = ledger_state(tmp_path / "home", plans)
    assert (counts["provisioned"], counts["billed"]) == (by_label["Provisioned"][1], by_label["Billed"][1])

    book = pd.DataFrame([{"batch_id": BATCH, "partner_id": "p1", "account": p["account"], "plan": json.dumps(p),
                          "billed_at": datetime(2026, 4, 14, 12, tzinfo=UTC), "provisioned_at": None} for p in plans])
    nightly_rbs = [{"partner_id": "p1", "account": p["account"], "batch_id": BATCH, **r}
                   for p, r in zip(plans, rbs, strict=True)]
    tickets = pd.DataFrame(columns=["partner_id", "account", "kind", "ticket_id", "status", "subject", "batch_id"])
    frames = assemble(book, nightly_rbs, [], tickets, date(2026, 4, 15), "America/New_York")
    nightly = frames.exceptions
    assert set(zip(nightly["account"], nightly["kind"], strict=True)) == set(
        zip(exceptions["account"], exceptions["code"], strict=True))
    evb = frames.expected_vs_billed
    assert float(evb["billed_mrc"].sum()) == float(evb["expected_mrc"].sum()) == round(N * 2 * SEAT.mrc, 2)


def test_one_rule_for_package_quantities() -> None:
    """Billed more than ordered is a mismatch for both reports (the batch used to accept it)."""
    p, r = plan(1), readback(1)
    r["broadworks"] = {"enterprise_exists": True, "group_exists": True, "numbers": ["+1-5125550001"],
                       "admins": {p["admin_user_id"]: {}}}
    assert compare.compare(p, r["broadworks"], r["billing"]) == compare.Check(True, True, ())
    r["billing"]["customer"]["packages"][2]["quantity"] = 3
    got = compare.compare(p, r["broadworks"], r["billing"])
    assert (got.provisioned, got.billed) == (True, False)
    assert [e.code for e in got.exceptions] == [compare.PACKAGE_MISMATCH]
    assert got.exceptions[0].detail == f"{SEAT.billing_package}: ordered 2, billed 3"


def test_codes_are_upper_snake_and_documented() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for code in compare.CODES:
        assert code == code.upper() and " " not in code and "-" not in code
        assert code in readme, f"{code} is not documented in the README"
