"""How the writer opens the database file: attached with 65,536-row groups (so that a 100k-row load goes
straight to the file instead of through the WAL), the same tables for every connection, nothing left in a
WAL after a clean close, and a file written with DuckDB's default row groups still read and appended to."""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pandas as pd

from staging.store import DB_NAME, ROW_GROUP_SIZE, Store


def _rows(n: int, batch: str) -> pd.DataFrame:
    return pd.DataFrame({"batch_id": batch, "account_key": [f"customer {i:06d}" for i in range(n)],
                         "row": range(2, n + 2), "package": "Seat"})


def test_a_big_load_is_written_in_the_stores_row_groups(isolated_home: Path) -> None:
    n = ROW_GROUP_SIZE + 34_464  # 100,000: below DuckDB's default row group, above ours
    with Store.open(isolated_home) as store, store.transaction():
        store.insert("package_lines", _rows(n, "b1"))
    with duckdb.connect(str(isolated_home / DB_NAME), read_only=True) as con:
        groups = con.execute("SELECT row_group_id, max(count) FROM pragma_storage_info('package_lines') "
                             "WHERE column_name = 'account_key' GROUP BY 1 ORDER BY 1").fetchall()
        assert con.execute("SELECT count(*) FROM package_lines").fetchone() == (n,)
    assert [c for _, c in groups] == [ROW_GROUP_SIZE, n - ROW_GROUP_SIZE]
    assert not (isolated_home / (DB_NAME + ".wal")).exists()  # a clean close leaves no WAL behind


def test_every_connection_of_the_store_sees_its_tables(isolated_home: Path) -> None:
    with Store.open(isolated_home) as store:
        store.insert("package_lines", _rows(3, "b1"))
        seen: list[object] = []

        def other_thread() -> None:
            cur = store.cursor()
            try:
                seen.append(cur.execute("SELECT count(*) FROM package_lines").fetchone())
            finally:
                cur.close()

        t = threading.Thread(target=other_thread)
        t.start()
        t.join()
    assert seen == [(3,)]


def test_a_file_written_with_default_row_groups_is_read_and_appended_to(isolated_home: Path) -> None:
    isolated_home.mkdir(parents=True, exist_ok=True)
    with Store.open(isolated_home) as store:  # the tables, then a file as an earlier version wrote it
        pass
    with duckdb.connect(str(isolated_home / DB_NAME)) as con:
        con.register("old", _rows(130_000, "old"))
        con.execute("INSERT INTO package_lines (batch_id, account_key, row, package) SELECT * FROM old")
    with Store.open(isolated_home) as store, store.transaction():
        store.insert("package_lines", _rows(10, "new"))
    with Store.open(isolated_home) as store:
        counts = dict(store.con.execute("SELECT batch_id, count(*) FROM package_lines GROUP BY 1").fetchall())
    assert counts == {"old": 130_000, "new": 10}
