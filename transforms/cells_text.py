"""A sheet's cells as text (split from ``transforms.ingest``): positional columns, every value a str, blank
= ''; which cells hold more than whitespace; Excel's text marker; column letters."""

from __future__ import annotations

from typing import Any

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


# UTF-8 bytes that can begin / end a character Arrow's ``utf8_trim_whitespace`` strips (and pandas'
# ``str.strip`` on Arrow text is that kernel): ASCII \t-\r, \x1c-\x20; U+0085 and U+00A0 (C2 85, C2 A0);
# U+1680 (E1 9A 80); U+2000-U+200A, U+2028, U+2029, U+202F, U+205F (E2 ..); U+3000 (E3 80 80).
# tests/transforms/test_ingest_arrow.py checks every code point against the kernel.
_LEAD = np.zeros(256, dtype=bool)
_LEAD[[*range(0x09, 0x0E), *range(0x1C, 0x21), 0xC2, 0xE1, 0xE2, 0xE3]] = True
_TRAIL = np.zeros(256, dtype=bool)
_TRAIL[[*range(0x09, 0x0E), *range(0x1C, 0x21), *range(0x80, 0x8B), 0x9F, 0xA0, 0xA8, 0xA9, 0xAF]] = True


def may_need_strip(values: pa.ChunkedArray) -> bool:
    """False only when no value can start or end with whitespace: the first and last byte of each value,
    read straight from the Arrow buffers (two gathers), instead of a stripped copy of every value."""
    for chunk in values.chunks:
        large = pa.types.is_large_string(chunk.type)
        if chunk.null_count or not (large or pa.types.is_string(chunk.type)):
            return True
        _, offsets, data = chunk.buffers()
        if data is None or len(chunk) == 0:
            continue
        width = np.int64 if large else np.int32
        at: np.ndarray[Any, np.dtype[np.int64]] = np.frombuffer(offsets, dtype=width).astype(np.int64, copy=False)
        at = at[chunk.offset:chunk.offset + len(chunk) + 1]
        raw = np.frombuffer(data, dtype=np.uint8)
        start, end = at[:-1], at[1:]
        some = end > start
        if bool(_LEAD[raw[start[some]]].any()) or bool(_TRAIL[raw[end[some] - 1]].any()):
            return True
    return False


def strip_text(col: pd.Series) -> pd.Series:
    """``col.astype("str").str.strip()``; the column itself when no value has whitespace to strip."""
    text = col.astype("str")
    if isinstance(text.array, pd.arrays.ArrowStringArray) and not may_need_strip(
            pa.chunked_array(text.array.__arrow_array__())):
        return text
    return text.str.strip()
