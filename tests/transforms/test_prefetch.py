"""transforms.prefetch: a read started before pandas is imported gives what the ordinary read gives, never
reaches the reader before the guard passed the file with the same limits, and says what it would say."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.limits import Limits
from tests.cases.hostile import build as B
from transforms.ingest import InputError, RawOrder, read_order
from transforms.prefetch import start_read

CASES_DIR = Path(__file__).resolve().parents[1] / "cases"
CASES = [*sorted(CASES_DIR.glob("*.xlsx")), CASES_DIR / "clean_csv"]


def _read(path: Path, early: bool, limits: Limits | None = None) -> RawOrder | str:
    used = limits or Limits.from_env()
    try:
        return read_order(path, used, early=start_read(path, used) if early else None)
    except InputError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_the_same_frames_or_the_same_error(path: Path) -> None:
    plain, early = _read(path, False), _read(path, True)
    if isinstance(plain, str) or isinstance(early, str):
        assert plain == early
        return
    assert list(plain.sheets) == list(early.sheets)
    for name, frame in plain.sheets.items():
        pd.testing.assert_frame_equal(frame, early.sheets[name])
    assert plain.unknown_sheets == early.unknown_sheets and plain.header_findings == early.header_findings


def _count_loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sheets fastexcel is asked to load from now on, in order."""
    import fastexcel

    loaded: list[str] = []
    real = fastexcel.ExcelReader.load_sheet

    def counting(self, name, *a, **k):  # type: ignore[no-untyped-def]
        loaded.append(name)
        return real(self, name, *a, **k)

    monkeypatch.setattr(fastexcel.ExcelReader, "load_sheet", counting)
    return loaded


def test_the_early_read_is_the_one_used(cases: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    early = start_read(cases / "clean.xlsx", Limits.from_env())
    opened = early.opened()
    assert opened is not None and opened.names
    opened.table.result()
    loaded = _count_loads(monkeypatch)
    read_order(cases / "clean.xlsx", Limits.from_env(), early=early)
    assert opened.names[0] not in loaded and len(loaded) == len(opened.names) - 1  # not read twice


@pytest.mark.parametrize(("make", "words"), [(B.far_cell, "dimension declares"), (B.lying_dimension, "cells reach"),
                                             (B.shared_strings_bomb, "shared strings")])
def test_a_hostile_file_is_refused_before_any_read(tmp_path: Path, make, words: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    early = start_read(path, Limits.from_env())
    with pytest.raises(InputError, match=words):
        early.opened()
    with pytest.raises(InputError, match=words):
        read_order(path, Limits.from_env(), early=early)


def test_other_limits_are_not_served(cases: Path) -> None:
    """An early read guarded with other limits is not used: the ordinary path guards with the given ones."""
    early = start_read(cases / "clean.xlsx", Limits())
    assert early.opened() is not None
    with pytest.raises(InputError, match="ONBOARD_MAX_CELLS=10"):
        read_order(cases / "clean.xlsx", Limits(max_cells=10), early=early)
    assert not early.serves(cases / "aliases.xlsx", Limits())


def test_importing_it_does_not_import_pandas() -> None:
    code = "import sys, transforms.prefetch; sys.exit(1 if 'pandas' in sys.modules else 0)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()


def test_a_hostile_smaller_sheet_is_refused_while_the_biggest_is_read(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The biggest sheet's part is checked and its read started; a smaller sheet with a far cell is refused
    before anything reads it, with the guard's own message."""
    from openpyxl import Workbook

    wb = Workbook()
    pk = wb.active
    assert pk is not None
    pk.title = "Packages"
    pk.append(["Account Name", "Order Type", "Package", "Quantity"])
    for i in range(3000):
        pk.append([f"Customer {i}", "Hosted Voice", "Seat", "1"])
    cust = wb.create_sheet("Customers")
    cust.append(["Account Name", "City"])
    cust["XFD1048576"] = "x"
    path = tmp_path / "far_small_sheet.xlsx"
    wb.save(path)
    loaded = _count_loads(monkeypatch)
    early = start_read(path, Limits.from_env())
    with pytest.raises(InputError, match=r"dimension declares|cells reach"):
        read_order(path, Limits.from_env(), early=early)
    assert "Customers" not in loaded


def test_a_zip_that_does_not_open_is_still_guarded_whole(tmp_path: Path) -> None:
    """When the workbook does not open on the early thread (here: no xl/workbook.xml), it stops short of the
    part checks; ``read_order`` then runs the whole guard itself before anything else reads the file."""
    import zipfile

    path = tmp_path / "no_workbook_part.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/worksheets/sheet1.xml", '<worksheet><dimension ref="A1:XFD1048576"/><sheetData/></worksheet>')
    early = start_read(path, Limits.from_env())
    assert early.opened() is None and not early.guarded
    with pytest.raises(InputError, match="refused before reading"):
        read_order(path, Limits.from_env(), early=early)
