"""Issue 18 (a): staging loads every row beside the validation and takes out the rows of customers that are
not valid before it commits; the plan inputs (Arrow IPC files, or the Parquet of an older work folder) give
each chunk exactly its customers' rows."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.settings import Settings
from data.catalog import load_catalog
from data.samples.generate import write_big_book
from pipeline import batch as pipeline
from pipeline import migrate as M
from pipeline import stage
from pipeline.plan_inputs import PLAN_SHEETS, chunk_frames
from transforms import distinct as D
from transforms.ingest import InputError, read_order
from transforms.normalize import normalize
from transforms.partner import choose_partner


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


def test_rows_that_name_no_customer_are_not_staged(isolated_home: Path) -> None:
    """Unknown and blank names on Packages and Locations, and a held customer: only valid customers' rows
    stay (what is taken out is found by the rows' customer codes, transforms.customer_codes)."""
    book, held_name = _book_with_held(isolated_home.parent)
    wb = openpyxl.load_workbook(book)
    for name in ("Packages", "Locations"):
        ws = wb[name]
        header = [c.value for c in ws[1]]
        for who in ("Nobody Inc", None):
            values = [c.value for c in ws[2]]
            values[header.index("Account Name")] = who
            ws.append(values)
    wb.save(book)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
        con = ctx.store.con
        valid = {k for (k,) in con.execute("SELECT account_key FROM customers WHERE batch_id = ? AND status = 'valid'",
                                           [prepared.batch_id]).fetchall()}
        held = {a for (a,) in con.execute("SELECT account FROM customers WHERE batch_id = ? AND status = 'held'",
                                          [prepared.batch_id]).fetchall()}
        staged = {t: {k for (k,) in con.execute(f"SELECT DISTINCT account_key FROM {t} WHERE batch_id = ?",
                                                [prepared.batch_id]).fetchall()}
                  for t in ("package_lines", "locations")}
    assert len(valid) == 11 and held == {held_name}
    assert staged == {"package_lines": valid, "locations": valid}


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


def _tables(ctx: pipeline.Context, bid: str) -> dict[str, list[tuple[object, ...]]]:
    return {t: ctx.store.con.execute(f"SELECT * EXCLUDE (batch_id) FROM {t} WHERE batch_id = ? ORDER BY ALL",
                                     [bid]).fetchall()
            for t in ("customers", "package_lines", "locations", "did_requests", "findings")}


def test_the_batch_is_looked_up_in_a_side_thread_while_the_workbook_is_read(
        isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book, _ = _book_with_held(isolated_home.parent)
    threads: list[str] = []
    real = stage._set_up

    def spy(*args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(stage, "_set_up", spy)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        first = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
        again = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))  # the same file: the same batch
        assert again.batch_id == first.batch_id and again.resumed and not first.resumed
        assert first.totals["held"] == 1 and first.totals["valid"] == 11
    assert len(threads) == 2 and all(t.startswith("warm-up") for t in threads)


def test_a_partner_refused_during_the_read_is_refused_after_it(isolated_home: Path) -> None:
    book = write_big_book(isolated_home.parent / "book.xlsx", 4, 2)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        with pytest.raises(InputError) as plain:
            choose_partner(None, "no-such-partner", ctx.settings.partners_file)
        with pytest.raises(InputError) as staged:
            stage.prepare(ctx.store, book, stage.RunOptions(partner="no-such-partner", migration=True),
                          ctx.settings.partners_file, ctx.vault)
        assert str(staged.value) == str(plain.value)
        assert ctx.store.con.execute("SELECT count(*) FROM batches").fetchall() == [(0,)]


def test_plan_inputs_that_cannot_be_written_leave_no_batch(isolated_home: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The plan inputs are written while the customers rows are staged, and are done before the commit."""
    book = write_big_book(isolated_home.parent / "book.xlsx", 6, 2)

    def full(*args: Any, **kwargs: Any) -> None:
        time.sleep(0.3)  # still writing when the customers rows are staged
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stage, "save_plan_inputs", full)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        with pytest.raises(OSError, match="No space left"):
            M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
        for table in ("batches", "customers", "package_lines"):
            assert ctx.store.con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table


def test_encoded_columns_stage_the_same_rows_and_plan_inputs(isolated_home: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1M-line book's account keys are looked up by their distinct values (transforms.distinct): staged
    with every column encoded, a book gives the very rows and plan inputs it gives without."""
    book, _ = _book_with_held(isolated_home.parent)
    got: list[tuple[dict[str, list[tuple[object, ...]]], dict[str, Any]]] = []
    for rows in (10**9, 1):
        monkeypatch.setattr(D, "ENCODE_ROWS", rows)
        home = isolated_home / f"encode-{rows}"
        with pipeline.open_context(Settings(home=home)) as ctx:
            prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
            keys = [k for (k,) in ctx.store.con.execute(
                "SELECT account_key FROM customers WHERE batch_id = ? AND status = 'valid' ORDER BY row",
                [prepared.batch_id]).fetchall()]
            folder = M.work_dir(ctx.home, prepared.batch_id)
            with pa.memory_map(str(folder / "Packages.arrow")) as source:
                schema = pa.ipc.open_file(source).schema
            encoded = {f.name for f in schema if pa.types.is_dictionary(f.type)}
            # the columns staging knows encoded are written as dictionaries, and read back as text
            assert encoded == ({"account_name", "_account_key", "order_type", "package"} if rows == 1 else set())
            got.append((_tables(ctx, prepared.batch_id), chunk_frames(folder, keys)))
    (plain_rows, plain_frames), (encoded_rows, encoded_frames) = got
    assert plain_rows["package_lines"] and plain_rows == encoded_rows
    assert list(plain_frames) == list(encoded_frames)
    for sheet, frame in plain_frames.items():
        assert frame.equals(encoded_frames[sheet]), sheet
