"""Batches: the id of DESIGN §5 and the batch row."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

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
