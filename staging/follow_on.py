"""What staging knows of a partner's earlier orders, for planning follow-on orders (issue 19).

Read from the ``plans`` of earlier batches whose customer row is valid: the plan is what was sent, so it
holds the ids, the billing type and every package line (with its effective date).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from staging.store import Store

_PLANS_SQL = """
    SELECT c.account_key, c.batch_id, coalesce(c.order_kind, 'new_customer') AS order_kind, p.plan
    FROM customers c JOIN plans p ON p.batch_id = c.batch_id AND p.account_key = c.account_key
    JOIN batches b ON b.batch_id = c.batch_id
    WHERE c.partner_id = ? AND c.status = 'valid' AND c.batch_id IS DISTINCT FROM ? AND {where}
    ORDER BY b.received_at, c.batch_id
"""


def earlier_plans(store: Store, partner_id: str, account_keys: Iterable[str],
                  exclude_batch: str | None = None) -> list[dict[str, Any]]:
    """Earlier valid orders of these account keys and of every group of their enterprises, oldest first:
    dicts with ``account_key``, ``batch_id``, ``order_kind`` and ``plan`` (the plan dict)."""
    keys = sorted(set(account_keys))
    if not keys:
        return []
    first = store.frame(_PLANS_SQL.format(where="list_contains(?, c.account_key)"), [partner_id, exclude_batch, keys])
    enterprises = sorted({str(json.loads(p)["enterprise_id"]) for p in first["plan"]})
    if not enterprises:
        return []
    every = store.frame(_PLANS_SQL.format(where="list_contains(?, c.enterprise_id)"),
                        [partner_id, exclude_batch, enterprises])
    frame = pd.concat([first, every]).drop_duplicates(["account_key", "batch_id"])
    return [{"account_key": str(k), "batch_id": str(b), "order_kind": str(o), "plan": json.loads(p)}
            for k, b, o, p in zip(frame["account_key"], frame["batch_id"], frame["order_kind"], frame["plan"],
                                  strict=True)]


def reject_order(store: Store, batch_id: str, account: str, code: str, error: str) -> None:
    """A follow-on refused at run time (ENTERPRISE_NOT_FOUND / CUSTOMER_NOT_FOUND): a finding on its row
    and the code on the customer, as CUSTOMER_EXISTS does (``staging.results.reject_customer``)."""
    row = store.scalar("SELECT row FROM customers WHERE batch_id = ? AND account = ?", [batch_id, account])
    column = "Enterprise Account" if code == "ENTERPRISE_NOT_FOUND" else "Account Name"
    store.con.execute("DELETE FROM findings WHERE batch_id = ? AND account = ? AND code = ?", [batch_id, account, code])
    store.con.execute(
        "INSERT INTO findings (batch_id, sheet, row, \"column\", code, severity, message, account, value) "
        "VALUES (?, 'Customers', ?, ?, ?, 'error', ?, ?, ?)",
        [batch_id, row, column, code, error.split(": ", 1)[-1], account, account])
    store.con.execute("UPDATE customers SET codes = ? WHERE batch_id = ? AND account = ?", [code, batch_id, account])
