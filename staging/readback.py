"""The ``readback`` table: what the systems held when last read back, per customer and system.

Both reconciliations (batch and nightly) gather into it through here, so the reports render what
staging holds (DESIGN §8) and there is one writer of the table's columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from staging.store import Store

SYSTEMS = ("broadworks", "billing")
SAVE_SLICE = 10_000


def save_readback(store: Store, readbacks: Iterable[Mapping[str, Any]]) -> int:
    """Keep one row per (batch, account, system) read back: each mapping holds ``batch_id``, ``account``
    and the system answers under ``broadworks`` / ``billing``; returns the rows written."""
    now = datetime.now(UTC)
    items, written = list(readbacks), 0
    for start in range(0, len(items), SAVE_SLICE):  # a slice at a time: a whole book's JSON at once is GBs
        rows = [
            {"batch_id": r["batch_id"], "account": r["account"], "system": s, "data": json.dumps(r[s], default=str),
             "read_at": now}
            for r in items[start : start + SAVE_SLICE] for s in SYSTEMS if s in r
        ]
        if rows:
            written += store.insert("readback", pd.DataFrame(rows), replace=True)
    return written


def load_book(store: Store) -> pd.DataFrame:
    """Valid customers with a 'complete' step done in BroadWorks or billing: the latest batch of each."""
    return store.frame(
        """
        WITH done AS (
          SELECT batch_id, account,
                 max(CASE WHEN system = 'billing' THEN updated_at END) AS billed_at,
                 max(CASE WHEN system = 'broadworks' THEN updated_at END) AS provisioned_at
          FROM ledger WHERE step = 'complete' AND status = 'done' GROUP BY batch_id, account)
        SELECT c.batch_id, c.partner_id, c.account_key, c.account, c.billing_type, c.billing_start,
               p.plan, d.billed_at, d.provisioned_at
        FROM customers c
        JOIN plans p USING (batch_id, account_key)
        JOIN batches b USING (batch_id)
        JOIN done d ON d.batch_id = c.batch_id AND d.account = c.account
        WHERE c.status = 'valid'
        QUALIFY row_number() OVER (PARTITION BY c.partner_id, c.account_key ORDER BY b.received_at DESC) = 1
        ORDER BY c.partner_id, c.account
        """
    )


def staged_tickets(store: Store) -> pd.DataFrame:
    """Every ticket we opened (the nightly asks the ticket system for each one's status)."""
    return store.frame(
        "SELECT batch_id, partner_id, account, kind, external_id, ticket_id, subject FROM tickets ORDER BY external_id"
    )


def batch_customers(store: Store, batch_id: str) -> pd.DataFrame:
    """The batch's customers in workbook order, as staged (status, codes, ids, billing, MRC/NRC)."""
    return store.frame("SELECT * FROM customers WHERE batch_id = ? ORDER BY row", [batch_id])


def batch_dids(store: Store, batch_id: str) -> pd.DataFrame:
    """Numbers reserved for the batch and, per NPA-NXX, what was backordered."""
    return store.frame(
        "SELECT account, number, npa, nxx, rate_center, status FROM did_inventory WHERE batch_id = ? "
        "UNION ALL SELECT c.account, NULL, d.npa, d.nxx, NULL, 'backordered x' || d.backordered FROM did_requests d "
        "JOIN customers c USING (batch_id, account_key) WHERE d.batch_id = ? AND d.backordered > 0 ORDER BY 1, 2",
        [batch_id, batch_id],
    )


def batch_tickets(store: Store, batch_id: str) -> pd.DataFrame:
    return store.frame(
        "SELECT account, kind, detail, external_id, ticket_id, subject FROM tickets WHERE batch_id = ? ORDER BY 1, 2",
        [batch_id],
    )


def batch_origin(store: Store, batch_id: str) -> tuple[str, str]:
    """(partner id, received at) of a staged batch."""
    row = store.frame("SELECT partner_id, received_at FROM batches WHERE batch_id = ?", [batch_id]).iloc[0]
    return str(row["partner_id"]), str(row["received_at"])
