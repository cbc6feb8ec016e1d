"""Issue 12 on the simulators: near-duplicate names never share or merge an enterprise; billing follows
BroadWorks; one customer's unexpected error fails that customer only."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from connectors.billing.provision import BillingProvisioner
from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient
from core.settings import SIM_SECRET, SIM_USER
from data.samples.generate import Book, sample_rows, write_xlsx
from pipeline.batch import retry_batch, run_file
from pipeline.stage import RunOptions
from tests.pipeline.conftest import Sims, settings_for

XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def renamed(book: Book, names: dict[str, str]) -> Book:
    """The book with some customers renamed on every sheet (Account Name is column 2 of Customers, 1 elsewhere)."""
    for sheet, rows in book.rows.items():
        col = 1 if sheet == "Customers" else 0
        for row in rows:
            if row[col] in names:
                row[col] = names[str(row[col])]
    return book


def admin_requests(journal: Path) -> Counter[tuple[str, str]]:
    """(command type, admin user id) of every admin add or modify BroadWorks received."""
    out: Counter[tuple[str, str]] = Counter()
    for line in journal.read_text().splitlines():
        doc = etree.fromstring(json.loads(line)["request"].encode())
        for cmd in doc.iter("command"):
            typ = (cmd.get(XSI_TYPE) or "").split(":")[-1]
            if typ.startswith("ServiceProviderAdmin") and ("Add" in typ or "Modify" in typ):
                out[(typ, cmd.findtext("userId") or "")] += 1
    return out


def plans(home: Path) -> dict[str, dict]:
    con = duckdb.connect(str(home / "onboard.duckdb"), read_only=True)
    try:
        return {json.loads(p)["account"]: json.loads(p) for (p,) in con.execute("SELECT plan FROM plans").fetchall()}
    finally:
        con.close()


def _billing_names(s: Sims) -> set[str]:
    return {r[0] for r in s.bl.store._all("SELECT name FROM accounts")}


def _check_one_admin_each(s: Sims, journal: Path, by_account: dict[str, dict]) -> None:
    reqs = admin_requests(journal)
    assert not [k for k in reqs if "Modify" in k[0]], reqs  # no admin was ever modified (no password reset)
    for p in by_account.values():
        assert reqs[("ServiceProviderAdminAddRequest14", p["admin_user_id"])] == 1, p["account"]
        snap = s.bw.store.snapshot(p["enterprise_id"])
        assert [a[0] for a in snap["admins"]] == [p["admin_user_id"]], p["account"]
        assert [dict(g)["id"] for g in snap["groups"]] == [p["group_id"]], p["account"]


def test_names_that_slug_alike_in_one_file_get_their_own_enterprises(sims: Sims, isolated_home: Path,
                                                                     tmp_path: Path) -> None:
    book = sample_rows(3, invalid=False)
    a, b, c = (str(r[1]) for r in book.rows["Customers"])
    path = write_xlsx(renamed(book, {a: "Acme Dental", b: "Acme Dental.", c: "Acme-Dental"}), tmp_path / "o.xlsx")
    res = run_file(settings_for(isolated_home, sims), path, RunOptions())
    cust = res["customers"]
    assert cust["valid"] == cust["provisioned"] == cust["billed"] == 3 and cust["failed"] == 0
    by_account = plans(isolated_home)
    assert len({p["enterprise_id"] for p in by_account.values()}) == 3
    _check_one_admin_each(sims, tmp_path / "journal" / "broadworks.jsonl", by_account)
    assert {"Acme Dental Enterprise", "Acme Dental. Enterprise", "Acme-Dental Enterprise"} <= _billing_names(sims)


def test_a_near_duplicate_in_a_later_batch_is_not_merged_into_the_first(sims: Sims, isolated_home: Path,
                                                                        tmp_path: Path) -> None:
    settings = settings_for(isolated_home, sims)
    first_book = sample_rows(1, invalid=False)
    name = str(first_book.rows["Customers"][0][1])
    first = run_file(settings, write_xlsx(renamed(first_book, {name: "Acme Dental"}), tmp_path / "a.xlsx"),
                     RunOptions())
    assert first["customers"]["provisioned"] == 1
    before = plans(isolated_home)["Acme Dental"]
    snap_before = sims.bw.store.snapshot(before["enterprise_id"])

    second_book = sample_rows(1, invalid=False, seed=11)
    second = run_file(settings, write_xlsx(renamed(second_book, {name: "Acme-Dental"}), tmp_path / "b.xlsx"),
                      RunOptions())
    assert second["batch"] != first["batch"]
    assert second["customers"]["valid"] == second["customers"]["provisioned"] == second["customers"]["billed"] == 1
    after = plans(isolated_home)
    assert after["Acme-Dental"]["enterprise_id"] != before["enterprise_id"]
    assert after["Acme-Dental"]["admin_user_id"] != before["admin_user_id"]
    # the first customer's enterprise, group and admin are exactly as the first batch left them
    assert sims.bw.store.snapshot(before["enterprise_id"]) == snap_before
    _check_one_admin_each(sims, tmp_path / "journal" / "broadworks.jsonl", after)


def _foreign_admin(s: Sims, user_id: str) -> None:
    """Someone else's enterprise in BroadWorks already has an administrator with this (global) user id."""
    client = OcipClient(s.broadworks.base_url + "/webservice/services/ProvisioningService", SIM_USER, SIM_SECRET)
    try:
        client.call(C.sp_add("someone_else", "else.example.com", "Someone else"))
        client.call(C.sp_admin_add("someone_else", user_id, "Other", "Admin", "Other-Pass-123", "Customer"))
    finally:
        client.close()


def test_a_broadworks_terminal_failure_leaves_billing_untouched_until_retry(sims: Sims, isolated_home: Path,
                                                                            tmp_path: Path) -> None:
    book = sample_rows(3, invalid=False)
    victim = str(book.rows["Customers"][1][1])
    path = write_xlsx(book, tmp_path / "o.xlsx")
    settings = settings_for(isolated_home, sims)
    from transforms.normalize import _key_of
    from transforms.plan import customer_ids

    admin = customer_ids("default", victim, _key_of(victim))["admin_user_id"]
    _foreign_admin(sims, admin)
    res = run_file(settings, path, RunOptions())
    c = res["customers"]
    assert c["valid"] == 3 and c["provisioned"] == 2 and c["billed"] == 2 and c["failed"] == 1
    assert victim not in _billing_names(sims) and f"{victim} Enterprise" not in _billing_names(sims)
    journal = [json.loads(x)["request"] for x in (tmp_path / "journal" / "billing.jsonl").read_text().splitlines()]
    writes = [r for r in journal if not r["path"].endswith("/Search") and r["method"] != "GET"]
    assert writes and not [r for r in writes if victim in json.dumps(r.get("body"))]  # nothing created for it

    con = duckdb.connect(str(isolated_home / "onboard.duckdb"), read_only=True)
    try:
        (err,) = con.execute("SELECT error FROM ledger WHERE account = ? AND system = 'billing' AND step = 'complete'",
                             [victim]).fetchone() or ("",)
        assert err.startswith("NOT_BILLED") and "admin" in err
        assert con.execute("SELECT count(*) FROM ledger WHERE account = ? AND system = 'billing' AND step <> 'complete'",
                           [victim]).fetchone() == (0,)
    finally:
        con.close()
    # the reconciliation says why it was not billed
    from openpyxl import load_workbook

    ws = load_workbook(res["report"], read_only=True)["Exceptions"]
    rows = [r for r in ws.iter_rows(values_only=True) if victim in [str(v) for v in r]]
    assert rows and any("NOT_BILLED" in str(v) for v in rows[0]), rows

    # once BroadWorks can finish (the foreign admin is gone), retry bills it
    with sims.bw.store.tx() as db:
        db.execute("DELETE FROM admin WHERE user_id = ?", (admin,))
    again = retry_batch(settings, res["batch"])
    assert again["customers"]["provisioned"] == again["customers"]["billed"] == 3 and again["customers"]["failed"] == 0
    assert f"{victim} Enterprise" in _billing_names(sims)


def test_an_unexpected_error_fails_one_customer_and_retry_redrives_it(sims: Sims, isolated_home: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    book = sample_rows(4, invalid=False)
    victim = str(book.rows["Customers"][2][1])
    path = write_xlsx(book, tmp_path / "o.xlsx")
    settings = settings_for(isolated_home, sims)
    real = BillingProvisioner.provision

    def flaky(self: BillingProvisioner, order, done, record):  # type: ignore[no-untyped-def]
        if order.account == victim:
            raise KeyError("a bug in one customer's billing")
        return real(self, order, done, record)

    monkeypatch.setattr(BillingProvisioner, "provision", flaky)
    res = run_file(settings, path, RunOptions())
    c = res["customers"]
    assert c["valid"] == 4 and c["provisioned"] == 4 and c["billed"] == 3 and c["failed"] == 1
    con = duckdb.connect(str(isolated_home / "onboard.duckdb"), read_only=True)
    try:
        (err,) = con.execute("SELECT error FROM ledger WHERE account = ? AND system = 'billing' AND step = 'complete' "
                             "AND status = 'failed'", [victim]).fetchone() or ("",)
    finally:
        con.close()
    assert err.startswith("unexpected error: KeyError") and "a bug in one customer" in err

    monkeypatch.setattr(BillingProvisioner, "provision", real)
    again = retry_batch(settings, res["batch"])
    assert again["customers"]["billed"] == 4 and again["customers"]["failed"] == 0


def test_an_unexpected_error_before_the_first_request_fails_that_customer_only(
        sims: Sims, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.provision as P

    book = sample_rows(3, invalid=False)
    victim = str(book.rows["Customers"][0][1])
    path = write_xlsx(book, tmp_path / "o.xlsx")
    settings = settings_for(isolated_home, sims)
    real = P.enterprise_exists

    def broken(client: OcipClient, enterprise_id: str) -> bool:
        if enterprise_id.startswith("default_" + victim.replace(" ", "_")):
            raise ValueError("surprise while looking")
        return real(client, enterprise_id)

    monkeypatch.setattr(P, "enterprise_exists", broken)
    res = run_file(settings, path, RunOptions())
    c = res["customers"]
    assert c["provisioned"] == c["billed"] == 2 and c["failed"] == 1
    assert victim not in _billing_names(sims)
    monkeypatch.setattr(P, "enterprise_exists", real)
    again = retry_batch(settings, res["batch"])
    assert again["customers"]["provisioned"] == again["customers"]["billed"] == 3 and again["customers"]["failed"] == 0


def test_names_with_the_same_key_are_the_same_customer(sims: Sims, isolated_home: Path, tmp_path: Path) -> None:
    """Case and spacing do not make a new customer: in a later batch it is already onboarded (nothing sent),
    in one file the two rows are DUPLICATE_ACCOUNT (both held)."""
    settings = settings_for(isolated_home, sims)
    book = sample_rows(1, invalid=False)
    name = str(book.rows["Customers"][0][1])
    first = run_file(settings, write_xlsx(renamed(book, {name: "Acme Dental"}), tmp_path / "a.xlsx"), RunOptions())
    assert first["customers"]["provisioned"] == 1
    adds = sims.bw.accepted_adds()
    again = run_file(settings, write_xlsx(renamed(sample_rows(1, invalid=False), {name: "ACME   dental"}),
                                          tmp_path / "b.xlsx"), RunOptions())
    assert again["batch"] != first["batch"]
    assert again["customers"]["valid"] == 0 and again["customers"]["skipped"] + again["customers"]["held"] == 1
    assert sims.bw.accepted_adds() == adds  # nothing sent: no second enterprise, no admin reset

    two = sample_rows(2, invalid=False, seed=3)
    a, b = (str(r[1]) for r in two.rows["Customers"])
    dup = run_file(settings, write_xlsx(renamed(two, {a: "Blue Realty", b: "blue  REALTY"}), tmp_path / "c.xlsx"),
                   RunOptions())
    assert dup["customers"]["held"] >= 1 and dup["customers"]["valid"] == 0
    assert sims.bw.accepted_adds() == adds
    con = duckdb.connect(str(isolated_home / "onboard.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT account FROM findings WHERE batch_id = ? AND code = 'DUPLICATE_ACCOUNT'",
                           [dup["batch"]]).fetchall()
    finally:
        con.close()
    assert sorted(r[0] for r in rows) == ["Blue Realty", "blue  REALTY"] or sorted(r[0] for r in rows) == [
        "Blue Realty", "blue REALTY"]
