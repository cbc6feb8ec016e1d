"""DID inventory: the reservation is the row (status free -> reserved -> assigned, holder columns).

Every change is one guarded UPDATE inside a transaction (``WHERE status = 'free'``), so a number is
never given to two customers, whether in one run or in later and retried runs.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import duckdb

    from staging.store import Store


COLUMNS = ("number", "npa", "nxx", "rate_center", "state")

# The DID inventory shipped with the product (data/did_inventory.csv); a path, loaded on first use.
SHIPPED_INVENTORY = Path(__file__).resolve().parent.parent / "data" / "did_inventory.csv"


class InventoryFileError(ValueError):
    pass


def read_inventory_file(path: Path) -> pd.DataFrame:
    """number, npa, nxx, rate_center, state (header required); numbers become +1NXXNXXXXXX."""
    if not path.is_file():
        raise InventoryFileError(f"{path}: no such file; give a CSV with columns {', '.join(COLUMNS)}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower().replace(" ", "_") for h in (reader.fieldnames or [])]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise InventoryFileError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(COLUMNS)}")
        rows = []
        for i, raw in enumerate(reader, start=2):
            rec = {h.strip().lower().replace(" ", "_"): (v or "").strip() for h, v in raw.items() if h}
            digits = "".join(ch for ch in rec["number"] if ch.isdigit())
            if len(digits) == 11 and digits.startswith("1"):
                digits = digits[1:]
            if len(digits) != 10:
                raise InventoryFileError(f"{path} line {i}: number {rec['number']!r} is not a 10-digit NANP number")
            rows.append(
                {
                    "number": "+1" + digits,
                    "npa": digits[:3],
                    "nxx": digits[3:6],
                    "rate_center": rec["rate_center"],
                    "state": rec["state"].upper(),
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def load_inventory(store: Store, frame: pd.DataFrame) -> int:
    """Add numbers not yet known as free; numbers already known keep their status and holder."""
    if frame.empty:
        return 0
    before = int(store.scalar("SELECT count(*) FROM did_inventory"))
    incoming = frame.assign(status="free", updated_at=datetime.now(UTC))
    store.con.register("_inv", incoming)
    try:
        store.con.execute(
            "INSERT INTO did_inventory (number, npa, nxx, rate_center, state, status, updated_at) "
            "SELECT number, npa, nxx, rate_center, state, status, updated_at FROM _inv "
            "WHERE number NOT IN (SELECT number FROM did_inventory)"
        )
    finally:
        store.con.unregister("_inv")
    return int(store.scalar("SELECT count(*) FROM did_inventory")) - before


def free_numbers(store: Store) -> pd.DataFrame:
    return store.frame("SELECT number, npa, nxx FROM did_inventory WHERE status = 'free'")


def show(store: Store, npa: str, nxx: str) -> pd.DataFrame:
    return store.frame(
        "SELECT number, rate_center, state, status, partner, account, batch_id FROM did_inventory "
        "WHERE npa = ? AND nxx = ? ORDER BY number",
        [npa, nxx],
    )


@dataclass
class Reservation:
    numbers: list[str] = field(default_factory=list)
    rate_centers: dict[str, str] = field(default_factory=dict)
    unavailable: list[str] = field(default_factory=list)  # specific numbers asked for, not free
    shortfall: int = 0  # next-free numbers that were not there (backorder)


def reserve(
    con: duckdb.DuckDBPyConnection,
    *,
    partner: str,
    account: str,
    batch_id: str,
    npa: str,
    nxx: str,
    quantity: int,
    specific: Sequence[str] = (),
) -> Reservation:
    """Reserve the specific numbers if free, then the next free numbers of NPA-NXX up to ``quantity``.

    Numbers this customer already holds from this batch count first (a re-run reserves nothing new).
    Runs in one transaction; a write-write conflict with another writer raises and reserves nothing.
    """
    now = datetime.now(UTC)
    res = Reservation()
    con.execute("BEGIN TRANSACTION")
    try:
        held = [
            r[0]
            for r in con.execute(
                "SELECT number FROM did_inventory WHERE batch_id = ? AND account = ? AND partner = ? "
                "AND npa = ? AND nxx = ? AND status IN ('reserved', 'assigned') ORDER BY number",
                [batch_id, account, partner, npa, nxx],
            ).fetchall()
        ]
        res.numbers.extend(held)
        for number in specific:
            if number in res.numbers:
                continue
            hit = con.execute(
                "UPDATE did_inventory SET status = 'reserved', partner = ?, account = ?, batch_id = ?, updated_at = ? "
                "WHERE number = ? AND status = 'free' RETURNING number",
                [partner, account, batch_id, now, number],
            ).fetchall()
            if hit:
                res.numbers.append(number)
            else:
                res.unavailable.append(number)
        want = quantity - len(res.numbers)
        if want > 0:
            got = con.execute(
                "UPDATE did_inventory SET status = 'reserved', partner = ?, account = ?, batch_id = ?, updated_at = ? "
                "WHERE number IN (SELECT number FROM did_inventory WHERE npa = ? AND nxx = ? AND status = 'free' "
                "ORDER BY number LIMIT ?) AND status = 'free' RETURNING number",
                [partner, account, batch_id, now, npa, nxx, want],
            ).fetchall()
            res.numbers.extend(sorted(r[0] for r in got))
            res.shortfall = max(0, want - len(got))
        for number, rc in con.execute(
            "SELECT number, rate_center FROM did_inventory WHERE list_contains(?, number)", [res.numbers]
        ).fetchall():
            res.rate_centers[number] = rc
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return res


def mark_assigned(store: Store, numbers: Sequence[str]) -> None:
    if numbers:
        store.con.execute(
            "UPDATE did_inventory SET status = 'assigned', updated_at = now() "
            "WHERE list_contains(?, number) AND status = 'reserved'",
            [list(numbers)],
        )


def release(store: Store, batch_id: str, account: str) -> int:
    """A customer finally rejected gives its reserved (never assigned) numbers back."""
    n = store.scalar(
        "SELECT count(*) FROM did_inventory WHERE batch_id = ? AND account = ? AND status = 'reserved'",
        [batch_id, account],
    )
    store.con.execute(
        "UPDATE did_inventory SET status = 'free', partner = NULL, account = NULL, batch_id = NULL, updated_at = now() "
        "WHERE batch_id = ? AND account = ? AND status = 'reserved'",
        [batch_id, account],
    )
    return int(n or 0)


def not_available(con: duckdb.DuckDBPyConnection, numbers: Sequence[str], *, partner: str, account: str,
                  batch_id: str) -> list[str]:
    """Of ``numbers``, those neither free nor already this customer's in this batch (in the order given)."""
    if not numbers:
        return []
    ok = {n for (n,) in con.execute(
        "SELECT number FROM did_inventory WHERE list_contains(?, number) AND (status = 'free' OR "
        "(batch_id = ? AND account = ? AND partner = ?))", [list(numbers), batch_id, account, partner]).fetchall()}
    return [n for n in numbers if n not in ok]


def record_request(con: duckdb.DuckDBPyConnection, batch_id: str, account_key: str, row: int, *, reserved: int,
                   backordered: int) -> None:
    """What one DIDs row got: numbers reserved, numbers backordered."""
    con.execute("UPDATE did_requests SET reserved = ?, backordered = ? WHERE batch_id = ? AND account_key = ? AND row = ?",
                [reserved, backordered, batch_id, account_key, row])


def has_inventory(store: Store) -> bool:
    """Whether any number was ever loaded into ``did_inventory``."""
    return bool(store.scalar("SELECT count(*) FROM did_inventory"))
