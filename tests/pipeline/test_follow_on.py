"""Issue 19 acceptance: a new customer, then a second workbook with a New Group for it and Add Services to
group 1, read back from both simulated systems; the same second workbook again sends nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from data.sheets import CUSTOMERS, DIDS, LOCATIONS, PACKAGES, Sheet
from pipeline.batch import run_file
from pipeline.stage import RunOptions
from tests.pipeline.conftest import Sims, settings_for
from tests.support.ocip_schema import validate_document

OWNER, BRANCH = "Acme Dental", "Acme Dental Westside"
START = "2027-01-04"


def _customer(account: str, **kw: str) -> dict[str, str]:
    row = {"Account Name": account, "First Name": "Ana", "Last Name": "Ortiz", "Password": "Pw!12345678x",
           "Address 1": "100 Main St", "City": "Austin", "State": "TX", "Zip": "78701", "Country": "US",
           "Email": "billing@acmedental.example.com", "Default Domain": "acmedental.example.com",
           "Time Zone": "America/Chicago", "Billing Start Date": START, "Billing Type": "Multi-Group - Bill Enterprise"}
    return {**row, **kw}


def _write(path: Path, rows: dict[Sheet, list[dict[str, str]]]) -> Path:
    wb = Workbook()
    assert wb.active is not None
    wb.remove(wb.active)
    for sheet, records in rows.items():
        ws = wb.create_sheet(sheet.name)
        labels = [c.label for c in sheet.columns]
        ws.append(labels)
        for r in records:
            assert set(r) <= set(labels), set(r) - set(labels)
            ws.append([r.get(label, "") for label in labels])
    wb.save(path)
    return path


def first_book(path: Path) -> Path:
    return _write(path, {
        CUSTOMERS: [_customer(OWNER, **{"Main Number": "5125550100"})],
        LOCATIONS: [{"Account Name": OWNER, "Location Name": "HQ", "Address 1": "100 Main St", "City": "Austin",
                     "State": "TX", "Zip": "78701", "Main Number": "5125550100"}],
        PACKAGES: [{"Account Name": OWNER, "Order Type": "Hosted PBX", "Package": "Enterprise Standard", "Quantity": "3"},
                   {"Account Name": OWNER, "Order Type": "AlaCarte Features", "Package": "Auto Attendant",
                    "Quantity": "1"}],
        DIDS: [{"Account Name": OWNER, "NPA": "512", "NXX": "555", "Quantity": "2", "Purpose": "Voice"}],
    })


def second_book(path: Path) -> Path:
    branch = _customer(BRANCH, **{"Order": "New Group", "Enterprise Account": OWNER, "Billing Type": "",
                                  "Address 1": "9 West Ave", "Main Number": "5125550110"})
    return _write(path, {
        CUSTOMERS: [branch, {"Order": "Add Services", "Account Name": OWNER}],
        LOCATIONS: [{"Account Name": BRANCH, "Location Name": "West", "Address 1": "9 West Ave", "City": "Austin",
                     "State": "TX", "Zip": "78701", "Main Number": "5125550110"}],
        PACKAGES: [
            {"Account Name": BRANCH, "Order Type": "Hosted PBX", "Package": "Enterprise Standard", "Quantity": "2"},
            {"Account Name": BRANCH, "Order Type": "Hosted PBX", "Package": "Enterprise Premium", "Quantity": "1"},
            {"Account Name": OWNER, "Order Type": "Hosted PBX", "Package": "Enterprise Standard", "Quantity": "2",
             "Effective Date": "2027-03-01"},
            {"Account Name": OWNER, "Order Type": "DID", "Package": "Additional DID's", "Quantity": "1"},
        ],
        DIDS: [{"Account Name": BRANCH, "NPA": "512", "NXX": "555", "Quantity": "3", "Numbers": "5125550110",
                "Purpose": "Voice"},
               {"Account Name": OWNER, "NPA": "512", "NXX": "555", "Quantity": "3", "Purpose": "Voice"}],
    })


def _plans(home: Path) -> dict[str, dict[str, Any]]:
    con = duckdb.connect(str(home / "onboard.duckdb"), read_only=True)
    try:
        return {f"{b}:{a}": json.loads(p) for b, a, p in con.execute("SELECT batch_id, account, plan FROM plans").fetchall()}
    finally:
        con.close()


def _billing(sims: Sims) -> dict[str, Any]:
    accounts = sims.bl.store._all("SELECT id, name, role, invoicer_id FROM accounts ORDER BY id")
    packages = sims.bl.store._all("SELECT account_id, package_name, quantity, effective FROM account_packages ORDER BY id")
    return {"accounts": [tuple(a) for a in accounts], "packages": [tuple(p) for p in packages]}


def _world(sims: Sims, eid: str) -> tuple[Any, ...]:
    return (sims.bw.store.snapshot(eid), _billing(sims), sims.bw.accepted_adds(), sims.bl.store.count("accounts"),
            sims.bl.store.count("account_packages"), sims.bl.store.count("contacts"))


@pytest.mark.parametrize("requests", ["classic", "consolidated"])
def test_new_group_and_add_services_for_an_existing_customer(sims: Sims, isolated_home: Path, tmp_path: Path,
                                                             requests: str) -> None:
    settings = settings_for(isolated_home, sims, ocip_requests=requests)
    one = run_file(settings, first_book(tmp_path / "one.xlsx"), RunOptions())
    assert one["customers"]["provisioned"] == 1 and one["customers"]["billed"] == 1, one

    two = run_file(settings, second_book(tmp_path / "two.xlsx"), RunOptions())
    c = two["customers"]
    assert (c["total"], c["valid"], c["held"], c["provisioned"], c["billed"], c["failed"]) == (2, 2, 0, 2, 2, 0), two

    plans = _plans(isolated_home)
    owner = next(p for p in plans.values() if p["account"] == OWNER and p["order_kind"] == "new_customer")
    branch = next(p for p in plans.values() if p["account"] == BRANCH)
    added = next(p for p in plans.values() if p["account"] == OWNER and p["order_kind"] == "add_services")
    eid, g1, g2 = owner["enterprise_id"], owner["group_id"], branch["group_id"]
    # ids: the enterprise stays the first account's; the new group has its own id; Add Services keeps group 1's
    assert branch["enterprise_id"] == eid and added["enterprise_id"] == eid and added["group_id"] == g1
    assert g2 not in (g1, eid) and branch["billing_type"] == "Multi-Group - Bill Enterprise"
    assert branch["admin_user_id"] == "" and added["admin_user_id"] == ""

    # onboard plan names what a follow-on sends: no enterprise add, no billing enterprise account made
    from core.order import CustomerOrder
    from pipeline.plan_view import customer_steps

    for plan in (branch, added):
        steps = customer_steps(CustomerOrder.from_dict(plan), requests)
        assert steps["broadworks"][0]["request"].startswith("none") and not steps["mail"]
        assert steps["billing"][1]["request"].startswith("none")
    assert [s["step"] for s in customer_steps(CustomerOrder.from_dict(added))["billing"]] == [
        "partner_account", "enterprise_account", "customer_account", "customer_packages"]

    # BroadWorks: one enterprise, two groups, group 2 as group 1 was made; authorizations raised, not lowered
    snap = sims.bw.store.snapshot(eid)
    groups = {dict(g)["id"]: dict(g) for g in snap["groups"]}
    assert set(groups) == {g1, g2}
    assert groups[g1]["user_limit"] == 5 and groups[g2]["user_limit"] == 3  # 3 + 2 seats; 2 + 1 seats
    assert groups[g2]["clid_number"] == "+1-5125550110"
    auth = {(g, k, n): q for g, k, n, q in snap["group_auth"]}
    assert auth[(g1, "pack", "Enterprise Standard")] == 5 and auth[(g2, "pack", "Enterprise Standard")] == 2
    assert auth[(g2, "pack", "Enterprise Premium")] == 1 and auth[(g1, "group", "Auto Attendant")] == 1
    packs = {name: qty for name, qty, _ in snap["packs"]}
    assert packs["Enterprise Standard"] >= 7 and packs["Enterprise Premium"] >= 1
    assert [a[0] for a in snap["admins"]] == [owner["admin_user_id"]]  # no second admin: Create Admin was blank
    # DIDs within the allowance: 2 for group 1 first, then 3 more for it (2 seats + 1 Additional DID) and 3
    # for group 2 (3 seats); all from inventory, each assigned to its group
    dns = dict(snap["dns"])
    assert sum(1 for g in dns.values() if g == g1) == 5 and sum(1 for g in dns.values() if g == g2) == 3
    assert {n["number"] for n in branch["numbers"]}.isdisjoint({n["number"] for n in added["numbers"]})

    # Billing: enterprise + two customer accounts, the invoicer from the enterprise's billing type
    bl = _billing(sims)
    by_name = {name: (ident, role, inv) for ident, name, role, inv in bl["accounts"]}
    assert f"{BRANCH} Enterprise" not in by_name
    ent_id, _, _ = by_name[f"{OWNER} Enterprise"]
    assert by_name[OWNER][1:] == ("Customer", ent_id) and by_name[BRANCH][1:] == ("Customer", ent_id)
    mine = [(name, role) for name, (_, role, _) in by_name.items() if role != "Partner"]
    assert sorted(mine) == sorted([(f"{OWNER} Enterprise", "Enterprise"), (OWNER, "Customer"), (BRANCH, "Customer")])
    pk = [(a, n, q, e[:10]) for a, n, q, e in bl["packages"]]
    owner_lines = sorted((n, q, e) for a, n, q, e in pk if a == by_name[OWNER][0])
    received = added["packages"][1]["effective_date"]
    assert owner_lines == sorted([
        ("BroadWorks Group", 1, START), ("RetailRates", 1, START), ("Enterprise Standard", 3, START),
        ("Auto Attendant", 1, START), ("Enterprise Standard", 2, "2027-03-01"), ("Additional DID's", 1, received)])
    branch_lines = sorted((n, q, e) for a, n, q, e in pk if a == by_name[BRANCH][0])
    assert branch_lines == sorted([("BroadWorks Group", 1, START), ("RetailRates", 1, START),
                                   ("Enterprise Standard", 2, START), ("Enterprise Premium", 1, START)])
    assert [(n, q) for a, n, q, _ in pk if a == ent_id] == [("BroadWorks Enterprise", 1)]

    # the follow-on requests were sent (a pack raised, group 1's user limit raised) and every OCI-P document
    # is valid against the published R25 schema
    docs = [json.loads(line)["request"] for line in (tmp_path / "journal" / "broadworks.jsonl").read_text().splitlines()]
    assert any("ServiceProviderServicePackModifyRequest" in d for d in docs)
    assert any("GroupModifyRequest" in d and "<userLimit>5</userLimit>" in d for d in docs)
    adds = ("ServiceProviderAddRequest13mp2", "ServiceProviderConsolidatedAddRequest")
    assert sum(any(a in d for a in adds) for d in docs) == 1  # the enterprise was added once
    assert all(validate_document(d) == [] for d in docs)

    # the batch reconciliation shows the follow-on orders as such, each with its own MRC, read back clean
    rec = load_workbook(two["report"], read_only=True)
    rows = list(rec["Customers"].iter_rows(values_only=True))
    head = [str(h) for h in rows[0]]
    table = {(r[head.index("Account")], r[head.index("Order")]): dict(zip(head, r, strict=True)) for r in rows[1:]}
    assert set(table) == {(BRANCH, "New Group"), (OWNER, "Add Services")}
    assert table[(BRANCH, "New Group")]["MRC"] == 2 * 28.0 + 35.0  # its own lines, not group 1's
    assert table[(OWNER, "Add Services")]["MRC"] == 2 * 28.0 + 1.0
    assert all(r["Read Back"] == "ok" for r in table.values()), table
    exceptions = list(rec["Exceptions"].iter_rows(values_only=True))[1:]
    assert exceptions == [], exceptions

    # the nightly: both follow-on orders are new tonight, as such, with their own MRC; the totals tie out
    from pipeline.nightly import report_nightly

    night = report_nightly(settings)
    assert night["exceptions"] == 0 and night["expected_mrc"] == night["billed_mrc"], night
    assert night["expected_mrc"] == 3 * 28.0 + 1 * 15.0 + 2 * 28.0 + 35.0 + 2 * 28.0 + 1.0
    nb = load_workbook(night["workbook"], read_only=True)
    rows = list(nb["New Accounts"].iter_rows(values_only=True))
    head = [str(h) for h in rows[0]]
    new = {(r[head.index("Account")], r[head.index("Order")]): r[head.index("MRC")] for r in rows[1:] if r[0]}
    # (the book holds each customer's latest order: Acme Dental's is its Add Services)
    assert new == {(BRANCH, "New Group"): 2 * 28.0 + 35.0, (OWNER, "Add Services"): 2 * 28.0 + 1.0}, new

    # the same second workbook again: nothing new anywhere
    before = _world(sims, eid)
    again = run_file(settings, tmp_path / "two.xlsx", RunOptions())
    assert again["customers"]["failed"] == 0
    assert _world(sims, eid) == before
    # ... and as a new upload (the same orders in another file: another batch): skipped, nothing sent
    copy = second_book(tmp_path / "two-again.xlsx")
    copy.write_bytes(copy.read_bytes())
    third = run_file(settings, copy, RunOptions())
    assert third["batch"] != two["batch"], "the copy must be another batch for this check to mean anything"
    c3 = third["customers"]
    assert (c3["total"], c3["skipped"], c3["valid"], c3["provisioned"]) == (2, 2, 0, 0), third
    assert _world(sims, eid) == before


def test_numeric_id_scheme_numbers_enterprises_and_their_groups(sims: Sims, isolated_home: Path,
                                                                  tmp_path: Path) -> None:
    """ONBOARD_ID_SCHEME=numeric: enterprise EEEEE, groups EEEEEGGGGG (+1 per further group of the same
    enterprise), from counters in staging committed with the claims before the first request."""
    settings = settings_for(isolated_home, sims, id_scheme="numeric")
    run_file(settings, first_book(tmp_path / "one.xlsx"), RunOptions())
    other = _write(tmp_path / "other.xlsx", {
        CUSTOMERS: [_customer("Blue Realty", **{"Default Domain": "bluerealty.example.com"})],
        LOCATIONS: [{"Account Name": "Blue Realty", "Address 1": "5 Elm St", "City": "Austin", "State": "TX",
                     "Zip": "78701", "Main Number": "5125550150"}],
        PACKAGES: [{"Account Name": "Blue Realty", "Order Type": "Hosted PBX", "Package": "Enterprise Basic",
                    "Quantity": "1"}],
    })
    run_file(settings, other, RunOptions())
    two = run_file(settings, second_book(tmp_path / "two.xlsx"), RunOptions())
    assert two["customers"]["provisioned"] == 2 and two["customers"]["failed"] == 0, two

    plans = _plans(isolated_home)
    ids = {(p["account"], p["order_kind"]): (p["enterprise_id"], p["group_id"]) for p in plans.values()}
    assert ids[(OWNER, "new_customer")] == ("00001", "0000100001")
    assert ids[("Blue Realty", "new_customer")] == ("00002", "0000200001")
    assert ids[(BRANCH, "new_group")] == ("00001", "0000100002")
    assert ids[(OWNER, "add_services")] == ("00001", "0000100001")
    groups = sorted(dict(g)["id"] for g in sims.bw.store.snapshot("00001")["groups"])
    assert groups == ["0000100001", "0000100002"]
    con = duckdb.connect(str(isolated_home / "onboard.duckdb"), read_only=True)
    try:
        counters = dict(con.execute("SELECT scope, value FROM id_counters").fetchall())
    finally:
        con.close()
    assert counters == {"enterprise": 2, "group:00001": 2, "group:00002": 1}
    # the same workbook again keeps every id and hands out no number
    run_file(settings, second_book(tmp_path / "two-again.xlsx"), RunOptions())
    con = duckdb.connect(str(isolated_home / "onboard.duckdb"), read_only=True)
    try:
        assert dict(con.execute("SELECT scope, value FROM id_counters").fetchall()) == counters
    finally:
        con.close()


def test_a_new_group_of_a_bill_group_enterprise_invoices_itself(sims: Sims, isolated_home: Path,
                                                                tmp_path: Path) -> None:
    """The invoicer follows the enterprise's billing type: under Bill Group the new customer account is its
    own invoicer and gets its own billing contact; the enterprise's contact is left alone."""
    settings = settings_for(isolated_home, sims)
    one = first_book(tmp_path / "one.xlsx")
    from openpyxl import load_workbook as open_book

    wb = open_book(one)
    ws = wb["Customers"]
    col = [c.value for c in ws[1]].index("Billing Type") + 1
    ws.cell(row=2, column=col, value="Multi-Group - Bill Group")
    wb.save(one)
    run_file(settings, one, RunOptions())
    contacts_before = sims.bl.store._all("SELECT account_id, emails FROM contacts ORDER BY id")
    branch = _customer(BRANCH, **{"Order": "New Group", "Enterprise Account": OWNER, "Billing Type": "",
                                  "Email": "west@acmedental.example.com"})
    two = _write(tmp_path / "branch.xlsx", {
        CUSTOMERS: [branch],
        LOCATIONS: [{"Account Name": BRANCH, "Address 1": "9 West Ave", "City": "Austin", "State": "TX",
                     "Zip": "78701", "Main Number": "5125550120"}],
        PACKAGES: [{"Account Name": BRANCH, "Order Type": "Hosted PBX", "Package": "Enterprise Basic",
                    "Quantity": "1"}],
    })
    res = run_file(settings, two, RunOptions())
    assert res["customers"]["billed"] == 1 and res["customers"]["failed"] == 0, res
    accounts = {name: (ident, inv) for ident, name, _, inv in _billing(sims)["accounts"]}
    ident, invoicer = accounts[BRANCH]
    assert invoicer == ident  # Bill Group: its own invoicer
    contacts = sims.bl.store._all("SELECT account_id, emails FROM contacts ORDER BY id")
    assert contacts[: len(contacts_before)] == contacts_before  # the enterprise's / group 1's contact untouched
    assert [c[0] for c in contacts[len(contacts_before):]] == [ident]
    assert "west@acmedental.example.com" in str(contacts[-1][1])
