"""The billing simulator's state: one SQLite file (durable across runs, like the real system).

One connection behind a lock serves every server thread; WAL with ``synchronous=NORMAL`` keeps a
commit per create cheap enough for 100k customers. The store validates nothing: the rules live in
``simulator``; this module only reads and writes rows and shapes them as API objects.

Storage notes (the API shapes are what matter; tests outside this package read these tables):

- ``accounts.parent_id`` / ``top_id`` hold the ``Account/Parent`` link (one parent per account, so
  the link's identity is the child account's id); an account without a link is its own top.
- a contact's e-mail contact points are kept as a JSON list in ``contacts.emails`` and its postal
  address contact point in the address columns; a contact point's identity is derived from its
  contact (``contact_id * 1000``: the address, ``+ n``: the n-th e-mail).
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

from connectors.billing.simshapes import OWNER_ID, Shapes

POINTS_PER_CONTACT = 1000

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, parent_id INTEGER, top_id INTEGER,
    invoicer_id INTEGER, external_ref TEXT, portal_pw TEXT, created TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_accounts_top_name ON accounts(top_id, name);
CREATE INDEX IF NOT EXISTS ix_accounts_parent ON accounts(parent_id);
CREATE INDEX IF NOT EXISTS ix_accounts_name ON accounts(name);
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

# API field -> SQL column, per searchable resource (anything else is refused).
ACCOUNT_FIELDS = {
    "identity": "a.id",
    "name": "a.name",
    "accountTypeName": "a.role",
    "invoicerAccountId": "a.invoicer_id",
    "ownerId": str(OWNER_ID),
    "created": "a.created",
}
PARENT_FIELDS = {
    "identity": "a.id",
    "accountId": "a.id",
    "accountName": "a.name",
    "parentAccountId": "a.parent_id",
    "topAccountId": "a.top_id",
}
CONTACT_FIELDS = {"identity": "c.id", "accountId": "c.account_id", "contactTypeName": "c.type"}
POINT_FIELDS = {"identity": "cp.id", "contactId": "cp.contact_id", "contactPointTypeName": "cp.kind"}
PACKAGE_FIELDS = {"identity": "p.id", "accountId": "p.account_id", "packageName": "p.package_name"}
CATALOG_FIELDS = {"identity": "k.name", "name": "k.name"}

_ACCOUNT_SELECT = (
    "SELECT a.id, a.name, a.role, a.parent_id, pa.name, a.top_id, ta.name, a.invoicer_id, ia.name, "
    "a.external_ref, a.portal_pw IS NOT NULL, a.created FROM accounts a "
    "LEFT JOIN accounts pa ON pa.id = a.parent_id LEFT JOIN accounts ta ON ta.id = a.top_id "
    "LEFT JOIN accounts ia ON ia.id = a.invoicer_id"
)
_PARENT_SELECT = _ACCOUNT_SELECT + " WHERE a.parent_id IS NOT NULL"
_CONTACT_SELECT = "SELECT c.id, c.account_id, c.type, c.first_name, c.last_name, c.company, c.created FROM contacts c"
_POINT_SELECT = (
    "SELECT cp.* FROM (SELECT c.id * 1000 AS id, c.id AS contact_id, 'address' AS kind, NULL AS value, c.address1,"
    " c.address2, c.city, c.state, c.zip, c.country FROM contacts c WHERE c.address1 IS NOT NULL"
    " UNION ALL SELECT c.id * 1000 + CAST(j.key AS INTEGER) + 1, c.id, 'email', j.value, NULL, NULL, NULL, NULL,"
    " NULL, NULL FROM contacts c, json_each(c.emails) j) cp"
)
_PACKAGE_SELECT = (
    "SELECT p.id, p.account_id, a.name, p.package_name, p.quantity, p.effective, p.created "
    "FROM account_packages p JOIN accounts a ON a.id = p.account_id"
)
_CATALOG_SELECT = "SELECT k.name, k.active FROM packages k"


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# resource -> (select, fields, shape name, default order column, dtoTypeKey)
RESOURCES: dict[str, tuple[str, dict[str, str], str, str, str]] = {
    "Account": (_ACCOUNT_SELECT, ACCOUNT_FIELDS, "account", "a.id", "account"),
    "Account/Parent": (_PARENT_SELECT, PARENT_FIELDS, "parent", "a.id", "accountParent"),
    "Contact": (_CONTACT_SELECT, CONTACT_FIELDS, "contact", "c.id", "contact"),
    "ContactPoint": (_POINT_SELECT, POINT_FIELDS, "point", "cp.id", "contactPoint"),
    "Account/Package": (_PACKAGE_SELECT, PACKAGE_FIELDS, "package", "p.id", "accountPackage"),
    "Package": (_CATALOG_SELECT, CATALOG_FIELDS, "catalog", "k.name", "package"),
}


class SimStore:
    def __init__(self, path: Path, packages: Iterable[str], *, owner_name: str = "Hosted Voice") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.shapes = Shapes(owner_name)
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

    def _shape(self, resource: str, row: Sequence[Any]) -> dict[str, Any]:
        shape: dict[str, Any] = getattr(self.shapes, RESOURCES[resource][2])(row)
        return shape

    # -- reads --------------------------------------------------------------------------
    def account(self, account_id: int) -> dict[str, Any] | None:
        r = self._one(_ACCOUNT_SELECT + " WHERE a.id = ?", (account_id,))
        return self.shapes.account(r) if r else None

    def parent_of(self, account_id: int) -> int | None:
        r = self._one("SELECT parent_id FROM accounts WHERE id = ?", (account_id,))
        return int(r[0]) if r and r[0] is not None else None

    def contact(self, contact_id: int) -> dict[str, Any] | None:
        r = self._one(_CONTACT_SELECT + " WHERE c.id = ?", (contact_id,))
        return self.shapes.contact(r) if r else None

    def has_address(self, contact_id: int) -> bool:
        r = self._one("SELECT address1 IS NOT NULL FROM contacts WHERE id = ?", (contact_id,))
        return bool(r and r[0])

    def package_active(self, name: str) -> bool | None:
        r = self._one("SELECT active FROM packages WHERE name = ?", (name,))
        return None if r is None else bool(r[0])

    def search(
        self,
        resource: str,
        where: list[tuple[str, str, Any]],
        order: list[tuple[str, str]],
        limit: int,
        offset: int,
    ) -> tuple[int, list[dict[str, Any]]]:
        """``where`` holds (column, sql operator, value) and ``order`` (column, ASC|DESC), both already
        checked against the field map by the simulator."""
        select, _fields, _shape, default_order, _dto = RESOURCES[resource]
        clauses, args = [], []
        for col, op, value in where:
            if value is None and op in ("=", "<>"):
                clauses.append(f"{col} IS {'NOT ' if op == '<>' else ''}NULL")
            elif op == "LIKE":
                clauses.append(f"{col} LIKE ? ESCAPE '\\'")
                escaped = str(value).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                args.append(f"%{escaped}%")
            else:
                clauses.append(f"{col} {op} ?")
                args.append(value)
        joiner = " AND " if select is _PARENT_SELECT else " WHERE "
        cond = (joiner + " AND ".join(clauses)) if clauses else ""
        total = self._one(f"SELECT count(*) FROM ({select}{cond})", args)[0]
        order_sql = ", ".join(f"{c} {d}" for c, d in [*order, (default_order, "ASC")])
        rows = self._all(f"{select}{cond} ORDER BY {order_sql} LIMIT ? OFFSET ?", [*args, limit, offset])
        return int(total), [self._shape(resource, r) for r in rows]

    # -- writes -------------------------------------------------------------------------
    def add_account(
        self,
        name: str,
        role: str,
        invoicer_id: int | None,
        extensions: dict[str, Any] | None,
        portal_password: str | None,
    ) -> dict[str, Any]:
        # Keep a digest only: the real system would not keep the password in clear either.
        pw = hashlib.sha256(portal_password.encode()).hexdigest() if portal_password else None
        ext = json.dumps(extensions, sort_keys=True) if extensions else None
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cur = self._db.execute(
                    "INSERT INTO accounts(name, role, invoicer_id, external_ref, portal_pw, created)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (name, role, invoicer_id, ext, pw, now()),
                )
                new_id = int(cur.lastrowid or 0)
                # Until it is linked, an account is its own top; with no invoicer it invoices itself.
                self._db.execute(
                    "UPDATE accounts SET top_id = id, invoicer_id = coalesce(invoicer_id, id) WHERE id = ?", (new_id,)
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        acc = self.account(new_id)
        assert acc is not None
        return acc

    def link_parent(self, account_id: int, parent_id: int) -> dict[str, Any]:
        """Make ``parent_id`` the account's parent; the account and its subtree take the parent's top."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (top,) = self._db.execute("SELECT top_id FROM accounts WHERE id = ?", (parent_id,)).fetchone()
                self._db.execute("UPDATE accounts SET parent_id = ? WHERE id = ?", (parent_id, account_id))
                self._db.execute(
                    "WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT a.id FROM accounts a JOIN sub ON a.parent_id = sub.id)"
                    " UPDATE accounts SET top_id = ? WHERE id IN (SELECT id FROM sub)",
                    (account_id, top),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        r = self._one(_PARENT_SELECT + " AND a.id = ?", (account_id,))
        return self.shapes.parent(r)

    def ancestors(self, account_id: int) -> list[int]:
        """The account and every parent up to its top (the owner chain)."""
        chain: list[int] = []
        current: int | None = account_id
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parent_of(current)
        return chain

    def add_contact(self, account_id: int, ctype: str, first: str, last: str, company: str | None) -> dict[str, Any]:
        new_id = self._insert(
            "INSERT INTO contacts(account_id, type, first_name, last_name, company, emails, created)"
            " VALUES (?, ?, ?, ?, ?, '[]', ?)",
            (account_id, ctype, first, last, company, now()),
        )
        found = self.contact(new_id)
        assert found is not None
        return found

    def add_email_point(self, contact_id: int, email: str) -> dict[str, Any]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (raw,) = self._db.execute("SELECT emails FROM contacts WHERE id = ?", (contact_id,)).fetchone()
                emails = [*json.loads(raw), email]
                self._db.execute("UPDATE contacts SET emails = ? WHERE id = ?", (json.dumps(emails), contact_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return self.point(contact_id * POINTS_PER_CONTACT + len(emails))

    def set_address_point(self, contact_id: int, a: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._db.execute(
                "UPDATE contacts SET address1 = ?, address2 = ?, city = ?, state = ?, zip = ?, country = ? WHERE id = ?",
                (a["address1"], a.get("address2") or "", a["city"], a.get("state") or "", a["zip"],
                 a.get("country") or "US", contact_id),
            )
        return self.point(contact_id * POINTS_PER_CONTACT)

    def point(self, point_id: int) -> dict[str, Any]:
        r = self._one(_POINT_SELECT + " WHERE cp.id = ?", (point_id,))
        return self.shapes.point(r)

    def emails_of(self, contact_id: int) -> int:
        r = self._one("SELECT json_array_length(emails) FROM contacts WHERE id = ?", (contact_id,))
        return int(r[0]) if r else 0

    def add_account_package(self, account_id: int, package: str, quantity: int, effective: str) -> dict[str, Any]:
        new_id = self._insert(
            "INSERT INTO account_packages(account_id, package_name, quantity, effective, created) VALUES (?, ?, ?, ?, ?)",
            (account_id, package, quantity, effective, now()),
        )
        return self.shapes.package(self._one(_PACKAGE_SELECT + " WHERE p.id = ?", (new_id,)))

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

    def orphans(self) -> list[tuple[int, str]]:
        """Enterprise and customer accounts that no ``Account/Parent`` link places under a partner."""
        rows = self._all("SELECT id, name FROM accounts WHERE parent_id IS NULL AND role <> 'Partner' ORDER BY id")
        return [(int(r[0]), str(r[1])) for r in rows]

    def duplicate_packages(self) -> list[tuple[int, str, int]]:
        """(account, package, count) for every package an account holds more than once."""
        rows = self._all(
            "SELECT account_id, package_name, count(*) FROM account_packages GROUP BY account_id, package_name,"
            " quantity, effective HAVING count(*) > 1"
        )
        return [(int(r[0]), str(r[1]), int(r[2])) for r in rows]
