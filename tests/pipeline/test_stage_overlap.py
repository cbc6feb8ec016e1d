"""Issue 18 (a): staging loads every row beside the validation and takes out the rows of customers that are
not valid before it commits; the plan inputs (Arrow IPC files, or the Parquet of an older work folder) give
each chunk exactly its customers' rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

from core.settings import Settings
from data.catalog import load_catalog
from data.samples.generate import write_big_book
from pipeline import batch as pipeline
from pipeline import migrate as M
from pipeline.plan_inputs import PLAN_SHEETS, chunk_frames
from transforms.ingest import read_order
from transforms.normalize import normalize


def _book_with_held(folder: Path) -> tuple[Path, str]:
    book = write_big_book(folder / "book.xlsx", 12, 3)
    wb = openpyxl.load_workbook(book)
    ws = wb["Packages"]
    header = [c.value for c in ws[1]]
    held = str(ws.cell(row=5, column=1).value)
    ws.cell(row=5, column=header.index("Package") + 1, value="No Such Package")  # UNKNOWN_PACKAGE: held
    wb.save(book)
    return book, held


def test_rows_of_held_customers_are_not_staged(isolated_home: Path) -> None:
    book, held_name = _book_with_held(isolated_home.parent)
    order, _ = normalize(read_order(book), load_catalog())
    sheet_rows = order.sheets["Packages"].groupby("_account_key").size().to_dict()
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
        con = ctx.store.con
        status = dict(con.execute("SELECT account, status FROM customers WHERE batch_id = ?",
                                  [prepared.batch_id]).fetchall())
        staged = dict(con.execute("SELECT account_key, count(*) FROM package_lines WHERE batch_id = ? GROUP BY 1",
                                  [prepared.batch_id]).fetchall())
        located = {k for (k,) in con.execute("SELECT DISTINCT account_key FROM locations WHERE batch_id = ?",
                                             [prepared.batch_id]).fetchall()}
        keys = dict(con.execute("SELECT account, account_key FROM customers WHERE batch_id = ?",
                                [prepared.batch_id]).fetchall())
        folder = M.work_dir(ctx.home, prepared.batch_id)
    assert status[held_name] == "held"
    valid = {keys[a] for a, s in status.items() if s == "valid"}
    assert len(valid) == 11
    assert staged == {k: n for k, n in sheet_rows.items() if k in valid}  # every row of every valid customer
    assert keys[held_name] not in located and located <= valid
    # the plan inputs hold the held customer too, but a chunk reads only the customers it asks for
    some = sorted(valid)[2:7]
    frames = chunk_frames(folder, some)
    assert sorted(set(frames["Packages"]["_account_key"])) == some
    for k in some:
        assert (frames["Packages"]["_account_key"] == k).sum() == sheet_rows[k]
    assert "password" not in frames["Customers"].columns


def test_an_older_parquet_work_folder_is_still_read(isolated_home: Path) -> None:
    book = write_big_book(isolated_home.parent / "book.xlsx", 8, 2)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
        folder = M.work_dir(ctx.home, prepared.batch_id)
        keys = [k for (k,) in ctx.store.con.execute(
            "SELECT account_key FROM customers WHERE batch_id = ? ORDER BY row", [prepared.batch_id]).fetchall()]
    want = chunk_frames(folder, keys[3:6])
    for sheet in PLAN_SHEETS:  # the same rows, written as the Parquet files of before
        arrow = folder / f"{sheet}.arrow"
        if arrow.exists():
            with pa.memory_map(str(arrow)) as source:
                pq.write_table(pa.ipc.open_file(source).read_all(), folder / f"{sheet}.parquet", row_group_size=2)
            arrow.unlink()
    got = chunk_frames(folder, keys[3:6])
    assert list(got) == list(want)
    for sheet, frame in want.items():
        assert got[sheet].reset_index(drop=True).equals(frame.reset_index(drop=True)), sheet
