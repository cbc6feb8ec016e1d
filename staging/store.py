"""The staging store: opens ``onboard.duckdb`` under the data home for the one writer process."""

from __future__ import annotations

import contextlib
import json
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from core.transaction import transaction
from staging.lock import RunLock
from staging.schema import DDL, SCHEMA_VERSION

DB_NAME = "onboard.duckdb"
CATALOG = "onboard"  # the name the writer attaches the database file under
# DuckDB writes an append of a whole row group or more straight to the database file while its transaction
# runs ("optimistic writes"; setting enable_optimistic_write), and anything smaller into the WAL, which the
# commit then checkpoints into the file: written twice, on the commit's thread. A 100k-customer book's
# customers and locations (100k rows each) are below DuckDB's default row group (122,880 rows) and cost 0.5 s
# there. With 65,536-row groups (an ATTACH option: duckdb.org/docs, "ATTACH and DETACH Statements") they go
# straight to the file while they are loaded, and that commit takes 0.09 s (measured here with DuckDB 2.0;
# where the threshold lies is DuckDB's behaviour, not a documented promise: the gain is measured, not
# assumed). Files written with the default size are read and appended to as they are.
ROW_GROUP_SIZE = 65_536
# The stores this process holds open: a signal handler marks their running batches `interrupted` and
# releases their locks before the process ends (onboard.signals).
_OPEN: weakref.WeakSet[Store] = weakref.WeakSet()


def secure_home(home: Path) -> None:
    """The data home holds customers' personal data: 0700, whatever umask created it (DESIGN §5)."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # a home we do not own stays as it is; opening it will say why
        os.chmod(home, 0o700)


class Store:
    """A DuckDB connection plus the writer lock. Frames go in through Arrow, never executemany."""

    def __init__(self, home: Path, con: duckdb.DuckDBPyConnection, lock: RunLock | None) -> None:
        self.home = home
        self.con = con
        self._lock = lock

    @classmethod
    def open(cls, home: Path, *, command: str = "") -> Store:
        """Take the writer lock, then open (and migrate) the database. Raises LockedError."""
        secure_home(home)
        lock = RunLock(home).acquire(command)
        try:
            db = home / DB_NAME
            con = duckdb.connect()  # an empty in-memory database; the file is attached to it as the default
            quoted = "'" + str(db).replace("'", "''") + "'"
            con.execute(f"ATTACH {quoted} AS {CATALOG} (ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
            con.execute(f"USE {CATALOG}")
            for f in (db, db.with_name(DB_NAME + ".wal")):
                with contextlib.suppress(OSError):
                    os.chmod(f, 0o600)
            con.execute(DDL)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        except BaseException:
            lock.release()
            raise
        store = cls(home, con, lock)
        _OPEN.add(store)
        return store

    def close(self) -> None:
        _OPEN.discard(self)
        try:
            self.con.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A connection of its own to the same database (another thread's, or one outside the transaction the
        main connection may be in). Use this, not ``con.cursor()``: a new connection starts in the in-memory
        database the file is attached to."""
        cur = self.con.cursor()
        cur.execute(f"USE {CATALOG}")
        return cur

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- loading ---------------------------------------------------------------------------------
    def insert(self, table: str, frame: pd.DataFrame | pa.Table, *, replace: bool = False) -> int:
        """Append (or upsert on the primary key) a frame whose columns are a subset of the table's."""
        tbl = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        if tbl.num_rows == 0:
            return 0
        cols = ", ".join(f'"{c}"' for c in tbl.column_names)
        verb = "INSERT OR REPLACE INTO" if replace else "INSERT INTO"
        self.con.register("_incoming", tbl)
        try:
            self.con.execute(f"{verb} {table} ({cols}) SELECT {cols} FROM _incoming")
        finally:
            self.con.unregister("_incoming")
        return int(tbl.num_rows)

    def frame(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def scalar(self, sql: str, params: list[Any] | None = None) -> Any:
        rows = self.con.execute(sql, params or []).fetchall()  # fetch all: DuckDB 2 refuses work beside an open result
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with transaction(self.con.execute):
            yield self.con


def close_open_stores() -> None:
    """Close what an error left open (its traceback held the connection): DuckDB objects still alive when the
    interpreter exits make nanobind print "leaked ..." lines on stderr."""
    for store in list(_OPEN):
        with contextlib.suppress(Exception):
            store.close()


_HOMES: set[Path] = set()  # data homes this process stages into: interrupted even between two openings


def watch_home(home: Path) -> None:
    _HOMES.add(home)


def interrupt_open_stores() -> None:
    """From the interrupt thread (onboard.signals), just before the process ends: every batch this process was running becomes
    ``interrupted`` (DESIGN §5; the snapshot's batch list says so too) and every lock is released.

    It runs on a cursor of its own: the interrupted code may sit inside a transaction of the main
    connection, which must not commit half its work. One writer holds a data home, so every ``running``
    batch there is ours (or was left so by a killed run, which is interrupted as well)."""
    done: set[Path] = set()
    for store in list(_OPEN):
        done.add(store.home)
        try:
            cur = store.cursor()
            try:
                cur.execute("UPDATE batches SET status = 'interrupted', updated_at = ? WHERE status = 'running'",
                            [datetime.now(UTC)])
                _rewrite_batch_list(Store(store.home, cur, None))
            finally:
                cur.close()
        except Exception:  # noqa: S110 - best effort: a resume works from `running` as well
            pass
        finally:
            # the main connection is left as it is (another thread may be inside it; the process ends next)
            _OPEN.discard(store)
            if store._lock is not None:
                store._lock.release()
    for home in list(_HOMES):
        _HOMES.discard(home)
        if home in done:
            continue
        # between staging and the flow (Prefect's server starting) no store is open: open one for the update
        try:
            other = Store.open(home, command="onboard (interrupted)")
        except Exception:  # noqa: S112 - held by someone else now, or unusable: nothing of ours to mark
            continue
        _OPEN.add(other)
        interrupt_open_stores()


def _rewrite_batch_list(store: Store) -> None:
    from staging.snapshot import batch_summaries

    folder = store.home / "snapshot"
    if folder.is_dir():
        tmp = folder / "batches.json.tmp"
        tmp.write_text(json.dumps(batch_summaries(store), indent=1), encoding="utf-8")
        os.replace(tmp, folder / "batches.json")
