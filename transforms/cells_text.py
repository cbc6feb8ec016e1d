"""A sheet's cells as text (split from ``transforms.ingest``): positional columns, every value a str, blank
= ''; which cells hold more than whitespace; Excel's text marker; column letters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Positional columns 0..n-1, every value a str, blank = ''."""
    frame = frame.copy(deep=False)  # pandas 3 copy-on-write: relabelling must not copy a 1M-row sheet
    frame.columns = pd.RangeIndex(frame.shape[1])
    return frame.astype("str").where(frame.notna(), "") if frame.shape[1] else frame


def text_of(table: pa.Table) -> pd.DataFrame:
    """``text_frame`` of a sheet as fastexcel hands it over in Arrow: each column wrapped as it is (nulls = ''),
    where ``to_pandas`` + ``text_frame`` converted and copied every column of a 1M-line sheet twice."""
    cols = {i: pd.Series(pd.array(pc.fill_null(col, "") if col.null_count else col, dtype="str"), copy=False)
            for i, col in enumerate(table.columns)}
    return pd.DataFrame(cols) if cols else pd.DataFrame()


def filled(col: pd.Series) -> np.ndarray:
    """Per cell, whether it holds more than whitespace: ``col.str.strip().ne("")`` without building the
    stripped strings (Arrow's ``utf8_is_space`` knows the very characters ``utf8_trim_whitespace`` strips;
    tests/transforms/test_ingest_arrow.py checks every code point)."""
    if isinstance(col.array, pd.arrays.ArrowStringArray) and not col.hasnans:
        arr = pa.chunked_array(col.array.__arrow_array__())
        blank = pc.or_(pc.equal(pc.binary_length(arr), 0), pc.utf8_is_space(arr))
        return ~np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(col.str.strip().ne("").to_numpy(), dtype=bool)


def strip_marker(col: pd.Series) -> pd.Series:
    # Excel's text marker: our reports prefix one apostrophe to formula-like text, so drop exactly one.
    # Most columns hold none: one cheap Arrow scan spares a rewrite of every value.
    if isinstance(col.array, pd.arrays.ArrowStringArray) and not bool(col.str.startswith("'").any()):
        return col
    return col.str.removeprefix("'")


def letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
