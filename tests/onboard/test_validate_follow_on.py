"""``onboard validate`` checks follow-on orders against staging's snapshot, never the network, also while a
run holds the data home (issue 19): a New Group finds the enterprise an earlier batch staged, an Add
Services order the customer, and the DID allowance counts what that customer already holds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from onboard.commands import validate
from pipeline.stage import RunOptions, prepare
from staging.lock import RunLock
from staging.secrets import Vault, load_key
from staging.snapshot import write_snapshot
from staging.store import Store


@pytest.fixture
def partners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    p = tmp_path / "partners.csv"
    p.write_text("partner_id,name,notification_email\ndefault,Default,noc@partner.example\n"
                 "acme-telecom,Acme Telecom,noc@acme-telecom.example\n",
                 encoding="utf-8")
    monkeypatch.setenv("ONBOARD_PARTNERS", str(p))
    return p


def _codes(doc: dict[str, object]) -> set[tuple[object, ...]]:
    """The findings but BILLING_START_PAST (the case workbooks' dates are in 2025, before the real today)."""
    return {(f["sheet"], f["row"], f["column"], f["code"]) for f in doc["findings"]  # type: ignore[attr-defined]
            if f["code"] != "BILLING_START_PAST"}  # type: ignore[index]


def test_validate_uses_the_snapshot_while_a_run_holds_the_lock(isolated_home: Path, partners: Path, cases: Path,
                                                                tmp_path: Path) -> None:
    follow = shutil.copy(cases / "follow_on.xlsx", tmp_path / "second.xlsx")
    before = validate(Path(follow), None, False, None)  # nothing onboarded yet
    assert _codes(before) == {("Customers", 2, "Enterprise Account", "ENTERPRISE_NOT_FOUND"),
                              ("Customers", 3, "Account Name", "CUSTOMER_NOT_FOUND")}
    with Store.open(isolated_home, command="onboard run clean.xlsx") as store:  # the run's writer lock
        prepared = prepare(store, cases / "clean.xlsx", RunOptions(), partners, Vault(load_key(isolated_home)))
        write_snapshot(store, prepared.batch_id)  # as pipeline.batch.stage_batch does once the batch is staged
        assert RunLock(isolated_home).is_held()
        doc = validate(Path(follow), None, False, None)
        assert _codes(doc) == set() and doc["customers"] == {"total": 2, "valid": 2, "held": 0, "skipped": 0}
        # Maple Clinic holds 4 seats and 1 DID; 2 more seats allow 6 DIDs in all: 6 new ones are one too many
        bad = tmp_path / "third.xlsx"
        from openpyxl import load_workbook

        wb = load_workbook(follow)
        wb["DIDs"]["D3"] = 6
        wb.save(bad)
        over = validate(bad, None, False, None)
        assert _codes(over) == {("DIDs", 3, "Quantity", "DID_QUOTA_EXCEEDED")}
        # the same New Customers again are skipped, as before follow-on orders
        again = validate(cases / "clean.xlsx", None, False, None)
        assert {c[3] for c in _codes(again)} == {"ALREADY_ONBOARDED"}
