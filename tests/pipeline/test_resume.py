"""Resume and retry: the ledger drives everything, nothing is ever sent twice (issue 7).

The systems' own state (the simulators' SQLite files) is read back after each scenario and compared
with the plans and the ledger: every valid customer exactly once, no number on two customers.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from openpyxl import load_workbook

from connectors.billing.provision import CUSTOMER_PACKAGES, ENTERPRISE_PACKAGE
from connectors.broadworks.commands import to_bw_dn
from connectors.systems import start_simulators
from core.settings import load_settings
from pipeline.batch import retry_batch, run_file
from pipeline.plan_view import plan_steps
from pipeline.stage import RunOptions
from staging.snapshot import read_batch

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "samples" / "orders-sample.xlsx"


# ----------------------------------------------------------------------------- read-back (shared with test_chaos)


def staged(home: Path, batch: str) -> tuple[list[dict[str, Any]], dict[tuple[str, str, str], tuple[str, str | None]]]:
    """Plans and ledger of a batch, read-only."""
    with duckdb.connect(str(home / "onboard.duckdb"), read_only=True) as con:
        plans = [json.loads(p) for (p,) in con.execute("SELECT plan FROM plans WHERE batch_id = ?", [batch]).fetchall()]
        ledger = {(a, s, st): (status, ext) for a, s, st, status, ext in con.execute(
            "SELECT account, system, step, status, external_id FROM ledger WHERE batch_id = ?", [batch]).fetchall()}
    return plans, ledger


def read_back(sim_dir: Path, plans: list[dict[str, Any]],
              ledger: dict[tuple[str, str, str], tuple[str, str | None]]) -> dict[str, Any]:
    """Compare the simulators' state with the plans and the ledger. Returns counts and problems."""
    problems: list[str] = []
    bw = sqlite3.connect(sim_dir / "broadworks.sqlite")
    bl = sqlite3.connect(sim_dir / "billing.sqlite")
    tk = sqlite3.connect(sim_dir / "tickets.sqlite")
    try:
        sps = {r[0] for r in bw.execute("SELECT id FROM sp")}
        groups = Counter(r[0] for r in bw.execute("SELECT sp FROM grp"))
        dns = dict(bw.execute("SELECT number, grp FROM dn").fetchall())
        admins = Counter(r[0] for r in bw.execute("SELECT sp FROM admin"))
        accounts = bl.execute("SELECT id, name, role, parent_id, top_id, invoicer_id FROM accounts").fetchall()
        by_key = Counter((top, name, role) for _, name, role, _, top, _ in accounts)
        ids = {(top, name, role): i for i, name, role, _, top, _ in accounts}
        packages: dict[int, Counter[tuple[str, int]]] = {}
        for acc, name, qty in bl.execute("SELECT account_id, package_name, quantity FROM account_packages"):
            packages.setdefault(acc, Counter())[(name, qty)] += 1
        contacts = Counter(r[0] for r in bl.execute("SELECT account_id FROM contacts"))
        tickets = Counter(r[0] for r in tk.execute("SELECT external_id FROM tickets"))
    finally:
        bw.close()
        bl.close()
        tk.close()
    duplicates = sum(n - 1 for n in by_key.values() if n > 1) + sum(n - 1 for n in tickets.values() if n > 1)
    duplicates += sum(n - 1 for n in groups.values() if n > 1) + sum(n - 1 for n in admins.values() if n > 1)
    owner: dict[str, str] = {}
    partners = {top for top, _, role in by_key if role == "Enterprise"}
    if len(partners) > 1:
        problems.append(f"{len(partners)} partner accounts")
    for p in plans:
        acc, ent, grp = p["account"], p["enterprise_id"], p["group_id"]
        if ent not in sps or groups[ent] != 1:
            problems.append(f"{acc}: enterprise/group in BroadWorks: {ent in sps}/{groups[ent]}")
        if p.get("admin_user_id") and admins[ent] != 1:
            problems.append(f"{acc}: {admins[ent]} admin(s)")
        for n in p["numbers"]:
            if n["number"] in owner:
                problems.append(f"number {n['number']} planned for {owner[n['number']]} and {acc}")
            owner[n["number"]] = acc
            if dns.get(to_bw_dn(n["number"])) != grp:
                problems.append(f"{acc}: {n['number']} assigned to {dns.get(to_bw_dn(n['number']))}")
        top = next(iter(partners), None)
        e_id, c_id = ids.get((top, f"{acc} Enterprise", "Enterprise")), ids.get((top, acc, "Customer"))
        if e_id is None or c_id is None:
            problems.append(f"{acc}: billing accounts missing")
            continue
        want = Counter([(ENTERPRISE_PACKAGE, 1)])
        if packages.get(e_id, Counter()) != want:
            problems.append(f"{acc}: enterprise packages {dict(packages.get(e_id, {}))}")
        want = Counter([(n, 1) for n in CUSTOMER_PACKAGES] + [(x["billing_package"], x["quantity"]) for x in p["packages"]])
        if packages.get(c_id, Counter()) != want:
            problems.append(f"{acc}: customer packages {dict(packages.get(c_id, {}))} != {dict(want)}")
        invoicer = e_id if p["billing_type"].endswith("Bill Enterprise") else c_id
        if contacts[invoicer] != 1:
            problems.append(f"{acc}: {contacts[invoicer]} billing contact(s)")
        # The ledger must say what the systems hold.
        for system in ("broadworks", "billing", "tickets"):
            if ledger.get((acc, system, "complete"), ("",))[0] != "done":
                problems.append(f"{acc}: ledger {system} not complete")
        if ledger.get((acc, "billing", "enterprise_account"), ("", None))[1] != str(e_id):
            problems.append(f"{acc}: ledger enterprise account {ledger.get((acc, 'billing', 'enterprise_account'))} != {e_id}")
        if ledger.get((acc, "billing", "customer_account"), ("", None))[1] != str(c_id):
            problems.append(f"{acc}: ledger customer account != {c_id}")
        if ledger.get((acc, "broadworks", "enterprise"), ("", None)) != ("done", ent):
            problems.append(f"{acc}: ledger enterprise {ledger.get((acc, 'broadworks', 'enterprise'))}")
        for f in p["follow_ups"]:
            ext = f"{p['partner_id']}:{acc}:{f['kind']}" + (f":{f['detail']}" if f["detail"] else "")
            if tickets[ext] != 1:
                problems.append(f"{acc}: {tickets[ext]} ticket(s) {ext}")
    extra_sp = sps - {p["enterprise_id"] for p in plans}
    if extra_sp:
        problems.append(f"enterprises nobody planned: {sorted(extra_sp)[:5]}")
    return {
        "customers": len(plans), "enterprises": len(sps), "numbers": len(dns), "admins": sum(admins.values()),
        "billing_accounts": len(accounts), "package_lines": sum(sum(c.values()) for c in packages.values()),
        "tickets": sum(tickets.values()), "duplicates": duplicates, "problems": problems,
    }


def sim_rows(sim_dir: Path) -> dict[str, int]:
    """Row counts of every simulated table: equal before and after means nothing was added."""
    out = {}
    for system, tables in (("broadworks", ("sp", "sp_service", "pack", "grp", "grp_auth", "grp_assign", "dn", "admin")),
                           ("billing", ("accounts", "contacts", "account_packages")), ("tickets", ("tickets",))):
        with sqlite3.connect(sim_dir / f"{system}.sqlite") as db:
            for t in tables:
                out[f"{system}.{t}"] = db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
    return out


# ----------------------------------------------------------------------------- scenarios


@pytest.fixture
def external_sims(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The three simulators as servers of the test (like separately started ones): knobs stay reachable."""
    sims = start_simulators(isolated_home.parent / "systems", load_settings())
    monkeypatch.setenv("ONBOARD_BROADWORKS_URL", sims["broadworks"].base_url + "/webservice/services/ProvisioningService")
    monkeypatch.setenv("ONBOARD_BILLING_URL", sims["billing"].base_url)
    monkeypatch.setenv("ONBOARD_TICKETS_URL", sims["tickets"].base_url)
    yield dict(sims)
    for s in sims.values():
        s.stop()


def _run() -> dict[str, Any]:
    settings = load_settings()
    return run_file(settings, SAMPLE, RunOptions(chunk_size=settings.chunk_size))


def test_half_staged_batch_is_planned_on_resume(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed after the batch row was committed but before the plans: the resume must plan, not skip."""
    import pipeline.stage

    def killed(*_: object, **__: object) -> None:
        raise KeyboardInterrupt  # a BaseException: committed work stays, like SIGKILL between transactions

    with monkeypatch.context() as m:
        m.setattr(pipeline.stage, "plan_valid", killed)  # planning, after the batch row was committed
        with pytest.raises(KeyboardInterrupt):
            _run()
    result = _run()
    c = result["customers"]
    assert (c["valid"], c["provisioned"], c["billed"], c["failed"]) == (18, 18, 18, 0)
    plans, ledger = staged(isolated_home, result["batch"])
    rb = read_back(isolated_home / "sim", plans, ledger)
    assert rb["problems"] == [] and rb["duplicates"] == 0
    with duckdb.connect(str(isolated_home / "onboard.duckdb"), read_only=True) as con:
        held = dict(con.execute("SELECT number, account FROM did_inventory WHERE batch_id = ?",
                                [result["batch"]]).fetchall())
    # the numbers reserved before the kill were reused, none leaked, none given twice
    assert held == {n["number"]: p["account"] for p in plans for n in p["numbers"] if n["source"] == "inventory"}


def test_steps_left_pending_are_in_doubt_then_looked_up(isolated_home: Path) -> None:
    """A run killed after sending but before recording: on resume the steps are in doubt, looked up, done once."""
    first = _run()
    bid = first["batch"]
    before = sim_rows(isolated_home / "sim")
    plans, _ = staged(isolated_home, bid)
    victims = [p["account"] for p in plans[:5]]
    with duckdb.connect(str(isolated_home / "onboard.duckdb")) as con:
        con.execute("DELETE FROM ledger WHERE batch_id = ? AND list_contains(?, account) AND step = 'complete'",
                    [bid, victims])
        con.execute("UPDATE ledger SET status = 'pending' WHERE batch_id = ? AND list_contains(?, account) AND "
                    "step IN ('enterprise', 'numbers_assigned', 'admin', 'customer_account', 'customer_packages')",
                    [bid, victims])
    plan = plan_steps(load_settings(), bid)  # what the resume will do: look up the in-doubt steps
    assert sorted(c["account"] for c in plan["customers"]) == sorted(victims)
    by_account = {p["account"]: p for p in plans}
    for c in plan["customers"]:
        bw_left = {i["step"]: i["state"] for i in c["steps"]["broadworks"]}
        want = ["enterprise", "admin"] + (["numbers_assigned"] if by_account[c["account"]]["numbers"] else [])
        assert bw_left == dict.fromkeys(want, "in_doubt")
        assert {i["step"]: i["state"] for i in c["steps"]["billing"]} == {
            "customer_account": "in_doubt", "customer_packages": "in_doubt"}
    second = _run()
    assert second["customers"]["provisioned"] == second["customers"]["billed"] == 18
    assert sim_rows(isolated_home / "sim") == before, "a resumed step was sent again"
    plans, ledger = staged(isolated_home, bid)
    rb = read_back(isolated_home / "sim", plans, ledger)
    assert rb["problems"] == [] and rb["duplicates"] == 0
    # attempts accumulate: the looked-up steps show a second attempt
    assert all(ledger[(a, "billing", "customer_packages")][0] == "done" for a in victims)


def test_billing_fails_terminally_then_retry_completes(isolated_home: Path, external_sims: dict[str, Any]) -> None:
    billing = external_sims["billing"].app.store
    billing.set_package_active("RetailRates", False)  # every customer's billing is rejected at its packages
    first = _run()
    bid, c = first["batch"], first["customers"]
    assert (c["provisioned"], c["billed"], c["failed"]) == (18, 0, 18)
    doc = read_batch(isolated_home, bid)
    assert doc is not None
    valid = [x for x in doc["customers"] if x["customer"] == "valid"]
    assert {x["status"]["broadworks"] for x in valid} == {"done"}
    assert {x["status"]["billing"] for x in valid} == {"failed"}
    assert all(any("InactivePackage" in e or "not active" in e for e in x["errors"]) for x in valid)
    report = load_workbook(first["report"], read_only=True)
    rows = list(report["Exceptions"].iter_rows(values_only=True))
    codes = [r[3] for r in rows]
    # one set of codes (issue 15): the refused RetailRates is the auto-added package billing lacks
    assert codes.count("AUTO_PACKAGE_MISSING") == 18
    assert len({r[0] for r in rows[1:] if "Billed" in str(r[1]).split("; ")}) == 18
    sims_dir = isolated_home.parent / "systems" / "sim"
    bw_before = {k: v for k, v in sim_rows(sims_dir).items() if k.startswith("broadworks.")}
    partial = sim_rows(sims_dir)["billing.account_packages"]
    assert partial > 0  # nothing was deleted: the half-billed customers keep what they got
    plan = plan_steps(load_settings(), bid)
    assert plan["totals"]["by_system"]["broadworks"] == 0 and plan["totals"]["to_send"] == 18
    assert {i["state"] for c_ in plan["customers"] for i in c_["steps"]["billing"]} == {"failed"}

    billing.set_package_active("RetailRates", True)  # fixed
    again = retry_batch(load_settings(), bid)
    assert (again["customers"]["billed"], again["customers"]["failed"]) == (18, 0)
    assert {k: v for k, v in sim_rows(sims_dir).items() if k.startswith("broadworks.")} == bw_before
    plans, ledger = staged(isolated_home, bid)
    rb = read_back(sims_dir, plans, ledger)
    assert rb["problems"] == [] and rb["duplicates"] == 0
    assert plan_steps(load_settings(), bid)["totals"]["steps"] == 0


def test_plan_of_a_new_file_writes_nothing(isolated_home: Path) -> None:
    doc = plan_steps(load_settings(), str(SAMPLE))
    assert list(isolated_home.iterdir()) == []
    assert doc["staged"] is False and doc["totals"]["to_send"] == 18 and doc["totals"]["held"] == 6
    first = doc["customers"][0]["steps"]
    assert first["billing"][0]["step"] == "partner_account"
    assert all(i["state"] == "pending" for c in doc["customers"] for items in c["steps"].values() for i in items)
    # The in-memory plan sends what the real run then sends: same customers, same numbers.
    result = _run()
    assert result["batch"] == doc["batch"]
    plans, _ = staged(isolated_home, doc["batch"])
    assert {p["account"] for p in plans} == {c["account"] for c in doc["customers"] if not c.get("held")}
    assert plan_steps(load_settings(), str(SAMPLE))["totals"] == {
        "to_send": 0, "complete": 18, "held": 6, "steps": 0, "by_system": dict.fromkeys(
            ("broadworks", "billing", "tickets", "mail"), 0)}
