"""The ids every customer was given, kept as claims in the ledger (DESIGN §4, §5).

Ids are decided when a batch is staged, before anything is sent, and written to the ledger as steps
``id:enterprise``, ``id:group`` and ``id:admin`` (system ``broadworks``, status ``done``, the id in
``external_id``). Together with the run-time ``claim`` step (written just before a customer's first
request) they are every id this pipeline ever used: a later batch never hands one of them to another
customer, and a re-run of the same customer (same partner and account key) gets its own ids back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

if TYPE_CHECKING:
    from staging.store import Store


ID_STEPS = {"enterprise_id": "id:enterprise", "group_id": "id:group", "admin_user_id": "id:admin"}
KIND_OF_STEP = {v: k for k, v in ID_STEPS.items()}
RUN_CLAIM = "claim"  # pipeline.provision: "about to create this enterprise", written before the first request


# Candidates and keys are joined as registered Arrow tables: a hash join, where list_contains with a
# list parameter would compare every ledger row with every candidate (a migration chunk: 3,000 x 1.5M).
_TAKEN_SQL = """
    SELECT DISTINCT l.external_id FROM ledger l JOIN _id_candidates c ON c.id = l.external_id
    WHERE l.system = 'broadworks' AND (l.step = ? OR l.step = 'id:enterprise' OR l.step = 'id:admin')
"""


def _with_table(store: Store, name: str, column: str, values: list[str], sql: str, params: list[Any]) -> list[Any]:
    store.con.register(name, pa.table({column: pa.array(values, type=pa.string())}))
    try:
        return store.con.execute(sql, params).fetchall()
    finally:
        store.con.unregister(name)


@dataclass
class Claims:
    """What staging knows of the ids already used, for ``transforms.plan.assign_customer_ids``."""

    store: Store
    own: dict[str, dict[str, str]] = field(default_factory=dict)  # account key -> kind -> id (this partner)
    _looked: set[str] = field(default_factory=set)  # ids whose use was read from the ledger
    _used: set[str] = field(default_factory=set)  # ... and those of them some customer claimed
    _given: set[str] = field(default_factory=set)  # handed out by this staging, not committed yet

    def preload(self, ids: list[str]) -> None:
        """Read at once whether the likely candidates are used (one scan instead of one per id)."""
        fresh = sorted(set(ids) - self._looked)
        if fresh:
            rows = _with_table(self.store, "_id_candidates", "id", fresh, _TAKEN_SQL, [RUN_CLAIM])
            self._used.update(str(r[0]) for r in rows)
            self._looked.update(fresh)

    def is_taken(self, some_id: str) -> bool:
        """Was this enterprise or admin id ever claimed (by anyone), or handed out just now?"""
        if some_id not in self._looked:
            self.preload([some_id])
        return some_id in self._used or some_id in self._given

    def give(self, some_id: str) -> None:
        self._given.add(some_id)

    def handed_out(self, some_id: str) -> bool:
        """Handed out by this staging (not committed yet)."""
        return some_id in self._given


def load_claims(store: Store, partner_id: str, keys: list[str], candidates: list[str]) -> Claims:
    """Claims relevant to staging the customers ``keys`` of ``partner_id``.

    ``own``: ids this partner's same account keys already hold (a re-staged batch keeps its ids); the
    owner of a claim is found through ``customers`` (batch and account as written -> partner and key):
    account keys, not spellings, say whether two rows are the same customer. ``candidates`` (the ids
    the customers would most likely get) are checked against every claim in one scan.
    """
    rows = _with_table(
        store, "_id_keys", "account_key", keys,
        """
        SELECT c.account_key, l.step, l.external_id
        FROM ledger l JOIN customers c ON c.batch_id = l.batch_id AND c.account = l.account
        JOIN _id_keys k ON k.account_key = c.account_key
        WHERE l.system = 'broadworks' AND starts_with(l.step, 'id:') AND l.external_id IS NOT NULL
          AND c.partner_id = ?
        ORDER BY l.updated_at
        """,
        [partner_id],
    )
    claims = Claims(store)
    for key, step, ext in rows:
        kind = KIND_OF_STEP.get(str(step))
        if kind:
            claims.own.setdefault(str(key), {})[kind] = str(ext)
    claims.preload(candidates)
    return claims


def group_id_taken(store: Store, group_id: str) -> bool:
    """Was this group id ever claimed (by any customer or group)? Group ids of New Groups are checked
    across enterprises too: stricter than BroadWorks needs, and never a reason to share one."""
    return bool(store.scalar(
        "SELECT count(*) FROM ledger WHERE system = 'broadworks' AND step = 'id:group' AND external_id = ?",
        [group_id]))


def next_number(store: Store, scope: str, first: int = 1) -> int:
    """The next number of a counter (``first`` when it has none yet), in the caller's transaction: it
    commits with the claims of the ids it made, before any request uses them."""
    row = store.con.execute(
        "INSERT INTO id_counters (scope, value) VALUES (?, ?) "
        "ON CONFLICT (scope) DO UPDATE SET value = id_counters.value + 1 RETURNING value",
        [scope, first]).fetchone()
    assert row is not None
    return int(row[0])


def record_ids(store: Store, batch_id: str, accounts: Mapping[str, str], ids: Mapping[str, Mapping[str, str]]) -> None:
    """Claim ``ids`` (by account key) for the batch; ``accounts`` maps each key to its name as written."""
    now = datetime.now(UTC)
    rows = [
        {"batch_id": batch_id, "account": accounts[key], "system": "broadworks", "step": step, "status": "done",
         "attempts": 1, "external_id": ids[key][kind], "error": None, "updated_at": now}
        for key in ids for kind, step in ID_STEPS.items() if ids[key].get(kind)  # a New Group may have no admin
    ]
    if not rows:
        return
    frame = pd.DataFrame(rows)
    frame["attempts"] = frame["attempts"].astype("int32")
    frame["error"] = frame["error"].astype("string")
    store.con.register("_ids_in", frame)
    try:
        cols = ", ".join(frame.columns)
        store.con.execute(f"INSERT OR REPLACE INTO ledger ({cols}) SELECT {cols} FROM _ids_in")
    finally:
        store.con.unregister("_ids_in")


# -- read-only, from the snapshot (``onboard plan`` of a file not staged yet) ------------------------
CLAIMS_FILE = "claims.parquet"


def write_claims_snapshot(store: Store, path: Path) -> None:
    """Every id ever claimed, with its owner (partner, account key) where staging knows it."""
    frame = store.frame(
        """
        SELECT DISTINCT l.external_id AS id, l.step, c.partner_id, c.account_key
        FROM ledger l LEFT JOIN customers c ON c.batch_id = l.batch_id AND c.account = l.account
        WHERE l.system = 'broadworks' AND (starts_with(l.step, 'id:') OR l.step = ?) AND l.external_id IS NOT NULL
        """,
        [RUN_CLAIM],
    )
    tmp = path.with_suffix(".tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


@dataclass
class SnapshotClaims:
    """``Claims`` read from the snapshot: the same id assignment as staging, claiming nothing."""

    own: dict[str, dict[str, str]] = field(default_factory=dict)
    used: set[str] = field(default_factory=set)
    given: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, folder: Path, partner_id: str) -> SnapshotClaims:
        path = folder / CLAIMS_FILE
        out = cls()
        if not path.exists():
            return out
        frame = pd.read_parquet(path)
        for ext, step, partner, key in frame[["id", "step", "partner_id", "account_key"]].itertuples(index=False):
            kind = KIND_OF_STEP.get(str(step))
            if kind is None or kind != "group_id":
                out.used.add(str(ext))  # enterprise and admin ids, and run-time claims, are taken for everyone
            if kind and partner == partner_id and isinstance(key, str):
                out.own.setdefault(key, {})[kind] = str(ext)
        return out

    def is_taken(self, some_id: str) -> bool:
        return some_id in self.used or some_id in self.given

    def give(self, some_id: str) -> None:
        self.given.add(some_id)
