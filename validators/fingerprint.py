"""A customer's order fingerprint: stable across re-uploads of the same order.

Built from normalized values (so '512-555-0100' and '(512) 555-0100' agree), without the password, row
numbers or whitespace differences in notes, with every ordered line of every sheet sorted (line order
does not change the order).
"""

from __future__ import annotations

import hashlib

import pandas as pd

from data.sheets import SHEETS
from transforms.normalize import NormalizedOrder

_EXCLUDE = {"password", "partner_id"}
_NOTES = {"notes"}


def _row_text(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    parts = []
    for k in keys:
        col = frame[k].astype("str")
        if k in _NOTES:
            col = col.str.replace(r"\s+", " ", regex=True).str.strip()
        parts.append(col)
    text = parts[0]
    for p in parts[1:]:
        text = text + "\x1f" + p
    return text


def customer_fingerprints(order: NormalizedOrder) -> dict[str, str]:
    """Account key -> 32 hex digits (SHA-256 prefix)."""
    chunks: list[pd.DataFrame] = []
    for sheet in SHEETS:
        frame = order.sheets[sheet.name]
        if frame.empty:
            continue
        if "_sheet" in frame.columns:
            frame = frame[frame["_sheet"].eq(sheet.name)]  # E911 from Notes is already in Customers.Notes
        keys = [c.key for c in sheet.columns if c.key not in _EXCLUDE and c.key != "account_name"]
        text = sheet.name + "\x1e" + _row_text(frame, keys)
        chunks.append(pd.DataFrame({"k": frame["_account_key"].to_numpy(), "t": text.to_numpy()}))
    if not chunks:
        return {}
    allrows = pd.concat(chunks, ignore_index=True).sort_values(["k", "t"], kind="stable")
    joined = allrows.groupby("k", sort=False)["t"].agg("\x1d".join)
    return {str(k): hashlib.sha256(v.encode("utf-8")).hexdigest()[:32] for k, v in joined.items() if k}
