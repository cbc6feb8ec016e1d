"""What the partner's batch summary is made of, read from staging, and its place in the outbox."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from staging.store import Store

SUMMARY_KIND = "batch_summary"


@dataclass(frozen=True)
class HeldRow:
    account: str
    key: str
    first_finding: str  # "CODE (Sheet row N, Column): message"


def _finding_text(code: str, sheet: Any, row: Any, column: Any, message: Any) -> str:
    where = str(sheet or "")
    if row is not None and not pd.isna(row):
        where += f" row {int(row)}"
    if isinstance(column, str) and column:
        where += f", {column}"
    text = f"{code} ({where})" if where else str(code)
    return f"{text}: {message}" if isinstance(message, str) and message else text


def held_customers(store: Store, batch_id: str) -> list[HeldRow]:
    """Customers held back (by validation, or refused at run time) with their first error finding."""
    frame = store.frame(
        """
        SELECT c.account, c.account_key, c.row, f.code, f.sheet, f.row AS frow, f."column", f.message
        FROM customers c
        LEFT JOIN findings f ON f.batch_id = c.batch_id AND f.severity = 'error'
             AND regexp_replace(lower(trim(f.account)), '\\s+', ' ', 'g') = c.account_key
        WHERE c.batch_id = ? AND (c.status = 'held' OR (c.status = 'valid' AND coalesce(c.codes, '') <> ''))
        ORDER BY c.row, f.sheet = 'Customers' DESC, f.row, f."column"
        """,
        [batch_id],
    )
    out: dict[str, HeldRow] = {}
    for acc, key, _row, code, sheet, frow, col, msg in frame.itertuples(index=False):
        if key in out:
            continue
        first = _finding_text(code, sheet, frow, col, msg) if isinstance(code, str) else "held with the whole file"
        out[key] = HeldRow(str(acc), str(key), first)
    return list(out.values())


def failed_customers(store: Store, batch_id: str) -> list[tuple[str, str]]:
    """(account, first error) of valid customers some system failed for (not refused ones)."""
    frame = store.frame(
        """
        SELECT l.account, min_by(l.system || ': ' || coalesce(l.error, l.step), l.updated_at)
        FROM ledger l JOIN customers c ON c.batch_id = l.batch_id AND c.account = l.account
        WHERE l.batch_id = ? AND l.status = 'failed' AND coalesce(c.codes, '') = ''
          AND NOT EXISTS (SELECT 1 FROM ledger d WHERE d.batch_id = l.batch_id AND d.account = l.account
                          AND d.system = l.system AND d.step = 'complete' AND d.status = 'done')
        GROUP BY l.account ORDER BY l.account
        """,
        [batch_id],
    )
    return [(str(a), str(e)) for a, e in frame.itertuples(index=False)]


def batch_findings(store: Store, batch_id: str) -> pd.DataFrame:
    return store.frame(
        'SELECT sheet, row, "column", code, severity, message, account, value FROM findings WHERE batch_id = ?',
        [batch_id],
    )


def held_keys(store: Store, batch_id: str) -> set[str]:
    return {h.key for h in held_customers(store, batch_id)}


def batch_sources(store: Store, batch_id: str) -> list[Path]:
    raw = store.scalar("SELECT sources FROM batches WHERE batch_id = ?", [batch_id])
    return [Path(p) for p in json.loads(raw)] if raw else []


def notice_known(store: Store, notice_id: str) -> bool:
    return bool(store.scalar("SELECT count(*) FROM outbox WHERE id = ?", [notice_id]))


def queue_notice(store: Store, notice_id: str, batch_id: str, to_addr: str, subject: str, payload_enc: str) -> None:
    """A partner notice, queued once: the same id again (nothing new to say) is left as it is."""
    if notice_known(store, notice_id):
        return
    store.con.execute(
        "INSERT INTO outbox (id, batch_id, account, kind, to_addr, subject, payload_enc, status, created_at) "
        "VALUES (?, ?, NULL, ?, ?, ?, ?, 'queued', ?)",
        [notice_id, batch_id, SUMMARY_KIND, to_addr, subject, payload_enc, datetime.now(UTC)],
    )
