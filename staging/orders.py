"""Writing a validated order into staging, and reading plans and progress back."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms.customer_codes import codes
from transforms.distinct import distinct_values

if TYPE_CHECKING:
    from staging.store import Store


def _cols(frame: pd.DataFrame | None, mapping: Mapping[str, str]) -> pd.DataFrame:
    """Rename/select columns; missing source columns become empty text."""
    if frame is None or frame.empty:
        return pd.DataFrame(columns=list(mapping.values()))
    out = pd.DataFrame(index=frame.index)
    for src, dst in mapping.items():
        out[dst] = frame[src] if src in frame.columns else ""
    return out.reset_index(drop=True)


STAGED_ROWS = ("package_lines", "locations", "did_requests")


def stage_rows(store: Store, batch_id: str, order: Mapping[str, pd.DataFrame]) -> set[str]:
    """Package lines, locations and DID requests of every row; ``unstage_rows`` then takes out those of the
    customers that are not valid, in the same transaction (the loads run beside the validation). Returns
    the account keys of the rows staged that name no customer of the Customers sheet (blank or unknown names):
    with the held and skipped customers, what is taken out."""

    def sub(sheet: str) -> pd.DataFrame | None:
        f = order.get(sheet)
        return None if f is None or f.empty else f

    pk = _cols(sub("Packages"), {"_account_key": "account_key", "_row": "row", "order_type": "order_type",
                                 "package": "package", "quantity": "quantity"})
    if not pk.empty:
        pk.insert(0, "batch_id", batch_id)
        pk["quantity"] = _whole_or(pk["quantity"], 1)
        store.insert("package_lines", pk)
    loc = _cols(sub("Locations"), {"_account_key": "account_key", "_sheet": "sheet", "_row": "row",
                                   "location_name": "location_name", "address_1": "address_1", "address_2": "address_2",
                                   "city": "city", "state": "state", "zip": "zip", "main_number": "main_number"})
    if not loc.empty:
        loc.insert(0, "batch_id", batch_id)
        store.insert("locations", loc.astype({"row": "int64"}))
    dr = _cols(sub("DIDs"), {"_account_key": "account_key", "_row": "row", "npa": "npa", "nxx": "nxx",
                             "quantity": "quantity", "numbers": "numbers", "purpose": "purpose", "fax_email": "fax_email"})
    if not dr.empty:
        dr.insert(0, "batch_id", batch_id)
        dr["quantity"] = pd.to_numeric(dr["quantity"], errors="coerce").fillna(0).astype("int64")
        dr["numbers"] = dr["numbers"].map(lambda v: ";".join(v) if isinstance(v, list | tuple) else ("" if v is None else str(v)))
        store.insert("did_requests", dr)
    return unlisted_keys(order)


def unlisted_keys(order: Mapping[str, pd.DataFrame]) -> set[str]:
    """The account keys of the rows ``stage_rows`` stages that name no customer of the Customers sheet. Found
    by the rows' customer codes (``transforms.customer_codes``, made once and shared with the validation):
    the valid customers are the listed ones less the held and skipped, so no set of every key staged (100k
    keys boxed into a Python set cost 0.1 s on the loads' thread, the path after the read) is needed."""
    cust = order.get("Customers")
    ckeys = cust["_account_key"] if cust is not None and "_account_key" in cust.columns else pd.Series([], dtype="str")
    out: set[str] = set()
    for sheet in ("Packages", "Locations", "DIDs"):
        f = order.get(sheet)
        if f is None or f.empty:
            continue
        keys = f["_account_key"]
        none = codes(keys, ckeys) < 0
        if none.any():
            out.update(distinct_values(keys[none]))
    return out


def unstage_rows(store: Store, batch_id: str, drop: set[str]) -> int:
    """After ``stage_rows``: drop the rows of the account keys ``drop`` (the customers that are not valid: held,
    skipped, and the names that are no customer, ``stage_rows``' answer). A key without staged rows drops
    nothing. Returns the number of keys; a book without held customers drops nothing."""
    if not drop:
        return 0
    store.con.register("_unstaged", pa.table({"k": pa.array(sorted(drop), type=pa.string())}))
    try:
        for table in STAGED_ROWS:
            store.con.execute(f"DELETE FROM {table} WHERE batch_id = ? AND account_key IN (SELECT k FROM _unstaged)",
                              [batch_id])
    finally:
        store.con.unregister("_unstaged")
    return len(drop)


def _whole_or(s: pd.Series, default: int) -> pd.Series:
    """Whole numbers as int64, anything else ``default`` (what to_numeric(errors="coerce") gave for the
    validated quantities staged here, in Arrow: to_numeric parses 1M strings in Python)."""
    if len(s) == 0 or s.dtype != "str":
        return pd.to_numeric(s, errors="coerce").fillna(default).astype("int64")
    # per distinct value (1M package lines hold a handful of quantities), then spread back by the codes
    encoded = pc.dictionary_encode(pa.chunked_array(pa.array(s.array)).combine_chunks())
    arr = encoded.dictionary
    digits = pc.match_substring_regex(arr, r"^[0-9]{1,18}$")
    parsed = pc.fill_null(pc.cast(pc.if_else(digits, arr, pa.scalar(None, arr.type)), pa.int64()), default)
    out = pc.fill_null(pc.take(parsed, encoded.indices), default)
    return pd.Series(out.to_numpy(zero_copy_only=False), index=s.index, dtype="int64")


def stage_findings(store: Store, batch_id: str, findings: pd.DataFrame) -> None:
    if findings.empty:
        return
    f = findings[["sheet", "row", "column", "code", "severity", "message", "account", "value"]].copy()
    f.insert(0, "batch_id", batch_id)
    f["row"] = pd.to_numeric(f["row"], errors="coerce").astype("Int64")
    for c in ("sheet", "column", "message", "account", "value"):
        f[c] = f[c].astype("string")
    store.insert("findings", f)


def save_plans(store: Store, batch_id: str, plans: Mapping[str, Mapping[str, Any]], chunk_size: int) -> None:
    rows = [
        {"batch_id": batch_id, "account_key": k, "account": p["account"], "chunk": i // chunk_size, "plan": json.dumps(p)}
        for i, (k, p) in enumerate(plans.items())
    ]
    if rows:
        store.insert("plans", pd.DataFrame(rows), replace=True)


def load_plans(store: Store, batch_id: str, accounts: Sequence[str] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(account key, plan) in staging order, optionally for some accounts only."""
    frame = store.frame("SELECT account_key, account, plan FROM plans WHERE batch_id = ? ORDER BY chunk, account", [batch_id])
    if accounts is not None:
        frame = frame[frame["account"].isin(set(accounts))]
    return [(k, json.loads(p)) for k, p in zip(frame["account_key"], frame["plan"], strict=True)]


def incomplete_accounts(store: Store, batch_id: str, systems: Sequence[str]) -> list[str]:
    """Valid customers of the batch for which some system has not recorded its 'complete' step."""
    frame = store.frame(
        """
        SELECT p.account FROM plans p
        WHERE p.batch_id = ? AND (
            SELECT count(*) FROM ledger l
            WHERE l.batch_id = p.batch_id AND l.account = p.account AND l.step = 'complete'
              AND l.status = 'done' AND list_contains(?, l.system)
        ) < ?
        ORDER BY p.chunk, p.account
        """,
        [batch_id, list(systems), len(systems)],
    )
    return list(frame["account"])


def customer_progress(store: Store, batch_id: str) -> pd.DataFrame:
    """account, system -> status (done / failed / in_doubt / pending) and last error."""
    return store.frame(
        """
        WITH s AS (
          SELECT account, system,
                 bool_or(step = 'complete' AND status = 'done') AS complete,
                 bool_or(status = 'failed') AS failed,
                 bool_or(status = 'in_doubt') AS in_doubt,
                 string_agg(CASE WHEN status = 'failed' THEN step || ': ' || coalesce(error, '') END, '; ') AS errors
          FROM ledger WHERE batch_id = ? GROUP BY account, system)
        SELECT account, system,
               CASE WHEN complete THEN 'done' WHEN failed THEN 'failed' WHEN in_doubt THEN 'in_doubt' ELSE 'pending' END
                 AS status,
               errors
        FROM s ORDER BY account, system
        """,
        [batch_id],
    )


def discard_half_staged(store: Store, batch_id: str) -> bool:
    """Drop the staging rows of a batch whose staging was cut short (killed before its plans were saved).

    Such a batch has its row but no totals (they are written with the plans) and nothing was sent for it
    yet; without this a resume would find the batch, skip staging and provision nobody. Number
    reservations are kept on purpose: staging again reuses the ones each customer already holds.
    """
    half = store.scalar(
        "SELECT count(*) FROM batches WHERE batch_id = ? AND status = 'staged' AND valid IS NULL", [batch_id]
    )
    if not half:
        return False
    with store.transaction() as con:
        for table in ("plans", "findings", "did_requests", "locations", "package_lines", "customers", "batches"):
            con.execute(f"DELETE FROM {table} WHERE batch_id = ?", [batch_id])
    return True
