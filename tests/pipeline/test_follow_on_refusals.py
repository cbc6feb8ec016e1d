"""Follow-on orders that have nothing to build on: held at staging, or refused at run time before any request."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from data.sheets import CUSTOMERS, LOCATIONS, PACKAGES
from pipeline.batch import run_file
from pipeline.stage import RunOptions
from tests.pipeline.conftest import Sims, settings_for
from tests.pipeline.test_follow_on import BRANCH, OWNER, _write, first_book, second_book


def _findings(home: Path, code: str) -> list[tuple[str, str, str]]:
    con = duckdb.connect(str(home / "onboard.duckdb"), read_only=True)
    try:
        return [tuple(r) for r in con.execute(
            "SELECT sheet, \"column\", account FROM findings WHERE code = ?", [code]).fetchall()]
    finally:
        con.close()


def test_follow_ons_for_unknown_customers_are_held_and_send_nothing(sims: Sims, isolated_home: Path,
                                                                    tmp_path: Path) -> None:
    settings = settings_for(isolated_home, sims)
    book = _write(tmp_path / "orphans.xlsx", {
        CUSTOMERS: [{"Order": "New Group", "Account Name": "Nobody West", "Enterprise Account": "Nobody",
                     "First Name": "A", "Last Name": "B", "Password": "Pw!12345678x", "Address 1": "1 Main St",
                     "City": "Austin", "State": "TX", "Zip": "78701", "Email": "a@nobody.example.com",
                     "Default Domain": "nobody.example.com", "Time Zone": "America/Chicago",
                     "Billing Start Date": "2027-01-04"},
                    {"Order": "Add Services", "Account Name": "Nobody Else"}],
        LOCATIONS: [{"Account Name": "Nobody West", "Address 1": "1 Main St", "City": "Austin", "State": "TX",
                     "Zip": "78701", "Main Number": "5125550199"}],
        PACKAGES: [{"Account Name": "Nobody West", "Order Type": "Hosted PBX", "Package": "Enterprise Standard",
                    "Quantity": "1"},
                   {"Account Name": "Nobody Else", "Order Type": "Hosted PBX", "Package": "Enterprise Standard",
                    "Quantity": "1"}],
    })
    res = run_file(settings, book, RunOptions())
    c = res["customers"]
    assert (c["total"], c["valid"], c["held"], c["provisioned"]) == (2, 0, 2, 0), res
    assert _findings(isolated_home, "ENTERPRISE_NOT_FOUND") == [("Customers", "Enterprise Account", "Nobody West")]
    assert _findings(isolated_home, "CUSTOMER_NOT_FOUND") == [("Customers", "Account Name", "Nobody Else")]
    assert sims.bw.accepted_adds() == 0 and sims.bl.store.count("accounts") == 0


def test_a_group_gone_from_broadworks_fails_add_services_before_any_request(sims: Sims, isolated_home: Path,
                                                                          tmp_path: Path) -> None:
    settings = settings_for(isolated_home, sims)
    run_file(settings, first_book(tmp_path / "one.xlsx"), RunOptions())
    con = duckdb.connect(str(isolated_home / "onboard.duckdb"), read_only=True)
    try:
        (plan,) = con.execute("SELECT plan FROM plans").fetchone() or ("{}",)
    finally:
        con.close()
    eid, g1 = json.loads(plan)["enterprise_id"], json.loads(plan)["group_id"]
    with sims.bw.store.tx() as db:  # someone removed group 1 by hand after it was onboarded
        for table in ("grp_auth", "grp_assign"):
            db.execute(f"DELETE FROM {table} WHERE sp = ? AND grp = ?", (eid, g1))
        db.execute("UPDATE dn SET grp = NULL WHERE sp = ? AND grp = ?", (eid, g1))
        db.execute("DELETE FROM grp WHERE sp = ? AND id = ?", (eid, g1))
    packages_before = sims.bl.store.count("account_packages")

    res = run_file(settings, second_book(tmp_path / "two.xlsx"), RunOptions())
    c = res["customers"]
    assert (c["valid"], c["provisioned"], c["failed"]) == (2, 1, 1), res  # the New Group still goes through
    assert _findings(isolated_home, "CUSTOMER_NOT_FOUND") == [("Customers", "Account Name", OWNER)]
    snap = sims.bw.store.snapshot(eid)
    assert [dict(g)["id"] for g in snap["groups"]] != [] and g1 not in [dict(g)["id"] for g in snap["groups"]]
    owner = sims.bl.store._all("SELECT id FROM accounts WHERE name = ?", [OWNER])[0][0]
    # nothing was added to the refused order's billing account; the new group's lines were
    assert sims.bl.store._all("SELECT count(*) FROM account_packages WHERE account_id = ?", [owner])[0][0] == 4
    assert sims.bl.store.count("account_packages") == packages_before + 4
    branch = sims.bl.store._all("SELECT count(*) FROM accounts WHERE name = ?", [BRANCH])[0][0]
    assert branch == 1


def test_an_effective_date_that_is_not_a_date_is_a_finding(tmp_path: Path) -> None:
    from transforms.ingest import read_order
    from validators.check import check_order

    book = _write(tmp_path / "dates.xlsx", {
        CUSTOMERS: [{"Order": "Add Services", "Account Name": OWNER}],
        PACKAGES: [{"Account Name": OWNER, "Order Type": "Hosted PBX", "Package": "Enterprise Standard",
                    "Quantity": "1", "Effective Date": "next week"},
                   {"Account Name": OWNER, "Order Type": "DID", "Package": "Additional DID's", "Quantity": "1",
                    "Effective Date": "03/01/2027"}],
    })
    checked = check_order(read_order(book), existing=None, inventory=None)
    bad = checked.findings[checked.findings["code"] == "INVALID_FORMAT"]
    assert bad[["sheet", "row", "column", "value"]].values.tolist() == [["Packages", 2, "Effective Date", "next week"]]
    assert checked.frames["Packages"]["effective_date"].tolist() == ["next week", "2027-03-01"]
