"""Seed a book of onboarded customers straight into the simulators' state files and our staging.

For benchmark (c) and the read-back tests: provisioning 100k customers through the pipeline would take
hours, and (c) measures the read-back alone. Each customer is what the pipeline leaves behind: an
enterprise with group 1, its numbers assigned to the group and a Customer administrator in BroadWorks;
"<Name> Enterprise" and the customer account under the partner in billing (BroadWorks ids in the
external reference, the auto-added and ordered packages, the invoicer's billing contact); and in staging
the batch, the customer, its plan and the ledger's "complete" steps. The simulators must be stopped
while this writes their files (they are SQLite; the rows follow the simulators' own tables).

A few customers are broken on purpose, so the read-back has something to find (``BROKEN``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from connectors.billing.provision import BROADWORKS_ID, broadworks_id, partner_account_name
from connectors.billing.simstore import SimStore
from connectors.broadworks.sim_store import Store as BwStore
from connectors.systems import billing_packages
from core.order import BILL_ENTERPRISE, BILL_GROUP, enterprise_account_name
from data.catalog import load_catalog
from reports import compare
from staging.store import Store

PARTNER, PARTNER_NAME = "default", "Default Partner"
BATCH = "bench0readback00"
# Every n-th customer is broken one way, for the comparison to find: BroadWorks lacks its enterprise
# altogether, or its administrator, or holds its numbers unassigned; billing lacks its RetailRates.
BROKEN = {"no_enterprise": 89, "admin": 97, "unassigned": 103, "retailrates": 101}
_STAMP = "2026-01-01T00:00:00Z"


@dataclass(frozen=True)
class Seeded:
    customers: int
    broken: dict[str, list[str]]  # kind -> accounts

    def expected(self) -> dict[str, set[str]]:
        """account -> the exception codes the comparison must report for it (the others: none)."""
        want: dict[str, set[str]] = {}
        for kind, accounts in self.broken.items():
            code = compare.AUTO_PACKAGE_MISSING if kind == "retailrates" else compare.BILLED_NOT_PROVISIONED
            for a in accounts:
                want.setdefault(a, set()).add(code)
        return want


def account(i: int) -> str:
    return f"Bench Customer {i:06d}"


def _ids(i: int) -> tuple[str, str, str]:
    ent = f"{PARTNER}_Bench_{i:06d}"  # ids as the pipeline derives them fit 30 bytes; so do these
    return ent, ent + "_G1", ent + "_admin"


def _numbers(i: int) -> list[str]:
    base = 5122000000 + 2 * i  # NXX 200.. : valid NANP numbers, two per customer, never shared
    return [f"+1{base}", f"+1{base + 1}"]


def _lines() -> list[dict[str, Any]]:
    cat = load_catalog().lines
    seat = next(p for p in cat if p.seat and p.mrc > 0)
    extra = next(p for p in cat if not p.seat and p.mrc > 0 and not p.needs_fax_email)
    return [{"order_type": p.order_type, "package": p.name, "quantity": q, "billing_package": p.billing_package,
             "seat": p.seat, "dids_included": p.dids_included, "mrc": p.mrc, "nrc": p.nrc, "services": [], "notes": ""}
            for p, q in ((seat, 2), (extra, 1))]


def plan(i: int, lines: list[dict[str, Any]]) -> dict[str, Any]:
    ent, grp, admin = _ids(i)
    return {
        "partner_id": PARTNER, "partner_name": PARTNER_NAME, "account": account(i), "company": account(i),
        "enterprise_id": ent, "group_id": grp, "admin_user_id": admin,
        "billing_type": BILL_ENTERPRISE if i % 2 else BILL_GROUP, "billing_start": "2026-01-01",
        "emails": [f"billing{i}@example.com"], "packages": lines,
        "numbers": [{"number": n, "source": "inventory", "purpose": "Voice"} for n in _numbers(i)],
    }


@contextmanager
def _sqlite(path: Path) -> Iterator[sqlite3.Connection]:
    db = sqlite3.connect(str(path), isolation_level=None)
    try:
        db.execute("BEGIN")
        yield db
        db.execute("COMMIT")
    finally:
        db.close()


def _broken(every: dict[str, int], kind: str, i: int) -> bool:
    return kind in every and i % every[kind] == every[kind] - 1


def seed_broadworks(path: Path, n: int, every: dict[str, int]) -> None:
    BwStore(path).close()  # the simulator's own schema
    sp, grp, dn, admin = [], [], [], []
    for i in range(n):
        if _broken(every, "no_enterprise", i):
            continue
        ent, g, adm = _ids(i)
        sp.append((ent, f"{ent[:20]}.example.com", account(i)))
        grp.append((ent, g, f"{ent[:20]}.example.com", 2, account(i), "America/New_York"))
        dn += [(f"+1-{num[2:]}", ent, None if _broken(every, "unassigned", i) else g) for num in _numbers(i)]
        if not _broken(every, "admin", i):
            admin.append((adm, ent, "Pat", "Owner", "x", "Customer"))
    with _sqlite(path) as db:
        db.executemany("INSERT INTO sp (id, domain, name) VALUES (?, ?, ?)", sp)
        db.executemany("INSERT INTO grp (sp, id, domain, user_limit, name, time_zone) VALUES (?, ?, ?, ?, ?, ?)", grp)
        db.executemany("INSERT INTO dn (number, sp, grp) VALUES (?, ?, ?)", dn)
        db.executemany("INSERT INTO admin (user_id, sp, first, last, pw_hash, type) VALUES (?, ?, ?, ?, ?, ?)", admin)


def seed_billing(path: Path, n: int, lines: list[dict[str, Any]], every: dict[str, int]) -> None:
    SimStore(path, billing_packages()).close()
    accounts: list[tuple[int, str, str, int | None, int, int, str | None]] = [
        (1, partner_account_name(PARTNER, PARTNER_NAME), "Partner", None, 1, 1, None)]
    contacts, packages = [], []
    start = "2026-01-01"
    for i in range(n):
        ent, grp, _ = _ids(i)
        ext = json.dumps({BROADWORKS_ID: broadworks_id(ent, grp)})
        e_id, c_id = 2 + 2 * i, 3 + 2 * i
        bill_enterprise = bool(i % 2)
        accounts.append((e_id, enterprise_account_name(account(i)), "Enterprise", 1, 1, e_id, ext))
        accounts.append((c_id, account(i), "Customer", e_id, 1, e_id if bill_enterprise else c_id, ext))
        contacts.append((i + 1, e_id if bill_enterprise else c_id, "Billing", "Pat", "Owner", account(i),
                         "1 Main St", "", "Austin", "TX", "78701", "US", json.dumps([f"billing{i}@example.com"])))
        packages.append((e_id, "BroadWorks Enterprise", 1, start))
        packages.append((c_id, "BroadWorks Group", 1, start))
        if not _broken(every, "retailrates", i):
            packages.append((c_id, "RetailRates", 1, start))
        packages += [(c_id, ln["billing_package"], ln["quantity"], start) for ln in lines]
    with _sqlite(path) as db:
        db.executemany("INSERT INTO accounts (id, name, role, parent_id, top_id, invoicer_id, external_ref, created)"
                       f" VALUES (?, ?, ?, ?, ?, ?, ?, '{_STAMP}')", accounts)
        db.executemany("INSERT INTO contacts (id, account_id, type, first_name, last_name, company, address1, address2,"
                       f" city, state, zip, country, emails, created) VALUES ({'?, ' * 13}'{_STAMP}')", contacts)
        db.executemany("INSERT INTO account_packages (account_id, package_name, quantity, effective, created)"
                       f" VALUES (?, ?, ?, ?, '{_STAMP}')", packages)


def seed_staging(home: Path, n: int, lines: list[dict[str, Any]]) -> None:
    done = datetime.now(UTC) - timedelta(days=30)  # onboarded a month ago: no "new accounts" tonight
    plans = [plan(i, lines) for i in range(n)]
    mrc = sum(ln["mrc"] * ln["quantity"] for ln in lines)
    with Store.open(home) as store:
        store.insert("batches", pd.DataFrame([{
            "batch_id": BATCH, "partner_id": PARTNER, "mode": "migration", "sources": "[]", "received_at": done,
            "status": "done", "total": n, "valid": n, "held": 0, "skipped": 0}]))
        store.insert("customers", pd.DataFrame({
            "batch_id": BATCH, "partner_id": PARTNER, "account_key": [p["account"].casefold() for p in plans],
            "account": [p["account"] for p in plans], "row": range(2, n + 2), "status": "valid",
            "enterprise_id": [p["enterprise_id"] for p in plans], "group_id": [p["group_id"] for p in plans],
            "billing_type": [p["billing_type"] for p in plans], "billing_start": pd.Timestamp("2026-01-01").date(),
            "mrc": mrc, "nrc": 0.0, "seats": 2}))
        store.insert("plans", pd.DataFrame({
            "batch_id": BATCH, "account_key": [p["account"].casefold() for p in plans],
            "account": [p["account"] for p in plans], "chunk": [i // 500 for i in range(n)],
            "plan": [json.dumps(p) for p in plans]}))
        store.insert("ledger", pd.DataFrame({
            "batch_id": BATCH, "account": [p["account"] for p in plans for _ in (0, 1)],
            "system": ["broadworks", "billing"] * n, "step": "complete", "status": "done", "attempts": 1,
            "updated_at": done}))


def seed(home: Path, n: int, broken: dict[str, int] | None = None) -> Seeded:
    """``n`` onboarded customers of partner ``default`` under ``home`` (staging and ``home/sim``);
    ``broken``: kind -> every how many customers one is broken that way (default ``BROKEN``)."""
    every = BROKEN if broken is None else broken
    lines = _lines()
    (home / "sim").mkdir(parents=True, exist_ok=True)
    seed_broadworks(home / "sim" / "broadworks.sqlite", n, every)
    seed_billing(home / "sim" / "billing.sqlite", n, lines, every)
    seed_staging(home, n, lines)
    return Seeded(n, {k: [account(i) for i in range(n) if _broken(every, k, i)] for k in every})
