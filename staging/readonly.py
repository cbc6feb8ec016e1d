"""Read-only access to a staged batch for ``onboard plan`` (no run may hold the data home meanwhile).

DuckDB allows one writer and no reader beside it, so a reader first checks the run lock; it never
opens the database for writing and never creates it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from staging.lock import LockedError, RunLock
from staging.store import DB_NAME


@dataclass(frozen=True)
class StagedBatch:
    partner_id: str
    held: int
    plans: list[dict[str, Any]]  # in chunk, account order
    ledger: dict[tuple[str, str, str], tuple[str, str | None]]  # (account, system, step) -> (status, error)
    trunking_held: list[str]  # held accounts that ordered SIP Trunking (they still get a ticket)


class ReadOnlyStaging:
    """A read-only connection to ``onboard.duckdb``; use as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    @classmethod
    def open(cls, home: Path) -> ReadOnlyStaging | None:
        """None when nothing was staged yet; LockedError while a run holds the data home."""
        db = home / DB_NAME
        if not db.exists():
            return None
        if RunLock(home).is_held():
            raise LockedError(RunLock(home).describe_holder())
        return cls(duckdb.connect(str(db), read_only=True))

    def __enter__(self) -> ReadOnlyStaging:
        return self

    def __exit__(self, *exc: object) -> None:
        self._con.close()

    def has_batch(self, batch_id: str) -> bool:
        return bool(self._con.execute("SELECT count(*) FROM batches WHERE batch_id = ?", [batch_id]).fetchall()[0][0])

    def batch(self, batch_id: str) -> StagedBatch | None:
        con = self._con
        row = con.execute("SELECT partner_id, held FROM batches WHERE batch_id = ?", [batch_id]).fetchall()
        if not row:
            return None
        plans = con.execute("SELECT plan FROM plans WHERE batch_id = ? ORDER BY chunk, account", [batch_id]).fetchall()
        ledger = {
            (a, s, st): (status, err)
            for a, s, st, status, err in con.execute(
                "SELECT account, system, step, status, error FROM ledger WHERE batch_id = ?", [batch_id]
            ).fetchall()
        }
        held = con.execute(
            "SELECT account FROM customers WHERE batch_id = ? AND status = 'held' "
            "AND codes LIKE '%TRUNKING_NOT_SUPPORTED%'",
            [batch_id],
        ).fetchall()
        return StagedBatch(str(row[0][0]), int(row[0][1] or 0), [json.loads(p) for (p,) in plans], ledger,
                           [str(a) for (a,) in held])
