"""Batches: the id of DESIGN §5 and the batch row."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from core.keys import account_key
from core.known import KnownCustomer
from data.catalog import Catalog, load_catalog

if TYPE_CHECKING:
    import duckdb

    from staging.store import Store


def input_files(paths: Sequence[Path]) -> list[Path]:
    """The files a batch is made of: a workbook, or every CSV of a folder."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files.extend(sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() == ".csv"))
        else:
            files.append(p)
    return files


def batch_id(partner_id: str, files: Iterable[Path]) -> str:
    """First 16 hex digits of SHA-256(partner, NUL, then per file in name order: name, NUL, bytes, NUL)."""
    h = hashlib.sha256()
    h.update(partner_id.encode("utf-8"))
    h.update(b"\0")
    for f in sorted(files, key=lambda p: (p.name, str(p))):
        h.update(f.name.encode("utf-8"))
        h.update(b"\0")
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        h.update(b"\0")
    return h.hexdigest()[:16]


def get_batch(store: Store, bid: str) -> dict[str, Any] | None:
    frame = store.frame("SELECT * FROM batches WHERE batch_id = ?", [bid])
    if frame.empty:
        return None
    return {str(k): v for k, v in frame.iloc[0].to_dict().items()}


def create_batch(
    store: Store, bid: str, partner_id: str, mode: str, sources: Sequence[Path], options: dict[str, Any]
) -> None:
    now = datetime.now(UTC)
    store.con.execute(
        "INSERT INTO batches (batch_id, partner_id, mode, sources, received_at, status, options, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 'staged', ?, ?)",
        [bid, partner_id, mode, json.dumps([str(s) for s in sources]), now, json.dumps(options), now],
    )


def set_batch(store: Store, bid: str, **fields: Any) -> None:
    if not fields:
        return
    cols = ", ".join(f"{k} = ?" for k in fields)
    store.con.execute(
        f"UPDATE batches SET {cols}, updated_at = ? WHERE batch_id = ?",
        [*fields.values(), datetime.now(UTC), bid],
    )


def existing_customers(store: Store, partner_id: str, exclude_batch: str | None = None) -> dict[str, str]:
    """account key -> fingerprint of customers earlier batches of this partner took in (valid)."""
    frame = store.frame(
        "SELECT account_key, fingerprint FROM customers WHERE partner_id = ? AND status = 'valid' "
        "AND batch_id IS DISTINCT FROM ?",
        [partner_id, exclude_batch],
    )
    return dict(zip(frame["account_key"], frame["fingerprint"], strict=True))


# What every earlier valid order of a partner gave each account (issue 19). One row per ORDER identity
# (account key + kind + fingerprint, as B's order key): the same follow-on staged by two batches counts once.
# The kind and the enterprise come from the order's plan (``core.order.CustomerOrder``: order_kind,
# enterprise_account); a customer staged before follow-on orders existed, or not planned yet (a migration
# plans chunk by chunk), is a new customer of its own enterprise.
_KNOWN_SQL = """
WITH orders AS (
  SELECT c.partner_id, c.batch_id, c.account_key, c.account, coalesce(c.fingerprint, '') AS fingerprint,
         coalesce(c.billing_type, '') AS billing_type, b.received_at,
         coalesce(nullif(json_extract_string(p.plan, '$.order_kind'), ''), 'new_customer') AS kind,
         coalesce(json_extract_string(p.plan, '$.enterprise_account'), '') AS enterprise_account
  FROM {customers} c JOIN {batches} b USING (batch_id) LEFT JOIN {plans} p USING (batch_id, account_key)
  WHERE c.status = 'valid' AND (c.partner_id = ? OR ? IS NULL) AND c.batch_id IS DISTINCT FROM ?
), once AS (
  SELECT * FROM orders
  QUALIFY row_number() OVER (PARTITION BY partner_id, account_key, kind, fingerprint ORDER BY received_at, batch_id) = 1
), lines AS (
  SELECT l.batch_id, l.account_key,
         sum(CASE WHEN k.seat THEN l.quantity ELSE 0 END) AS seats,
         sum(CASE WHEN k.seat THEN l.quantity * k.dids_included ELSE 0 END)
           + sum(CASE WHEN k.adds_dids THEN l.quantity ELSE 0 END) AS allowance
  FROM {package_lines} l JOIN _known_catalog k USING (order_type, package) GROUP BY ALL
), dids AS (
  SELECT batch_id, account_key, sum(greatest(coalesce(quantity, 0), 0)) AS dids FROM {did_requests} GROUP BY ALL
)
SELECT o.partner_id, o.account_key, o.account, o.kind, o.enterprise_account, o.billing_type, o.fingerprint,
       o.received_at, o.batch_id,
       coalesce(l.seats, 0)::BIGINT AS seats, coalesce(l.allowance, 0)::BIGINT AS allowance,
       coalesce(d.dids, 0)::BIGINT AS dids
FROM once o LEFT JOIN lines l USING (batch_id, account_key) LEFT JOIN dids d USING (batch_id, account_key)
ORDER BY o.received_at, o.batch_id
"""
KNOWN_TABLES = ("customers", "batches", "plans", "package_lines", "did_requests")  # what _KNOWN_SQL reads
CREATING_KINDS = ("new_customer", "new_group")


def catalog_dids_table(catalog: Catalog | None = None) -> pa.Table:
    """(order_type, package, seat, dids_included, adds_dids) of every catalog line, as staged lines spell them."""
    lines = (catalog or load_catalog()).lines
    return pa.table({
        "order_type": [p.order_type for p in lines], "package": [p.name for p in lines],
        "seat": [p.seat for p in lines], "dids_included": [p.dids_included for p in lines],
        "adds_dids": [p.adds_dids for p in lines],
    })


def known_orders(con: duckdb.DuckDBPyConnection, partner_id: str | None, exclude_batch: str | None = None,
                 catalog: Catalog | None = None) -> pd.DataFrame:
    """One row per distinct earlier valid order (of one partner, or of all when ``partner_id`` is None):
    partner_id, account_key, account, kind, enterprise_account, billing_type, fingerprint, received_at,
    batch_id, seats, allowance, dids. The snapshot keeps this frame for readers during a run."""
    con.register("_known_catalog", catalog_dids_table(catalog))
    try:
        return con.execute(_KNOWN_SQL.format(**{t: t for t in KNOWN_TABLES}),
                           [partner_id, partner_id, exclude_batch]).df()
    finally:
        con.unregister("_known_catalog")


def assemble_known(frame: pd.DataFrame) -> dict[str, KnownCustomer]:
    """One KnownCustomer per account that a New Customer or New Group order created (the first one), with
    the seats, DIDs and DID allowance of every distinct order of that account summed; a group's billing
    type is its enterprise's."""
    recs: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    creators: dict[str, dict[str, Any]] = {}
    for r in recs:
        if r["kind"] in CREATING_KINDS:
            creators.setdefault(str(r["account_key"]), r)
    totals: dict[str, list[int]] = {}
    orders: dict[str, set[tuple[str, str]]] = {}
    for r in recs:
        orders.setdefault(str(r["account_key"]), set()).add((str(r["kind"]), str(r["fingerprint"])))
        t = totals.setdefault(str(r["account_key"]), [0, 0, 0])
        t[0] += int(r["seats"])
        t[1] += int(r["dids"])
        t[2] += int(r["allowance"])
    out: dict[str, KnownCustomer] = {}
    for key, r in creators.items():
        owner = account_key(str(r["enterprise_account"])) if r["kind"] == "new_group" else key
        owner = owner or key
        billing = str(creators[owner]["billing_type"]) if owner in creators else str(r["billing_type"])
        seats, dids, allowance = totals[key]
        out[key] = KnownCustomer(str(r["account"]), key, str(r["kind"]), owner, billing, seats, dids,
                                 str(r["fingerprint"]), allowance, frozenset(orders[key]))
    return out


def known_customers(store: Store, partner_id: str, exclude_batch: str | None = None) -> dict[str, KnownCustomer]:
    """Account key -> what earlier valid batches of this partner gave that customer (issue 19)."""
    return assemble_known(known_orders(store.con, partner_id, exclude_batch))
