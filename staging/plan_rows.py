"""Reads and writes of customers, plans and DID requests that planning and provisioning need.

The flows call these instead of holding SQL (issue 15): each names its columns, so a schema change
lands here once.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from staging.store import Store


def valid_accounts_to_finish(store: Store, batch_id: str, systems: Sequence[str]) -> list[str]:
    """Valid customers (sheet order) not complete in every one of ``systems``."""
    frame = store.frame(
        """
        SELECT c.account FROM customers c
        WHERE c.batch_id = ? AND c.status = 'valid' AND (
            SELECT count(*) FROM ledger l
            WHERE l.batch_id = c.batch_id AND l.account = c.account AND l.step = 'complete'
              AND l.status = 'done' AND list_contains(?, l.system)) < ?
        ORDER BY c.row
        """,
        [batch_id, list(systems), len(systems)],
    )
    return list(frame["account"])


def planned_accounts(store: Store, batch_id: str, accounts: Sequence[str]) -> set[str]:
    frame = store.frame("SELECT account FROM plans WHERE batch_id = ? AND list_contains(?, account)",
                        [batch_id, list(accounts)])
    return set(frame["account"])


def valid_account_keys(store: Store, batch_id: str, accounts: Sequence[str]) -> dict[str, str]:
    """Account -> account key of the batch's valid customers among ``accounts``."""
    keyed = store.frame("SELECT account, account_key FROM customers WHERE batch_id = ? AND status = 'valid' "
                        "AND list_contains(?, account)", [batch_id, list(accounts)])
    return dict(zip(keyed["account"], keyed["account_key"], strict=True))


def pending_e911_accounts(store: Store, batch_id: str) -> list[str]:
    """Customers let through with a pending-E911 warning (they get a follow-up ticket)."""
    frame = store.frame("SELECT DISTINCT account FROM findings WHERE batch_id = ? AND code = 'E911_MISSING' "
                        "AND severity = 'warning'", [batch_id])
    return [str(a) for a in frame["account"]]


def _update_customers(store: Store, batch_id: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Set ``columns`` of customers from ``frame`` (keyed by ``account_key``), loaded through Arrow."""
    if frame.empty:
        return
    store.con.register("_upd", frame)
    try:
        sets = ", ".join(f"{c} = _upd.{c}" for c in columns)
        store.con.execute(f"UPDATE customers SET {sets} FROM _upd "
                          "WHERE customers.batch_id = ? AND customers.account_key = _upd.account_key", [batch_id])
    finally:
        store.con.unregister("_upd")


def unprinted_keys(store: Store, batch_id: str, keys: Sequence[str]) -> list[str]:
    """Of ``keys``, the customers staged without their order fingerprint (a migration hashes them per chunk)."""
    if not keys:
        return []
    rows = store.con.execute(
        "SELECT account_key FROM customers WHERE batch_id = ? AND coalesce(fingerprint, '') = '' "
        "AND account_key IN (SELECT unnest(?::VARCHAR[]))", [batch_id, list(keys)]).fetchall()
    return [str(k) for (k,) in rows]


def set_fingerprints(store: Store, batch_id: str, prints: pd.DataFrame) -> None:
    """``prints``: account_key, fingerprint."""
    _update_customers(store, batch_id, prints, ["fingerprint"])


def set_sealed_passwords(store: Store, batch_id: str, sealed: pd.DataFrame) -> None:
    """``sealed``: account_key, password_enc (the portal password, encrypted)."""
    _update_customers(store, batch_id, sealed, ["password_enc"])


def set_plan_totals(store: Store, batch_id: str, totals: pd.DataFrame) -> None:
    """``totals``: account_key, enterprise_id, group_id, mrc, nrc, seats."""
    _update_customers(store, batch_id, totals, ["enterprise_id", "group_id", "mrc", "nrc", "seats"])


def plans_with_passwords(store: Store, batch_id: str, accounts: Sequence[str]) -> pd.DataFrame:
    """account, plan (JSON), password_enc of the given planned customers."""
    return store.frame(
        "SELECT p.account, p.plan, c.password_enc FROM plans p JOIN customers c USING (batch_id, account_key) "
        "WHERE p.batch_id = ? AND list_contains(?, p.account)", [batch_id, list(accounts)])


def plan_texts(store: Store, batch_id: str, accounts: Sequence[str]) -> dict[str, str]:
    """Account -> plan JSON."""
    rows = store.con.execute("SELECT account, plan FROM plans WHERE batch_id = ? AND list_contains(?, account)",
                             [batch_id, list(accounts)]).fetchall()
    return {str(a): str(p) for a, p in rows}


def sealed_passwords(store: Store, batch_id: str) -> dict[str, str | None]:
    """Account -> sealed portal password of the batch's valid customers."""
    rows = store.con.execute("SELECT account, password_enc FROM customers WHERE batch_id = ? AND status = 'valid'",
                             [batch_id]).fetchall()
    return {str(a): p for a, p in rows}


def trunking_held_accounts(store: Store, batch_id: str) -> list[str]:
    """Held customers that ordered SIP Trunking (they get a trunking-request ticket)."""
    frame = store.frame("SELECT account FROM customers WHERE batch_id = ? AND status = 'held' "
                        "AND codes LIKE '%TRUNKING_NOT_SUPPORTED%'", [batch_id])
    return [str(a) for a in frame["account"]]


def set_did_request_outcome(store: Store, batch_id: str, account_key: str, row: int, reserved: int,
                            backordered: int) -> None:
    store.con.execute(
        "UPDATE did_requests SET reserved = ?, backordered = ? WHERE batch_id = ? AND account_key = ? AND row = ?",
        [reserved, backordered, batch_id, account_key, row],
    )
