"""The staging store: opens ``onboard.duckdb`` under the data home for the one writer process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from staging.lock import RunLock
from staging.schema import DDL, SCHEMA_VERSION

DB_NAME = "onboard.duckdb"


class Store:
    """A DuckDB connection plus the writer lock. Frames go in through Arrow, never executemany."""

    def __init__(self, home: Path, con: duckdb.DuckDBPyConnection, lock: RunLock | None) -> None:
        self.home = home
        self.con = con
        self._lock = lock

    @classmethod
    def open(cls, home: Path, *, command: str = "") -> Store:
        """Take the writer lock, then open (and migrate) the database. Raises LockedError."""
        lock = RunLock(home).acquire(command)
        try:
            con = duckdb.connect(str(home / DB_NAME))
            con.execute(DDL)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        except BaseException:
            lock.release()
            raise
        return cls(home, con, lock)

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            if self._lock is not None:
                self._lock.release()

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
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")
