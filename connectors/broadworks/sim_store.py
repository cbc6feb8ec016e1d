"""The simulated BroadWorks database: one SQLite file, so state outlives the process like the real one."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.transaction import transaction

UNLIMITED = -1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sp (id TEXT PRIMARY KEY, domain TEXT NOT NULL, name TEXT, contact TEXT, address TEXT);
CREATE TABLE IF NOT EXISTS sp_service (sp TEXT, kind TEXT, name TEXT, qty INTEGER, PRIMARY KEY (sp, kind, name));
CREATE TABLE IF NOT EXISTS pack (sp TEXT, name TEXT, description TEXT, available INTEGER, qty INTEGER,
    services TEXT, PRIMARY KEY (sp, name));
CREATE TABLE IF NOT EXISTS grp (sp TEXT, id TEXT, domain TEXT, user_limit INTEGER, name TEXT, clid_name TEXT,
    clid_number TEXT, time_zone TEXT, contact TEXT, address TEXT, PRIMARY KEY (sp, id));
CREATE TABLE IF NOT EXISTS grp_auth (sp TEXT, grp TEXT, kind TEXT, name TEXT, qty INTEGER,
    PRIMARY KEY (sp, grp, kind, name));
CREATE TABLE IF NOT EXISTS grp_assign (sp TEXT, grp TEXT, name TEXT, PRIMARY KEY (sp, grp, name));
CREATE TABLE IF NOT EXISTS dn (number TEXT PRIMARY KEY, sp TEXT NOT NULL, grp TEXT);
CREATE INDEX IF NOT EXISTS dn_sp ON dn (sp, grp);
CREATE TABLE IF NOT EXISTS admin (user_id TEXT PRIMARY KEY, sp TEXT NOT NULL, first TEXT, last TEXT,
    pw_hash TEXT, type TEXT);
CREATE INDEX IF NOT EXISTS admin_sp ON admin (sp);
"""


def password_hash(user_id: str, password: str) -> str:
    # The simulator keeps no clear-text password either.
    return hashlib.sha256(f"{user_id}\0{password}".encode()).hexdigest()


class Store:
    """Thread-safe: one connection behind a lock; each command is one transaction."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock, transaction(self._db.execute, "BEGIN IMMEDIATE"):
            yield self._db

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, args).fetchone()
            return row

    def all(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self._lock:
            return list(self._db.execute(sql, args).fetchall())

    # ------------------------------------------------------------ helpers for tests and read-back

    def count(self, table: str) -> int:
        assert table in {"sp", "sp_service", "pack", "grp", "grp_auth", "grp_assign", "dn", "admin"}
        row = self.one(f"SELECT count(*) AS n FROM {table}")
        return int(row["n"]) if row else 0

    def snapshot(self, sp: str) -> dict[str, Any]:
        """Everything held for one enterprise, as plain data (tests compare these)."""
        row = self.one("SELECT * FROM sp WHERE id = ?", sp)
        return {
            "sp": dict(row) if row else None,
            "services": sorted((r["kind"], r["name"], r["qty"]) for r in self.all("SELECT * FROM sp_service WHERE sp=?", sp)),
            "packs": sorted(
                (r["name"], r["qty"], tuple(json.loads(r["services"]))) for r in self.all("SELECT * FROM pack WHERE sp=?", sp)
            ),
            "groups": sorted(tuple(dict(r).items()) for r in self.all("SELECT * FROM grp WHERE sp=?", sp)),
            "group_auth": sorted(tuple(r) for r in self.all("SELECT grp, kind, name, qty FROM grp_auth WHERE sp=?", sp)),
            "group_assign": sorted(tuple(r) for r in self.all("SELECT grp, name FROM grp_assign WHERE sp=?", sp)),
            "dns": sorted(tuple(r) for r in self.all("SELECT number, grp FROM dn WHERE sp=?", sp)),
            "admins": sorted(
                (r["user_id"], r["type"], r["first"], r["last"]) for r in self.all("SELECT * FROM admin WHERE sp=?", sp)
            ),
        }
