"""The billing simulator's state: one SQLite file (durable across runs, like the real system).

One connection behind a lock serves every server thread; WAL with ``synchronous=NORMAL`` keeps a
commit per create cheap enough for 100k customers. The store validates nothing: the rules live in
``simrules``; this module only reads and writes rows and shapes them as API objects.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, parent_id INTEGER, top_id INTEGER,
    invoicer_id INTEGER, external_ref TEXT, portal_pw TEXT, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_accounts_top_name ON accounts(top_id, name);
CREATE INDEX IF NOT EXISTS ix_accounts_parent ON accounts(parent_id);
CREATE INDEX IF NOT EXISTS ix_accounts_ref ON accounts(external_ref);
CREATE TABLE IF NOT EXISTS contacts (
    id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, type TEXT NOT NULL, first_name TEXT, last_name TEXT,
    company TEXT, address1 TEXT, address2 TEXT, city TEXT, state TEXT, zip TEXT, country TEXT,
    emails TEXT NOT NULL, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_contacts_account ON contacts(account_id);
CREATE TABLE IF NOT EXISTS account_packages (
    id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, package_name TEXT NOT NULL, quantity INTEGER NOT NULL,
    effective TEXT NOT NULL, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_account_packages_account ON account_packages(account_id);
CREATE TABLE IF NOT EXISTS packages (name TEXT PRIMARY KEY, active INTEGER NOT NULL);
"""

# API field -> SQL column, per searchable resource (anything else is a 400).
ACCOUNT_FIELDS = {
    "identity": "a.id",
    "name": "a.name",
    "accountTypeName": "a.role",
    "parentAccountId": "a.parent_id",
    "topAccountId": "a.top_id",
    "invoicerAccountId": "a.invoicer_id",
    "externalReference": "a.external_ref",
}
PARENT_FIELDS = {"identity": "a.id", "accountId": "a.id", "parentAccountId": "a.parent_id", "topAccountId": "a.top_id"}
CONTACT_FIELDS = {"identity": "c.id", "accountId": "c.account_id", "contactTypeName": "c.type"}
PACKAGE_FIELDS = {"identity": "p.id", "accountId": "p.account_id", "packageName": "p.package_name"}
CATALOG_FIELDS = {"identity": "k.name", "name": "k.name"}

_ACCOUNT_SELECT = (
    "SELECT a.id, a.name, a.role, a.parent_id, pa.name, a.top_id, ta.name, a.invoicer_id, ia.name, "
    "a.external_ref, a.portal_pw IS NOT NULL, a.created FROM accounts a "
    "LEFT JOIN accounts pa ON pa.id = a.parent_id LEFT JOIN accounts ta ON ta.id = a.top_id "
    "LEFT JOIN accounts ia ON ia.id = a.invoicer_id"
)
_CONTACT_SELECT = (
    "SELECT c.id, c.account_id, c.type, c.first_name, c.last_name, c.company, c.address1, c.address2, c.city, "
    "c.state, c.zip, c.country, c.emails, c.created FROM contacts c"
)
_PACKAGE_SELECT = (
    "SELECT p.id, p.account_id, a.name, p.package_name, p.quantity, p.effective, p.created "
    "FROM account_packages p JOIN accounts a ON a.id = p.account_id"
)
_CATALOG_SELECT = "SELECT k.name, k.active FROM packages k"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _account(r: Sequence[Any]) -> dict[str, Any]:
    return {
        "identity": r[0],
        "name": r[1],
        "accountTypeName": r[2],
        "parentAccountId": r[3],
        "parentAccountName": r[4],
        "topAccountId": r[5],
        "topAccountName": r[6],
        "invoicerAccountId": r[7],
        "invoicerAccountName": r[8],
        "externalReference": r[9],
        "hasPortalPassword": bool(r[10]),
        "created": r[11],
    }


def _parent(r: Sequence[Any]) -> dict[str, Any]:
    return {
        "identity": r[0],
        "accountId": r[0],
        "accountName": r[1],
        "parentAccountId": r[3],
        "parentAccountName": r[4],
        "topAccountId": r[5],
        "topAccountName": r[6],
    }


def _contact(r: Sequence[Any]) -> dict[str, Any]:
    keys = (
        "identity",
        "accountId",
        "contactTypeName",
        "firstName",
        "lastName",
        "companyName",
        "address1",
        "address2",
        "city",
        "state",
        "zip",
        "country",
    )
    d = dict(zip(keys, r[:12], strict=True))
    d["emails"] = json.loads(r[12])
    d["created"] = r[13]
    return d


def _package(r: Sequence[Any]) -> dict[str, Any]:
    return {
        "identity": r[0],
        "accountId": r[1],
        "accountName": r[2],
        "packageName": r[3],
        "name": r[3],
        "quantity": r[4],
        "effective": f"{r[5]}T00:00:00Z",
        "created": r[6],
    }


def _catalog(r: Sequence[Any]) -> dict[str, Any]:
    return {"identity": r[0], "name": r[0], "active": bool(r[1])}


RESOURCES: dict[str, tuple[str, dict[str, str], Any, str]] = {
    # resource -> (select, fields, row shaper, order column)
    "Account": (_ACCOUNT_SELECT, ACCOUNT_FIELDS, _account, "a.id"),
    "Account/Parent": (_ACCOUNT_SELECT, PARENT_FIELDS, _parent, "a.id"),
    "Contact": (_CONTACT_SELECT, CONTACT_FIELDS, _contact, "c.id"),
    "Account/Package": (_PACKAGE_SELECT, PACKAGE_FIELDS, _package, "p.id"),
    "Package": (_CATALOG_SELECT, CATALOG_FIELDS, _catalog, "k.name"),
}


class SimStore:
    def __init__(self, path: Path, packages: Iterable[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._db.executescript(SCHEMA)
            self._db.executemany(
                "INSERT INTO packages(name, active) VALUES (?, 1) ON CONFLICT(name) DO UPDATE SET active = 1",
                [(p,) for p in packages],
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _insert(self, sql: str, args: Sequence[Any]) -> int:
        with self._lock:
            cur = self._db.execute(sql, args)
            return int(cur.lastrowid or 0)

    # -- reads --------------------------------------------------------------------------
    def account(self, account_id: int) -> dict[str, Any] | None:
        r = self._one(_ACCOUNT_SELECT + " WHERE a.id = ?", (account_id,))
        return _account(r) if r else None

    def package_active(self, name: str) -> bool | None:
        r = self._one("SELECT active FROM packages WHERE name = ?", (name,))
        return None if r is None else bool(r[0])

    def search(self, resource: str, where: list[tuple[str, str, Any]], top: int, skip: int) -> tuple[int, list[dict[str, Any]]]:
        """``where`` holds (column, sql operator, value) already checked against the field map."""
        select, _fields, shape, order = RESOURCES[resource]
        clauses, args = [], []
        for col, op, value in where:
            if op == "IN":
                values = list(value)
                clauses.append(f"{col} IN ({','.join('?' * len(values))})" if values else "0")
                args.extend(values)
            elif value is None:
                clauses.append(f"{col} IS {'NOT ' if op == '<>' else ''}NULL")
            else:
                clauses.append(f"{col} {op} ?")
                args.append(value)
        cond = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        base_from = select.split(" FROM ", 1)[1]
        total = self._one(f"SELECT count(*) FROM {base_from}{cond}", args)[0]
        rows = self._all(f"{select}{cond} ORDER BY {order} LIMIT ? OFFSET ?", [*args, top, skip])
        return int(total), [shape(r) for r in rows]

    # -- writes -------------------------------------------------------------------------
    def add_account(
        self,
        name: str,
        role: str,
        parent_id: int | None,
        invoicer_id: int | None,
        external_ref: str | None,
        portal_password: str | None,
    ) -> dict[str, Any]:
        # Keep a digest only: the real system would not keep the password in clear either.
        pw = hashlib.sha256(portal_password.encode()).hexdigest() if portal_password else None
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                top = None
                if parent_id is not None:
                    row = self._db.execute("SELECT top_id FROM accounts WHERE id = ?", (parent_id,)).fetchone()
                    top = row[0] if row else None
                cur = self._db.execute(
                    "INSERT INTO accounts(name, role, parent_id, top_id, invoicer_id, external_ref, portal_pw, created)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (name, role, parent_id, top, invoicer_id, external_ref, pw, now()),
                )
                new_id = int(cur.lastrowid or 0)
                # A top-level account is its own top; an account with no invoicer invoices itself.
                self._db.execute(
                    "UPDATE accounts SET top_id = coalesce(top_id, id), invoicer_id = coalesce(invoicer_id, id) WHERE id = ?",
                    (new_id,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        acc = self.account(new_id)
        assert acc is not None
        return acc

    def ancestors(self, account_id: int) -> list[int]:
        """The account and every parent up to its top (the owner chain)."""
        chain: list[int] = []
        current: int | None = account_id
        while current is not None and current not in chain:
            chain.append(current)
            r = self._one("SELECT parent_id FROM accounts WHERE id = ?", (current,))
            current = r[0] if r else None
        return chain

    def add_contact(self, account_id: int, ctype: str, c: dict[str, Any], emails: list[str]) -> dict[str, Any]:
        new_id = self._insert(
            "INSERT INTO contacts(account_id, type, first_name, last_name, company, address1, address2, city,"
            " state, zip, country, emails, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account_id,
                ctype,
                c.get("firstName"),
                c.get("lastName"),
                c.get("companyName"),
                c.get("address1"),
                c.get("address2") or "",
                c.get("city"),
                c.get("state") or "",
                c.get("zip"),
                c.get("country") or "US",
                json.dumps(emails),
                now(),
            ),
        )
        return _contact(self._one(_CONTACT_SELECT + " WHERE c.id = ?", (new_id,)))

    def add_account_package(self, account_id: int, package: str, quantity: int, effective: str) -> dict[str, Any]:
        new_id = self._insert(
            "INSERT INTO account_packages(account_id, package_name, quantity, effective, created) VALUES (?, ?, ?, ?, ?)",
            (account_id, package, quantity, effective, now()),
        )
        return _package(self._one(_PACKAGE_SELECT + " WHERE p.id = ?", (new_id,)))

    def set_package_active(self, name: str, active: bool) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO packages(name, active) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET active = ?",
                (name, int(active), int(active)),
            )

    # -- counters for tests and benches ---------------------------------------------------
    def count(self, table: str) -> int:
        assert table in {"accounts", "contacts", "account_packages"}
        return int(self._one(f"SELECT count(*) FROM {table}")[0])

    def duplicate_accounts(self) -> list[tuple[int, str, int]]:
        """(owner = top account, name, count) for every name held twice under one owner."""
        rows = self._all("SELECT top_id, name, count(*) FROM accounts GROUP BY top_id, name, role HAVING count(*) > 1")
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]

    def duplicate_packages(self) -> list[tuple[int, str, int]]:
        """(account, package, count) for every package an account holds more than once."""
        rows = self._all(
            "SELECT account_id, package_name, count(*) FROM account_packages GROUP BY account_id, package_name,"
            " quantity, effective HAVING count(*) > 1"
        )
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]
