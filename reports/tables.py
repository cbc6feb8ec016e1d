"""Write a DataFrame as a report table in a write-only workbook: typed cells, guard, widths, filter.

Cell kinds are chosen per column (``kinds`` overrides the inference):

* ``password``: masked (any column whose name contains "password");
* ``text``: generated values as quote-prefixed text: names like ``*_id``, ``*number*``, ``did``,
  ``npa``, ``nxx``, ``zip``, ``btn``, ``phone``, ``batch``;
* ``int`` / ``number`` / ``money`` (``#,##0.00``: names with mrc, nrc, amount, price, charge, total):
  numeric dtypes;
* ``date`` / ``datetime``: datetime dtypes, or object columns holding date objects;
* ``bool``: written as yes/no text;
* ``user``: everything else, through the formula guard.

A sheet never passes Excel's row limit: the rest goes on continuation sheets "Title (2)", "Title (3)"...
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import partial
from typing import Any, Literal

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reports.clock import stamp, to_local, zoned_label
from reports.excel_safe import MAX_ROWS, generated_text, guard, is_blank, mask_password, set_text, user_text

Kind = Literal["user", "text", "password", "int", "number", "money", "date", "datetime", "bool"]

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="305496")
WRAP = Alignment(wrap_text=True, vertical="top")

_TEXT_NAME = re.compile(
    r"(^|_)(id|ids|number|numbers|did|dids|npa|nxx|zip|btn|phone|tn|batch|dn|external_id)($|_)|_id$|^id_"
)
_MONEY_NAME = re.compile(r"mrc|nrc|amount|price|charge|total_due|invoice_total|usd")
_ACRONYMS = {"id": "ID", "ids": "IDs", "did": "DID", "dids": "DIDs", "mrc": "MRC", "nrc": "NRC", "npa": "NPA",
             "nxx": "NXX", "btn": "BTN", "bw": "BW", "e911": "E911", "lnp": "LNP", "url": "URL", "tz": "TZ"}
_BAD_TITLE = re.compile(r"[\[\]:*?/\\]")
_SAMPLE = 2000


def pretty(name: str) -> str:
    """'enterprise_id' -> 'Enterprise ID'; names that already look like labels are kept."""
    if "_" not in name and not name.islower():
        return name
    return " ".join(_ACRONYMS.get(w, w.capitalize()) for w in name.split("_") if w)


def sheet_title(base: str, part: int = 1) -> str:
    """A legal sheet title (31 chars, no []:*?/\\); part 2.. gets a ' (n)' suffix."""
    title = _BAD_TITLE.sub("_", base).strip("'") or "Sheet"
    if part == 1:
        return title[:31]
    suffix = f" ({part})"
    return title[: 31 - len(suffix)] + suffix


def infer_kind(name: str, series: pd.Series) -> Kind:
    low = name.casefold().replace(" ", "_")
    if "password" in low:
        return "password"
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "money" if _MONEY_NAME.search(low) else "int"
    if pd.api.types.is_float_dtype(series):
        return "money" if _MONEY_NAME.search(low) else "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "datetime"
    if _TEXT_NAME.search(low):
        return "text"
    sample = series.dropna()
    first = sample.iloc[0] if len(sample) else None
    if isinstance(first, dt.datetime | pd.Timestamp):
        return "datetime"
    if isinstance(first, dt.date):
        return "date"
    return "user"


def _number(value: object) -> float | int | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    try:
        return float(str(value))
    except ValueError:
        return None


def _when(value: object) -> dt.date | dt.datetime | None:
    if is_blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return to_local(value)  # aware instants in ONBOARD_TIMEZONE (the header names it)
    if isinstance(value, dt.date):
        return value
    return None


def make_cell(ws: Any, kind: Kind, value: object) -> Cell:
    """One write-only cell of ``kind``; anything that does not fit its kind falls back to guarded text."""
    cell = WriteOnlyCell(ws)
    if kind == "user":
        return user_text(cell, value)
    if kind == "text":
        return generated_text(cell, value)
    if kind == "password":
        return set_text(cell, mask_password(value))
    if kind == "bool":
        return set_text(cell, None if is_blank(value) else ("yes" if bool(value) else "no"))
    if kind in ("int", "number", "money"):
        num = _number(value)
        if num is None and not is_blank(value):
            return user_text(cell, value)
        cell.value = num
        cell.number_format = {"int": "0", "number": "General", "money": "#,##0.00"}[kind]
        return cell
    when = _when(value)
    if when is None and not is_blank(value):
        return user_text(cell, value)
    cell.value = when
    cell.number_format = "yyyy-mm-dd hh:mm" if kind == "datetime" else "yyyy-mm-dd"
    return cell


def header_cells(ws: Any, headers: Sequence[str]) -> list[Cell]:
    cells = []
    for h in headers:
        c = user_text(WriteOnlyCell(ws), h)
        c.font = HEADER_FONT
        c.fill = HEADER_FILL
        cells.append(c)
    return cells


def _width(header: str, values: Iterable[object]) -> float:
    longest = len(header)
    for v in values:
        if not is_blank(v):
            longest = max(longest, max(len(line) for line in str(v).splitlines() or [""]))
    return float(min(max(longest + 2, 8), 60))


def write_frame(
    wb: Workbook,
    title: str,
    df: pd.DataFrame,
    *,
    kinds: Mapping[str, Kind] | None = None,
    headers: Mapping[str, str] | None = None,
) -> list[Any]:
    """Write ``df`` as sheet ``title`` (+ continuation sheets) of write-only ``wb``; returns the sheets."""
    names = [str(c) for c in df.columns]
    col_kinds = [(kinds or {}).get(n) or infer_kind(n, df[c]) for n, c in zip(names, df.columns, strict=True)]
    labels = [(headers or {}).get(n, pretty(n)) for n in names]
    labels = [zoned_label(lab) if k == "datetime" and _aware(df[c]) else lab
              for lab, k, c in zip(labels, col_kinds, df.columns, strict=True)]
    head = df.head(_SAMPLE)
    widths = [_width(lab, head[c].tolist()) for lab, c in zip(labels, df.columns, strict=True)]
    return write_rows(wb, title, labels, widths, _typed_rows(df, col_kinds))


def _aware(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return True
    sample = series.dropna()
    return bool(len(sample)) and isinstance(sample.iloc[0], dt.datetime) and sample.iloc[0].tzinfo is not None


def _typed_rows(df: pd.DataFrame, col_kinds: Sequence[Kind]) -> Iterator[Callable[[Any], list[Any]]]:
    for values in df.itertuples(index=False, name=None):
        yield partial(_typed_cells, col_kinds=col_kinds, values=values)


def _typed_cells(ws: Any, col_kinds: Sequence[Kind], values: Sequence[object]) -> list[Any]:
    return [_plain_or_cell(ws, k, v) for k, v in zip(col_kinds, values, strict=True)]


def _plain_or_cell(ws: Any, kind: Kind, value: object) -> Any:
    """A plain value where openpyxl's own typing is already safe (about a third faster on big sheets):
    guarded text never starts with "=", so only Excel's error literals ("#N/A") need a string cell."""
    if kind == "user":
        if is_blank(value):
            return None
        text = guard(value)
        return text if text not in ERROR_CODES else set_text(WriteOnlyCell(ws), text)
    if kind in ("int", "number") and isinstance(value, int | float) and not isinstance(value, bool):
        return None if is_blank(value) else value
    return make_cell(ws, kind, value)


def write_rows(
    wb: Workbook,
    title: str,
    labels: Sequence[str],
    widths: Sequence[float],
    rows: Iterable[Callable[[Any], list[Any]]],
    *,
    header: Callable[[Any], list[Cell]] | None = None,
) -> list[Any]:
    """Stream rows (each a function of the sheet making its cells) under a frozen, filtered header.

    Works on write-only and ordinary workbooks alike. ``header`` makes the header cells (default: the
    ``labels`` styled as a report header).
    """
    sheets: list[Any] = []
    ws: Any = None
    n = MAX_ROWS  # forces the first sheet
    last = get_column_letter(max(len(labels), 1))
    for make in rows:
        if n >= MAX_ROWS:
            if ws is not None:
                ws.auto_filter.ref = f"A1:{last}{n}"
            ws = _new_sheet(wb, title, len(sheets) + 1, labels, widths, header)
            sheets.append(ws)
            n = 1
        cells = make(ws)
        ws.append(cells)
        for c in cells:  # an ordinary sheet places the cell after the link was bound to A1
            if isinstance(c, Cell) and c.hyperlink is not None:
                c.hyperlink.ref = c.coordinate
        n += 1
    if ws is None:
        ws = _new_sheet(wb, title, 1, labels, widths, header)
        sheets.append(ws)
        n = 1
    ws.auto_filter.ref = f"A1:{last}{n}"
    return sheets


def _new_sheet(
    wb: Workbook,
    title: str,
    part: int,
    labels: Sequence[str],
    widths: Sequence[float],
    header: Callable[[Any], list[Cell]] | None,
) -> Any:
    ws = wb.create_sheet(sheet_title(title, part))
    for i, w in enumerate(widths, 1):  # write-only: dimensions before the first row
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"
    fit_to_width(ws)
    ws.append(header(ws) if header else header_cells(ws, labels))
    return ws


def fit_to_width(ws: Any) -> None:
    """Printed or exported to PDF, a sheet is landscape and one page wide (rows run on as needed)."""
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = "1:1"


TITLE_FONT = Font(bold=True, size=14)
_META_FIRST = ("batch_id", "batch", "partner", "date", "generated_at")


def write_meta(ws: Any, title: str, meta: Mapping[str, object]) -> int:
    """A report title then one ``key | value`` row per meta entry (batch, partner, generated at first);
    returns the number of rows written."""
    head = WriteOnlyCell(ws)
    set_text(head, title).font = TITLE_FONT
    ws.append([head])
    keys = sorted(meta, key=lambda k: (_META_FIRST.index(k) if k in _META_FIRST else len(_META_FIRST)))
    for k in keys:
        label = user_text(WriteOnlyCell(ws), pretty(str(k)))
        label.font = Font(bold=True)
        ws.append([label, user_text(WriteOnlyCell(ws), stamp(meta[k]))])  # instants in the named report zone
    ws.append([])
    return len(keys) + 2
