"""A read-only picture of staging kept under the data home, for readers while a run holds the database.

``validate``, ``status``, ``plan`` and ``inventory show`` must answer while another process owns ``onboard.duckdb`` (DuckDB allows
one writer and no readers beside it), so every run refreshes these files after each chunk. Each file
is written aside and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from core.known import KnownCustomer
from staging.batches import assemble_known, known_orders
from staging.ids import CLAIMS_FILE, write_claims_snapshot
from staging.orders import customer_progress

if TYPE_CHECKING:
    from staging.store import Store

DIR = "snapshot"
INVENTORY_FILE = "inventory.parquet"
# what `onboard inventory show` lists per number (staging.inventory.show), plus where it is
INVENTORY_COLUMNS = ("number", "npa", "nxx", "rate_center", "state", "status", "partner", "account", "batch_id")


def _dir(home: Path) -> Path:
    d = home / DIR
    d.mkdir(parents=True, exist_ok=True)
    return d


def _atomic_parquet(store: Store, sql: str, params: list[Any], path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    frame = store.frame(sql, params)
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def batch_summaries(store: Store) -> list[dict[str, Any]]:
    frame = store.frame(
        """
        WITH sys AS (
          SELECT batch_id, account, system,
                 bool_or(step = 'complete' AND status = 'done') AS complete,
                 bool_or(status = 'failed') AS failed
          FROM ledger GROUP BY ALL)
        SELECT b.batch_id, b.partner_id, b.received_at, b.status, b.total, b.valid, b.held, b.skipped, b.report_path,
          (SELECT count(*) FROM sys WHERE sys.batch_id = b.batch_id AND system = 'broadworks' AND complete) AS provisioned,
          (SELECT count(*) FROM sys WHERE sys.batch_id = b.batch_id AND system = 'billing' AND complete) AS billed,
          (SELECT count(DISTINCT account) FROM sys WHERE sys.batch_id = b.batch_id AND failed AND NOT complete) AS failed
        FROM batches b ORDER BY b.received_at
        """
    )
    out = []
    for r in frame.to_dict("records"):
        out.append({
            "batch": r["batch_id"],
            "partner": r["partner_id"],
            "received_at": pd.Timestamp(r["received_at"]).isoformat(),
            "status": r["status"],
            "report": r["report_path"] if isinstance(r["report_path"], str) else None,
            "customers": {k: int(0 if pd.isna(r[k]) else r[k])
                          for k in ("total", "valid", "held", "skipped", "provisioned", "billed", "failed")},
        })
    return out


def write_snapshot(store: Store, batch_id: str | None = None) -> None:
    d = _dir(store.home)
    _atomic_parquet(
        store,
        "SELECT partner_id, account_key, fingerprint, batch_id FROM customers WHERE status = 'valid'",
        [],
        d / "customers.parquet",
    )
    # the whole inventory, as `inventory show` prints it (free, reserved and assigned, and who holds them)
    _atomic_parquet(store, f"SELECT {', '.join(INVENTORY_COLUMNS)} FROM did_inventory ORDER BY number", [],
                    d / INVENTORY_FILE)
    write_claims_snapshot(store, d / CLAIMS_FILE)
    _write_known(store, d / KNOWN_FILE)
    tmp = d / "batches.json.tmp"
    tmp.write_text(json.dumps(batch_summaries(store), indent=1), encoding="utf-8")
    os.replace(tmp, d / "batches.json")
    for bid in [batch_id] if batch_id else list(store.frame("SELECT batch_id FROM batches")["batch_id"]):
        progress = customer_progress(store, bid)
        held = store.frame(
            "SELECT account, status, codes FROM customers WHERE batch_id = ? ORDER BY row", [bid]
        )
        path = d / f"batch-{bid}.json"
        doc = {"batch": bid, "customers": _customers_doc(held, progress)}
        path.with_suffix(".tmp").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        os.replace(path.with_suffix(".tmp"), path)


def _customers_doc(customers: pd.DataFrame, progress: pd.DataFrame) -> list[dict[str, Any]]:
    by_account: dict[str, dict[str, Any]] = {}
    for r in progress.to_dict("records"):
        entry = by_account.setdefault(str(r["account"]), {"status": {}, "errors": []})
        entry["status"][r["system"]] = r["status"]
        if isinstance(r["errors"], str) and r["errors"]:
            entry["errors"].append(f"{r['system']}: {r['errors']}")
    out = []
    for r in customers.to_dict("records"):
        acc = str(r["account"])
        entry = by_account.get(acc, {"status": {}, "errors": []})
        status = {s: entry["status"].get(s, "pending" if r["status"] == "valid" else r["status"])
                  for s in ("broadworks", "billing", "tickets", "mail")}
        errors = list(entry["errors"])
        if r["status"] == "held":
            errors.insert(0, f"held: {r['codes']}")
        out.append({"account": acc, "customer": r["status"], "status": status, "errors": errors})
    return out


def read_existing(home: Path, partner_id: str, exclude_batch: str | None = None) -> dict[str, str]:
    path = home / DIR / "customers.parquet"
    if not path.exists():
        return {}
    import duckdb  # here: ``onboard validate`` reads the snapshot without DuckDB (its import is 0.1 s of CPU)

    with duckdb.connect() as con:
        frame = con.execute(
            "SELECT account_key, fingerprint FROM read_parquet(?) WHERE partner_id = ? AND batch_id IS DISTINCT FROM ?",
            [str(path), partner_id, exclude_batch],
        ).df()
    return dict(zip(frame["account_key"], frame["fingerprint"], strict=True))


KNOWN_FILE = "known_orders.parquet"


def _write_known(store: Store, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    known_orders(store.con, None).to_parquet(tmp, index=False)
    os.replace(tmp, path)


def read_known(home: Path, partner_id: str, exclude_batch: str | None = None) -> dict[str, KnownCustomer]:
    """``staging.batches.known_customers`` as the last snapshot saw it: for ``validate`` and ``plan`` while a
    run holds the database (issue 19). Nothing known before the first run."""
    path = home / DIR / KNOWN_FILE
    if not path.exists():  # a snapshot older than follow-on orders: its customers are new customers
        return {k: KnownCustomer(k, k, "new_customer", k, "", 0, 0, fp)
                for k, fp in read_existing(home, partner_id, exclude_batch).items()}
    frame = pd.read_parquet(path)
    frame = frame[(frame["partner_id"] == partner_id) & (frame["batch_id"] != exclude_batch)]
    return assemble_known(frame)


def read_batches(home: Path) -> list[dict[str, Any]]:
    path = home / DIR / "batches.json"
    if not path.exists():
        return []
    data: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def read_batch(home: Path, batch_id: str) -> dict[str, Any] | None:
    path = home / DIR / f"batch-{batch_id}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


_last: dict[tuple[str, str | None], tuple[float, float]] = {}  # (home, batch) -> (monotonic written, seconds it took)


def refresh_snapshot(store: Store, batch_id: str | None = None, *, force: bool = False, every: float = 5.0) -> None:
    """``write_snapshot`` at most every ``every`` seconds and 5x its own cost: cheap for an order sheet,
    while a 100k-customer batch (seconds per snapshot) does not pay for it hundreds of times."""
    key = (str(store.home), batch_id)
    now = time.monotonic()
    at, took = _last.get(key, (-1e9, 0.0))
    if not force and now - at < max(every, 5 * took):
        return
    write_snapshot(store, batch_id)
    _last[key] = (now, time.monotonic() - now)


def inventory(home: Path, npa: str, nxx: str) -> pd.DataFrame | None:
    """The numbers of one NPA-NXX as the last snapshot holds them (``INVENTORY_COLUMNS`` but npa and nxx,
    by number), or None when no run has written one."""
    snap = home / DIR / INVENTORY_FILE
    if not snap.exists():
        return None
    frame = pd.read_parquet(snap, filters=[("npa", "==", npa), ("nxx", "==", nxx)])
    return frame[[c for c in INVENTORY_COLUMNS if c not in ("npa", "nxx")]].sort_values("number", ignore_index=True)


def free_inventory(home: Path) -> pd.DataFrame:
    """Free numbers (number, npa, nxx) as the last run left them; the shipped inventory before any run."""
    snap = home / DIR / INVENTORY_FILE
    if snap.exists():
        return pd.read_parquet(snap, columns=["number", "npa", "nxx"], filters=[("status", "==", "free")])
    old = home / DIR / "inventory_free.parquet"  # written by builds before the whole inventory was kept
    if old.exists():
        return pd.read_parquet(old)
    from staging.inventory import SHIPPED_INVENTORY, read_inventory_file

    return read_inventory_file(SHIPPED_INVENTORY)[["number", "npa", "nxx"]]


def snapshot_dir(home: Path) -> Path:
    return home / DIR
