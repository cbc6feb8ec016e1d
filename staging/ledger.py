"""The step ledger: what was done for each customer in each system (DESIGN §5).

Connector threads report ``StepEvent``s; they are buffered here and written by the one writer (the
flow's thread) through Arrow. Losing unflushed events to a crash is safe: every step looks up before
it creates, so a resumed run finds the work and records it then.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd

from core.order import StepEvent
from staging.store import Store

STATUSES = ("pending", "in_doubt", "done", "failed")


class LedgerBuffer:
    """Thread-safe collector of step events; ``flush`` writes them (call from the writer thread)."""

    def __init__(self, batch_id: str) -> None:
        self.batch_id = batch_id
        self._rows: dict[tuple[str, str, str], dict[str, object]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: StepEvent) -> None:
        e = event
        key = (e.account, e.system, e.step)
        row = {
            "batch_id": self.batch_id,
            "account": e.account,
            "system": e.system,
            "step": e.step,
            "status": e.status,
            "attempts": int(e.attempts),
            "external_id": e.external_id,
            "error": e.error,
            "updated_at": datetime.now(UTC),
        }
        with self._lock:
            self._rows[key] = row

    def pending_count(self) -> int:
        with self._lock:
            return len(self._rows)

    def flush(self, store: Store) -> int:
        with self._lock:
            rows = list(self._rows.values())
            self._rows.clear()
        if not rows:
            return 0
        frame = pd.DataFrame(rows)
        frame["attempts"] = frame["attempts"].astype("int32")
        # attempts accumulate across runs: a resumed step keeps its history.
        store.con.register("_ledger_in", frame)
        try:
            store.con.execute(
                """
                INSERT OR REPLACE INTO ledger
                SELECT i.batch_id, i.account, i.system, i.step, i.status,
                       CASE WHEN i.status = 'pending' THEN coalesce(l.attempts, 0) + 1
                            ELSE greatest(coalesce(l.attempts, 1), i.attempts) END,
                       coalesce(i.external_id, l.external_id), i.error, i.updated_at
                FROM _ledger_in i LEFT JOIN ledger l
                  ON l.batch_id = i.batch_id AND l.account = i.account
                 AND l.system = i.system AND l.step = i.step
                """
            )
        finally:
            store.con.unregister("_ledger_in")
        return len(rows)


def done_steps(
    store: Store, batch_id: str, accounts: Iterable[str] | None = None
) -> dict[tuple[str, str], dict[str, str | None]]:
    """(account, system) -> {step: external_id} for steps already done."""
    frame = store.frame(
        "SELECT account, system, step, external_id FROM ledger WHERE batch_id = ? AND status = 'done'", [batch_id]
    )
    wanted = set(accounts) if accounts is not None else None
    out: dict[tuple[str, str], dict[str, str | None]] = {}
    for account, system, step, ext in frame.itertuples(index=False):
        if wanted is not None and account not in wanted:
            continue
        out.setdefault((account, system), {})[step] = None if pd.isna(ext) else ext
    return out


def mark_in_doubt_pending(store: Store, batch_id: str) -> int:
    """Steps left 'pending' by a killed run were sent or not: they are in doubt until looked up."""
    n = store.scalar("SELECT count(*) FROM ledger WHERE batch_id = ? AND status = 'pending'", [batch_id])
    store.con.execute(
        "UPDATE ledger SET status = 'in_doubt', updated_at = now() WHERE batch_id = ? AND status = 'pending'",
        [batch_id],
    )
    return int(n or 0)
