"""Issue 18 (a): a migration's batch is begun, and its customers rows staged as valid, in the warm-up thread
as soon as the Customers sheet is normalized (while Packages is still read); after the validation only the
rows of the customers its outcome concerns are written again. Whatever the book, the tables are the very
ones the plain path (batch begun after the validation) writes, and a read that fails leaves nothing."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from core.settings import Settings
from data.samples.generate import write_big_book
from pipeline import batch as pipeline
from pipeline import migrate as M
from pipeline import stage
from transforms.ingest import InputError

CASES = Path(__file__).resolve().parents[1] / "cases"
TABLES = ("customers", "package_lines", "locations", "did_requests", "findings")


def _tables(ctx: pipeline.Context, bid: str) -> dict[str, list[tuple[object, ...]]]:
    out = {t: ctx.store.con.execute(f"SELECT * EXCLUDE (batch_id) FROM {t} WHERE batch_id = ? ORDER BY ALL",
                                    [bid]).fetchall()
           for t in TABLES}
    out["batches"] = ctx.store.con.execute(
        "SELECT batch_id, partner_id, mode, sources, status, options, total, valid, held, skipped FROM batches "
        "ORDER BY ALL").fetchall()
    return out


class _Spy:
    """Which thread staged the customers rows, and what ``_begin_ahead`` gave."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.begun: list[object] = []
        self.staged_in: list[str] = []
        self.restaged: list[int] = []
        begin, stage_rows, restage = stage._begin_ahead, stage.stage_customers, stage.restage_customers

        def spy_begin(*args: Any, **kwargs: Any) -> Any:
            got = begin(*args, **kwargs)
            self.begun.append(got)
            return got

        def spy_stage(*args: Any, **kwargs: Any) -> None:
            self.staged_in.append(threading.current_thread().name)
            stage_rows(*args, **kwargs)

        def spy_restage(*args: Any, **kwargs: Any) -> int:
            n = restage(*args, **kwargs)
            self.restaged.append(n)
            return n

        monkeypatch.setattr(stage, "_begin_ahead", spy_begin)
        monkeypatch.setattr(stage, "stage_customers", spy_stage)
        monkeypatch.setattr(stage, "restage_customers", spy_restage)


def _plain(monkeypatch: pytest.MonkeyPatch) -> None:
    """The path of before: nothing begun during the read."""
    monkeypatch.setattr(stage, "_begin_ahead", lambda *args, **kwargs: None)


def _stage_all(home: Path, books: list[Path]) -> dict[str, list[tuple[object, ...]]]:
    out: dict[str, list[tuple[object, ...]]] = {}
    with pipeline.open_context(Settings(home=home)) as ctx:
        for i, book in enumerate(books):
            # the case workbooks name a partner the test home does not configure
            prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01", partner="default"))
            out |= {f"{i}:{k}": v for k, v in _tables(ctx, prepared.batch_id).items()}
    return out


def _book_with_held(folder: Path) -> Path:
    book = write_big_book(folder / "held.xlsx", 12, 3)
    wb = openpyxl.load_workbook(book)
    ws = wb["Packages"]
    header = [c.value for c in ws[1]]
    ws.cell(row=5, column=header.index("Package") + 1, value="No Such Package")  # UNKNOWN_PACKAGE: held
    ws = wb["Customers"]
    ws.cell(row=4, column=1, value=ws.cell(row=3, column=1).value)  # DUPLICATE_ACCOUNT: both rows held
    wb.save(book)
    return book


@pytest.mark.parametrize("case", ["clean", "code_DUPLICATE_ACCOUNT", "code_NO_PACKAGES", "code_REQUIRED_MISSING",
                                  "blank_rows", "code_E911_MISSING", "held"])
def test_customers_staged_during_the_read_are_those_of_the_plain_path(
        case: str, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = _book_with_held(isolated_home.parent) if case == "held" else CASES / f"{case}.xlsx"
    spy = _Spy(monkeypatch)
    ahead = _stage_all(isolated_home / "ahead", [book])
    assert len(spy.begun) == 1 and isinstance(spy.begun[0], stage._Begun)  # the path under test was taken
    assert spy.staged_in and all(t.startswith("warm-up") for t in spy.staged_in)
    _plain(monkeypatch)
    plain = _stage_all(isolated_home / "plain", [book])
    assert ahead == plain
    statuses = {row[4] for row in ahead["0:customers"]}  # customers: (partner, key, account, row, status, ...)
    if case in ("code_DUPLICATE_ACCOUNT", "code_NO_PACKAGES", "code_REQUIRED_MISSING", "held"):
        assert "held" in statuses and spy.restaged and spy.restaged[0] > 0


def test_customers_known_from_an_earlier_batch_are_restaged(isolated_home: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The second book repeats customers of the first: their fingerprints (every customer's) and skips
    concern every row, all written again after the validation."""
    first = write_big_book(isolated_home.parent / "first.xlsx", 6, 2)
    second = isolated_home.parent / "second.xlsx"
    shutil.copy(first, second)
    wb = openpyxl.load_workbook(second)
    ws = wb["Packages"]
    header = [c.value for c in ws[1]]
    ws.cell(row=2, column=header.index("Quantity") + 1, value="7")  # one customer's order changed
    wb.save(second)
    spy = _Spy(monkeypatch)
    ahead = _stage_all(isolated_home / "ahead", [first, second])
    assert [isinstance(b, stage._Begun) for b in spy.begun] == [True, True]
    assert spy.restaged[-1] == 6
    _plain(monkeypatch)
    assert ahead == _stage_all(isolated_home / "plain", [first, second])
    assert {row[4] for row in ahead["1:customers"]} != {"valid"}


def test_a_customers_frame_normalized_again_is_staged_anew(isolated_home: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows staged from another frame than the one validated (normalize ran again) are replaced, not patched."""
    book = _book_with_held(isolated_home.parent)
    begin = stage._begin_ahead
    monkeypatch.setattr(stage, "_begin_ahead", lambda store, setup, customers, *rest: begin(
        store, setup, customers.copy(), *rest))
    ahead = _stage_all(isolated_home / "ahead", [book])
    _plain(monkeypatch)
    assert ahead == _stage_all(isolated_home / "plain", [book])


def test_a_read_that_fails_after_the_batch_was_begun_leaves_nothing(isolated_home: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bad = write_big_book(isolated_home.parent / "bad.xlsx", 5, 2)
    wb = openpyxl.load_workbook(bad)
    ws = wb["Locations"]
    ws.cell(row=1, column=ws.max_column + 1, value=ws.cell(row=1, column=2).value)  # a column named twice
    wb.save(bad)
    spy = _Spy(monkeypatch)
    good = write_big_book(isolated_home.parent / "good.xlsx", 5, 2)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        with pytest.raises(InputError, match="appears twice"):
            M.stage_book(ctx, bad, M.MigrateOptions(cutover="2030-02-01"))
        assert isinstance(spy.begun[0], stage._Begun)  # begun during the read, rolled back after it
        for table in ("batches", *TABLES):
            assert ctx.store.con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table
        prepared = M.stage_book(ctx, good, M.MigrateOptions(cutover="2030-02-01"))  # the store is usable
        assert prepared.totals["valid"] == 5 and not prepared.resumed
        assert ctx.store.con.execute("SELECT count(*) FROM batches").fetchall() == [(1,)]


def test_a_database_error_while_begun_ahead_is_raised_and_leaves_nothing(
        isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = write_big_book(isolated_home.parent / "book.xlsx", 5, 2)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stage, "stage_customers", broken)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        with pytest.raises(OSError, match="No space left"):
            M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
        for table in ("batches", *TABLES):
            assert ctx.store.con.execute(f"SELECT count(*) FROM {table}").fetchall() == [(0,)], table
