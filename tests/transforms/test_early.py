"""A read started before pandas is imported (transforms.early) gives what the ordinary read gives."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.limits import Limits
from data.samples.generate import SAMPLE
from transforms.early import start_read
from transforms.ingest import InputError, RawOrder, read_order

CASES = Path(__file__).resolve().parents[1] / "cases"
BOOKS = [*sorted(CASES.glob("*.xlsx")), SAMPLE]
ROOT = Path(__file__).resolve().parents[2]


def _read(path: Path, **kw: object) -> RawOrder | str:
    try:
        return read_order(path, **kw)  # type: ignore[arg-type]
    except InputError as exc:
        return f"{type(exc).__name__}: {exc}"


def _same(a: RawOrder | str, b: RawOrder | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert list(a.sheets) == list(b.sheets)
    for name, frame in a.sheets.items():
        pd.testing.assert_frame_equal(frame, b.sheets[name])
    assert a.findings() == b.findings() and a.header_findings == b.header_findings
    assert (a.headers, a.columns, a.unknown_columns) == (b.headers, b.columns, b.unknown_columns)


@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_an_early_read_is_the_read(path: Path) -> None:
    early = start_read(path)
    assert (early is None) == (path.name == "not_a_workbook.xlsx")  # the others are workbooks the guard passes
    _same(_read(path), _read(path, early=early))


def test_an_early_read_of_another_file_or_limits_is_not_used(tmp_path: Path) -> None:
    early = start_read(CASES / "clean.xlsx")
    assert early is not None
    _same(_read(CASES / "code_NO_PACKAGES.xlsx"), _read(CASES / "code_NO_PACKAGES.xlsx", early=early))
    tight = Limits(max_unzipped_mb=1, max_cells=10)  # the guard runs again with the caller's limits
    assert "refused" in str(_read(CASES / "clean.xlsx", limits=tight, early=early))


@pytest.mark.parametrize("kind", ["folder", "csv", "text", "refused"])
def test_nothing_is_started_where_the_ordinary_read_decides(tmp_path: Path, kind: str) -> None:
    limits = None
    if kind == "folder":
        path = tmp_path
        (tmp_path / "customers.csv").write_text("Account Name\nAcme\n", encoding="utf-8")
    elif kind == "csv":
        path = tmp_path / "customers.csv"
        path.write_text("Account Name\nAcme\n", encoding="utf-8")
    elif kind == "text":
        path = tmp_path / "orders.xlsx"
        path.write_text("not a workbook", encoding="utf-8")
    else:
        path, limits = CASES / "clean.xlsx", Limits(max_unzipped_mb=1, max_cells=10)
    assert start_read(path, limits) is None
    _same(_read(path, limits=limits), _read(path, limits=limits, early=None))


def test_starting_a_read_imports_neither_pandas_nor_the_validators() -> None:
    code = ("import sys; from transforms.early import start_read; e = start_read(sys.argv[1]); "
            "[f.result() for f in e.loads.values()]; "
            "print(sorted(m for m in ('pandas', 'pyarrow', 'pandera', 'validators') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code, str(SAMPLE)], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
