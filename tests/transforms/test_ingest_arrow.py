"""The Arrow path of ingest (transforms.cells_text) gives exactly what the pandas path gave."""

from __future__ import annotations

import zipfile
from pathlib import Path

import fastexcel
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.samples.generate import SAMPLE
from transforms.cells_text import filled, may_need_strip, strip_text, text_frame, text_of

CASES = Path(__file__).resolve().parents[1] / "cases"
BOOKS = [*sorted(p for p in CASES.glob("*.xlsx") if zipfile.is_zipfile(p)), SAMPLE]  # not_a_workbook.xlsx is not one


def test_blank_is_what_strip_leaves_empty_for_every_code_point() -> None:
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000]
    s = pd.Series(chars, dtype="str")
    assert filled(s).tolist() == s.str.strip().ne("").tolist()
    assert not filled(pd.Series(["", " ", "\t\u3000 "], dtype="str")).any()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from([" ", "\t", "\n", "\xa0", "\u2028", "\u3000", "a", "é", "'", "\x00",
                                                  "\u200b", "\ufeff"]), max_size=6), max_size=30))
def test_filled_is_strip_ne_blank(values: list[str]) -> None:
    s = pd.Series(values, dtype="str")
    assert filled(s).tolist() == s.str.strip().ne("").tolist()
    obj = pd.Series(values, dtype=object)  # not Arrow: pandas' own strip
    assert filled(obj).tolist() == [v.strip() != "" for v in values]


@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_text_of_arrow_is_text_of_pandas(path: Path) -> None:
    reader = fastexcel.read_excel(path)
    for name in reader.sheet_names:
        sheet = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")
        got, want = text_of(sheet.to_arrow()), text_frame(sheet.to_pandas())
        assert got.shape == want.shape
        if want.shape[1]:
            pd.testing.assert_frame_equal(got, want)


def test_text_of_fills_nulls_and_keeps_text() -> None:
    table = pa.table({"a": pa.array(["x", None, " 0123"]), "b": pa.array([None, None, "=1+1"])})
    got = text_of(table)
    assert got.columns.tolist() == [0, 1]
    assert got[0].tolist() == ["x", "", " 0123"] and got[1].tolist() == ["", "", "=1+1"]
    assert text_of(pa.table({})).shape == (0, 0)


def test_every_character_strip_removes_is_seen_at_either_end() -> None:
    chars = [chr(i) for i in range(0x110000) if not 0xD800 <= i < 0xE000]
    stripped = pc.utf8_trim_whitespace(pa.array(chars)).to_pylist()
    spaces = [c for c, s in zip(chars, stripped, strict=True) if s != c]
    assert len(spaces) >= 25  # Arrow's Unicode whitespace (else this checks nothing)
    for c in spaces:
        for v in (c, c + "x", "x" + c, "ab" + c, c + "\u00e9"):
            assert may_need_strip(pa.chunked_array([pa.array([v])])), repr(v)
            assert may_need_strip(pa.chunked_array([pa.array(["a", v, "b"], type=pa.large_string())]))


def test_may_need_strip_reads_slices_and_chunks_by_their_own_bounds() -> None:
    assert not may_need_strip(pa.chunked_array([pa.array(["abc", "x y", ""])]))
    assert not may_need_strip(pa.chunked_array([pa.array(["abc", "x", "  "]).slice(0, 2)]))
    assert not may_need_strip(pa.chunked_array([pa.array([" abc", "x", "y"]).slice(1, 2)]))
    assert may_need_strip(pa.chunked_array([pa.array(["abc"]), pa.array(["x "])]))
    assert may_need_strip(pa.chunked_array([pa.array(["abc", None])]))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from([" ", "\t", "\xa0", "\u2028", "\u3000", "\u1680", "\x85", "a", "é",
                                                  "\u20ac", "\u00c2", "\u0101", "\x00"]), max_size=5), max_size=20))
def test_strip_text_is_str_strip(values: list[str]) -> None:
    s = pd.Series(values, dtype="str")
    pd.testing.assert_series_equal(strip_text(s), s.str.strip())
    assert strip_text(pd.Series(values, dtype=object)).tolist() == [v.strip() for v in values]


CELL = st.sampled_from(["", " ", "\t", "\u3000", "a", "x y", "'"])


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4).flatmap(lambda cols: st.lists(st.lists(CELL, min_size=cols, max_size=cols), max_size=25)))
def test_nonblank_rows_are_any_filled_cell(rows: list[list[str]]) -> None:
    """A row is kept when any of its cells is filled, found column by column over the rows still open."""
    from transforms.ingest import _nonblank_rows

    grid = pd.DataFrame(rows, dtype="str") if rows else pd.DataFrame({0: pd.Series([], dtype="str")})
    assert _nonblank_rows(grid).tolist() == [any(c.strip() for c in r) for r in rows]


def test_a_filled_first_column_is_the_only_one_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    import transforms.ingest as ingest

    seen: list[int] = []
    real = ingest.filled_cells

    def counted(col: pd.Series) -> object:
        seen.append(len(col))
        return real(col)

    monkeypatch.setattr(ingest, "filled_cells", counted)
    grid = pd.DataFrame({0: ["a"] * 10, 1: [""] * 10, 2: ["b"] * 10}, dtype="str")
    assert ingest._nonblank_rows(grid).all() and seen == [10]
    seen.clear()
    grid.loc[7, 0] = " "  # one row open after the first column: only that row of the next ones
    assert ingest._nonblank_rows(grid).all() and seen == [10, 1, 1]
