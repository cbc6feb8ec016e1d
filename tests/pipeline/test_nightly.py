"""The nightly finance report against customers onboarded by the plain pipeline (no Prefect).

Four sample customers go through ``pipeline.batch.run_file`` once per module into a template data home
(staging and the simulators' state files); each test gets its own copy, then breaks billing the way
finance would find it broken (on the billing simulator's state file: its API offers no delete).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from openpyxl import load_workbook

from connectors.billing.provision import BillingProvisioner
from connectors.systems import open_systems
from core.order import BILL_ENTERPRISE, BILL_GROUP, CustomerOrder
from core.settings import Settings
from data.catalog import load_catalog
from data.samples.generate import Book, sample_rows, write_xlsx
from pipeline import nightly
from pipeline.batch import open_context, run_file
from pipeline.stage import RunOptions
from reports import compare, finance

DAY = date(2026, 4, 15)  # bill runs on the 1st: the last was 2026-04-01, the coming one is 2026-05-01
# Acme and Delta: Bill Group; Blue and Cedar: Bill Enterprise. Blue ports a number, Delta orders toll
# free: each has a follow-up ticket, open in the ticket system.
STARTS = {"Acme Dental": "2026-04-20", "Blue Dental": "2026-03-10", "Cedar Dental": "2026-05-01",
          "Delta Dental": "2026-04-02"}
OPEN_TICKETS = {("Blue Dental", compare.TICKET_OPEN), ("Delta Dental", compare.TICKET_OPEN)}


def sample_book() -> Book:
    book = sample_rows(4, invalid=False)
    for row in book.rows["Customers"]:
        row[15] = STARTS[str(row[1])]  # Billing Start Date
    return book


def expected_mrc(book: Book, account: str) -> float:
    """The order at the rate card, straight from the workbook rows and the catalog."""
    catalog = load_catalog()
    total = 0.0
    for acc, ot, name, qty, _ in book.rows["Packages"]:
        if acc == account:
            p = catalog.package(str(ot), str(name))
            assert p is not None
            total += p.mrc * int(str(qty))
    return round(total, 2)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("template") / "home"
    path = write_xlsx(sample_book(), home.parent / "orders.xlsx")
    result = run_file(Settings(home=home), path, RunOptions())
    assert result["customers"]["billed"] == result["customers"]["provisioned"] == 4, result
    return home


@pytest.fixture
def settings(isolated_home: Path, template: Path) -> Settings:
    shutil.copytree(template, isolated_home, dirs_exist_ok=True)
    return Settings(home=isolated_home, concurrency=2)


def billing_db(settings: Settings) -> sqlite3.Connection:
    """The billing simulator's state file (it offers no delete over its API; the sims are stopped)."""
    return sqlite3.connect(settings.home / "sim" / "billing.sqlite", isolation_level=None)


def delete_billing_account(settings: Settings, name: str) -> None:
    with billing_db(settings) as db:
        (acc_id,) = db.execute("SELECT id FROM accounts WHERE name = ? AND role = 'Customer'", [name]).fetchone()
        db.execute("DELETE FROM account_packages WHERE account_id = ?", [acc_id])
        db.execute("DELETE FROM contacts WHERE account_id = ?", [acc_id])
        db.execute("DELETE FROM accounts WHERE id = ?", [acc_id])


def delete_billing_package(settings: Settings, account: str, package: str) -> None:
    with billing_db(settings) as db:
        n = db.execute(
            "DELETE FROM account_packages WHERE package_name = ? AND account_id IN "
            "(SELECT id FROM accounts WHERE name = ? AND role = 'Customer')", [package, account]
        ).rowcount
    assert n == 1


def night(settings: Settings, day: date = DAY) -> tuple[Path, dict[str, Any]]:
    with open_context(settings, "test nightly") as ctx, open_systems(ctx.home, settings) as systems:
        return nightly.run_nightly(ctx, systems, day)


def sheet(path: Path, title: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=title, dtype=object)




def kinds(path: Path) -> set[tuple[str, str]]:
    return {(r["Account"], r["Kind"]) for r in sheet(path, "Exceptions").to_dict("records")}


# -- against the simulators -------------------------------------------------------------------------
def test_clean_run_totals_tie(settings: Settings) -> None:
    path, summary = night(settings)
    assert kinds(path) == OPEN_TICKETS  # nothing else is wrong after a clean run
    book = sample_book()
    want = {a: expected_mrc(book, a) for a in STARTS}
    assert all(v > 0 for v in want.values())
    assert summary["expected_mrc"] == summary["billed_mrc"] == round(sum(want.values()), 2)
    evb = sheet(path, "Expected vs Billed").set_index("Billing Type")
    group = {str(k): v for k, v in evb.loc[BILL_GROUP].items()}
    assert group["Expected MRC"] == group["Billed MRC"] == round(want["Acme Dental"] + want["Delta Dental"], 2)
    assert evb.loc[BILL_ENTERPRISE, "Customers"] == 2
    assert (evb["MRC Difference"] == 0).all() and (evb["NRC Difference"] == 0).all()
    # first invoices on 2026-05-01; Cedar starts with the run after; Blue started before the last run
    # but was billed only now, so its first invoice is the coming one, back-billed (flagged)
    cal = sheet(path, "First Invoices").set_index("Account")
    assert sorted(cal.index) == ["Acme Dental", "Blue Dental", "Delta Dental"]
    assert (cal["First Invoice Date"] == pd.Timestamp("2026-05-01")).all()
    assert dict(cal["Past Start"]) == {"Acme Dental": "no", "Blue Dental": "yes", "Delta Dental": "yes"}
    assert dict(cal["Invoicer"]) == {"Acme Dental": "Acme Dental", "Blue Dental": "Blue Dental Enterprise",
                                     "Delta Dental": "Delta Dental"}
    assert cal.loc["Blue Dental", "MRC"] == want["Blue Dental"]
    assert sheet(path, "New Accounts").empty  # onboarded today, not on DAY


def test_new_accounts_are_those_billed_on_the_day(settings: Settings) -> None:
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    summary = nightly.report_nightly(settings, None)
    assert summary["date"] == today.isoformat() and summary["new_accounts"] == 4
    new = sheet(Path(str(summary["workbook"])), "New Accounts")
    assert sorted(new["Account"]) == sorted(STARTS)
    assert new["Billing Account ID"].notna().all()


def test_customer_deleted_from_billing_is_provisioned_not_billed(settings: Settings) -> None:
    delete_billing_account(settings, "Cedar Dental")
    path, summary = night(settings)
    assert kinds(path) == OPEN_TICKETS | {("Cedar Dental", compare.PROVISIONED_NOT_BILLED)}
    lost = expected_mrc(sample_book(), "Cedar Dental")
    assert summary["billed_mrc"] == round(summary["expected_mrc"] - lost, 2)
    evb = sheet(path, "Expected vs Billed").set_index("Billing Type")
    assert evb.loc[BILL_ENTERPRISE, "MRC Difference"] == -lost and evb.loc[BILL_GROUP, "MRC Difference"] == 0


def test_missing_retailrates_is_reported(settings: Settings) -> None:
    delete_billing_package(settings, "Acme Dental", "RetailRates")
    path, summary = night(settings)
    exc = sheet(path, "Exceptions")
    exc = exc[exc["Kind"] != compare.TICKET_OPEN]
    assert list(zip(exc["Account"], exc["Kind"], exc["Detail"], strict=True)) == [
        ("Acme Dental", compare.AUTO_PACKAGE_MISSING, "RetailRates")
    ]
    assert summary["by_kind"] == {compare.AUTO_PACKAGE_MISSING: 1, compare.TICKET_OPEN: 2}
    assert summary["expected_mrc"] == summary["billed_mrc"]  # RetailRates carries no charge


def test_changes_since_previous_night(settings: Settings) -> None:
    delete_billing_package(settings, "Acme Dental", "RetailRates")
    with billing_db(settings) as db:  # a second problem: one Hunt Group too few
        db.execute("UPDATE account_packages SET quantity = 0 WHERE package_name = 'Hunt Group'")
    _, first = night(settings, DAY)
    assert (first["new"], first["still_open"], first["resolved"]) == (4, 0, 0)
    with billing_db(settings) as db:  # finance fixed the Hunt Group; a customer disappears
        db.execute("UPDATE account_packages SET quantity = 1 WHERE package_name = 'Hunt Group'")
    delete_billing_account(settings, "Cedar Dental")
    path, second = night(settings, date(2026, 4, 16))
    assert second["previous_night"] == "2026-04-15"
    changes = {(r["Change"], r["Account"], r["Kind"], r["First Seen"])
               for r in sheet(path, "Changes").to_dict("records")}
    assert changes == {
        ("new", "Cedar Dental", compare.PROVISIONED_NOT_BILLED, "2026-04-16"),
        ("still open", "Acme Dental", compare.AUTO_PACKAGE_MISSING, "2026-04-15"),
        ("still open", "Blue Dental", compare.TICKET_OPEN, "2026-04-15"),
        ("still open", "Delta Dental", compare.TICKET_OPEN, "2026-04-15"),
        ("resolved", "Blue Dental", compare.PACKAGE_MISMATCH, "2026-04-15"),
    }
    # the same night again replaces its own file; it still compares with the night before
    _, again = night(settings, date(2026, 4, 16))
    assert (again["new"], again["still_open"], again["resolved"]) == (1, 3, 1)
    assert sorted(p.name for p in (settings.home / "nightly").iterdir()) == [
        "exceptions-2026-04-15.parquet", "exceptions-2026-04-16.parquet"]


def test_invoicer_and_email_problems(settings: Settings) -> None:
    with billing_db(settings) as db:
        # Blue (Bill Enterprise) now invoices itself; Acme's contact holds a broken address
        db.execute("UPDATE accounts SET invoicer_id = id WHERE name = 'Blue Dental' AND role = 'Customer'")
        db.execute("""UPDATE contacts SET emails = '["billing at acmedental"]' WHERE account_id =
                      (SELECT id FROM accounts WHERE name = 'Acme Dental' AND role = 'Customer')""")
    path, _ = night(settings)
    assert kinds(path) - OPEN_TICKETS == {
        ("Blue Dental", compare.INVOICER_MISMATCH),
        ("Blue Dental", compare.BAD_INVOICE_EMAIL),  # the customer account holds no billing contact
        ("Acme Dental", compare.BAD_INVOICE_EMAIL),
    }
    detail = sheet(path, "Exceptions").set_index(["Account", "Kind"])["Detail"]
    assert "billing at acmedental" in detail[("Acme Dental", compare.BAD_INVOICE_EMAIL)]
    assert detail[("Blue Dental", compare.TICKET_OPEN)].startswith("lnp_order ticket ")


def test_billing_account_nobody_onboarded(settings: Settings) -> None:
    with open_context(settings, "test") as ctx:
        (plan,) = ctx.store.frame("SELECT plan FROM plans WHERE account = 'Acme Dental'")["plan"]
    stray = CustomerOrder.from_dict({**json.loads(plan), "account": "Stray Clinic"})  # put into billing by hand
    with open_context(settings, "test") as ctx, open_systems(ctx.home, settings) as systems:
        assert BillingProvisioner(systems.billing).provision(stray, {}, lambda e: None).status == "done"
    path, summary = night(settings)
    assert kinds(path) - OPEN_TICKETS == {("Stray Clinic", compare.BILLED_NOT_PROVISIONED)}
    acme = expected_mrc(sample_book(), "Acme Dental")
    assert summary["billed_mrc"] == round(summary["expected_mrc"] + acme, 2)


def test_ticket_status_is_read_a_hundred_per_request_not_one_by_one(settings: Settings,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with open_context(settings, "test") as ctx, open_systems(ctx.home, settings) as systems:
        staged = ctx.store.frame("SELECT external_id, ticket_id FROM tickets ORDER BY external_id")
        assert len(staged) >= 2 and staged["ticket_id"].notna().all()
        held = {t.id: t.status for t in systems.tickets.show_many([int(i) for i in staged["ticket_id"]])}
        gone = staged["external_id"].iloc[0]
        ctx.store.con.execute("UPDATE tickets SET ticket_id = '999999' WHERE external_id = ?", [gone])  # deleted there
        calls: list[int] = []
        real = systems.tickets.show_many
        monkeypatch.setattr(systems.tickets, "show_many", lambda ids: calls.append(len(ids)) or real(ids))

        def one_by_one(external_id: str) -> None:
            raise AssertionError(f"{external_id}: looked up by external id although its ticket id is known")

        monkeypatch.setattr(systems.tickets, "find_ticket", one_by_one)
        out = nightly.ticket_status(ctx.store, systems, concurrency=2).set_index("external_id")["status"]

    assert calls == [len(staged)]  # one request for every ticket of the book
    assert out[gone] == "missing"
    for ext, tid in zip(staged["external_id"], staged["ticket_id"], strict=True):
        if ext != gone:
            assert out[ext] == held[int(tid)]


def test_workbook_opens_with_every_sheet_and_a_chart(settings: Settings) -> None:
    path, _ = night(settings)
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "New Accounts", "Expected vs Billed", "First Invoices", "Exceptions", "Changes"]
    with zipfile.ZipFile(path) as z:
        assert [n for n in z.namelist() if n.startswith("xl/charts/")] == ["xl/charts/chart1.xml"]


# -- plain functions --------------------------------------------------------------------------------
@pytest.mark.parametrize(("day", "runs"), [
    (date(2026, 4, 15), (date(2026, 4, 1), date(2026, 5, 1))),
    (date(2026, 4, 1), (date(2026, 4, 1), date(2026, 5, 1))),
    (date(2026, 12, 31), (date(2026, 12, 1), date(2027, 1, 1))),
])
def test_bill_runs(day: date, runs: tuple[date, date]) -> None:
    assert finance.bill_runs(day) == runs


def test_bill_runs_mid_month() -> None:
    assert finance.bill_runs(date(2026, 1, 10), 15) == (date(2025, 12, 15), date(2026, 1, 15))


def test_exception_rules_on_plain_read_back() -> None:
    plan = {"enterprise_id": "default_Acme", "billing_type": BILL_ENTERPRISE, "emails": ["a@acme.example.com"],
            "packages": [{"billing_package": "Hunt Group", "quantity": 1, "mrc": 1.0, "nrc": 0.0}]}
    bw_ok = {"enterprise_exists": True, "group_exists": True}
    assert nightly.customer_exceptions(plan, {"enterprise_exists": False, "group_exists": False}, {"found": False}) == [
        (compare.NOT_PROVISIONED, "neither BroadWorks nor billing holds the customer")]
    billed = {"found": True, "customer": {"packages": []}, "enterprise": {"packages": []},
              "billing_type": BILL_ENTERPRISE, "missing_auto_packages": [],
              "contact": {"emails": ["A@acme.example.com"]}}
    got = dict(nightly.customer_exceptions(plan, {"enterprise_exists": True, "group_exists": False}, billed))
    assert set(got) == {compare.BILLED_NOT_PROVISIONED, compare.PACKAGE_MISMATCH}
    assert "group 1" in got[compare.BILLED_NOT_PROVISIONED]
    assert got[compare.PACKAGE_MISMATCH] == "Hunt Group: ordered 1, billed 0"
    failed = nightly.customer_exceptions(plan, {"error": "down"}, billed)[0]
    assert failed == (compare.NOT_PROVISIONED, "BroadWorks read-back failed: down")  # never taken as absent
    assert compare.email_problem(plan, billed) is None  # addresses compare case-insensitively
    assert compare.email_problem(plan, {**billed, "contact": {"emails": ["b@else.example.com"]}}) is not None
    assert dict(nightly.customer_exceptions(plan, bw_ok, {**billed, "billing_type": BILL_GROUP}))[
        compare.INVOICER_MISMATCH].startswith("ordered " + BILL_ENTERPRISE)


def test_parse_day() -> None:
    assert nightly.parse_day("2026-02-03", "UTC") == date(2026, 2, 3)
    assert nightly.parse_day(None, "America/New_York") == datetime.now(ZoneInfo("America/New_York")).date()
    with pytest.raises(ValueError):
        nightly.parse_day("02/03/2026", "UTC")
