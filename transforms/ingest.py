"""Read an order workbook (.xlsx) or a folder of CSV files into text frames (DESIGN §3).

Every cell is read as text (fastexcel with ``dtypes="string"``: its type guessing would silently turn
late text into NaN), headers are mapped to canonical keys through ``data.sheets``, and every value keeps
its Excel row number in ``_row`` (header = row 1; for CSV the record number with the header as 1).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastexcel
import numpy as np
import pandas as pd
import pyarrow as pa

from data.sheets import CUSTOMERS, Sheet, find_sheet, header_key, is_documentation_sheet
from transforms.cells_text import filled as filled_cells
from transforms.cells_text import letter, strip_marker, text_frame, text_of
from transforms.errors import InputError
from transforms.findings import Finding
from transforms.guard import Limits, inspect_input
from transforms.prefetch import READ_ARGS, EarlyRead, Opened, read_order_of, read_workers, start_read

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


@dataclass(frozen=True)
class UnknownColumn:
    sheet: str  # canonical sheet name
    header: str  # as written
    column_index: int  # 0-based position in the sheet


@dataclass
class RawOrder:
    """What ingest read: text frames by canonical sheet name (canonical keys + ``_row``; blank = "")."""

    sheets: dict[str, pd.DataFrame]
    sources: list[Path]
    sheet_names: dict[str, str] = field(default_factory=dict)  # canonical -> as written (sheet or CSV file name)
    headers: dict[str, list[str]] = field(default_factory=dict)  # canonical -> headers as written, in order
    columns: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical -> {key: header as written}
    unknown_columns: list[UnknownColumn] = field(default_factory=list)
    extras: dict[str, pd.DataFrame] = field(default_factory=dict)  # unknown columns' values (+ _row), kept aside
    unknown_sheets: list[str] = field(default_factory=list)
    header_findings: list[Finding] = field(default_factory=list)  # HEADER_NOT_ON_ROW_1
    # what an ``Ahead`` did with a sheet in its reader thread: canonical -> (the frame it saw, its key, result)
    ahead: dict[str, tuple[pd.DataFrame, object, Any]] = field(default_factory=dict, repr=False)

    def prepared(self, sheet: str, key: object) -> Any | None:
        """The ahead result for ``sheet`` if it was made from the frame still here, with the same key."""
        got = self.ahead.get(sheet)
        return got[2] if got is not None and got[0] is self.sheets.get(sheet) and got[1] is key else None

    def findings(self) -> list[Finding]:
        return [
            Finding.of("UNKNOWN_COLUMN", u.sheet, 1, u.header,
                       f"Column '{u.header}' on sheet {self.sheet_names.get(u.sheet, u.sheet)} is not part of the "
                       "order template: its values are ignored. Rename it to a template column or remove it.", "",
                       u.header)
            for u in self.unknown_columns
        ] + [
            Finding.of("UNKNOWN_SHEET", name, 1, None,
                       f"Sheet '{name}' is not part of the order template: nothing on it is read. Move its rows to "
                       "the template's sheets (Customers, Locations, Packages, DIDs, Porting, Toll Free), or remove "
                       "it.", "")
            for name in self.unknown_sheets
        ]


@dataclass(frozen=True)
class Ahead:
    """Work started on each sheet of a workbook in its reader thread, as soon as that sheet is read (the
    small sheets while calamine still parses the 1M-line Packages sheet on the other thread). ``run`` gets
    the sheet and a RawOrder holding only it and returns (key, result); a sheet whose ``run`` fails is left
    to the ordinary path, which meets the same error in its usual order."""

    run: Callable[[Sheet, RawOrder], tuple[object, Any]]


class HeaderError(InputError):
    """A sheet's header is not on row 1 or spans merged rows: one HEADER_NOT_ON_ROW_1 finding, nothing read."""

    def __init__(self, findings: list[Finding], customer_rows: int) -> None:
        super().__init__(findings[0].message)
        self.findings = findings
        self.customer_rows = customer_rows  # the Customers rows below its header (all held), 0 if unknown


def read_order(path: Path, limits: Limits | None = None, *, ahead: Ahead | None = None,
               early: EarlyRead | None = None) -> RawOrder:
    """Inspect the file (``transforms.guard``), then read it. Raises InputError with one line.
    ``early``: the read ``transforms.prefetch.start_read`` began for this path and limits, if any; without
    one, the read starts the same way here (the biggest sheet is read while the guard checks the others)."""
    path = Path(path)
    limits = limits or Limits.from_env()
    if early is None or not early.serves(path, limits):
        early = start_read(path, limits)
    opened = early.opened()  # every check of the guard has passed (its InputError is raised here)
    if not early.guarded:  # it stopped short of the guard's end (the workbook did not open there): all of it now
        inspect_input(path, limits)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        if not files:
            raise InputError(f"{path}: the folder holds no .csv files; expected customers.csv, packages.csv, ...")
        tables: list[tuple[str, pd.DataFrame | _Framed, Path]] = [(p.stem, _read_csv(p), p) for p in files]
        sources = files
    elif path.suffix.lower() == ".csv" and not zipfile.is_zipfile(path):  # a zip is a workbook, whatever its name
        sheet = find_sheet(path.stem)
        if sheet is None or sheet.name != CUSTOMERS.name:
            said = f"'{path.stem}' names no sheet" if sheet is None else f"it is the {sheet.name} sheet alone"
            raise InputError(
                f"{path.name}: a single CSV file is read as the one sheet its file name names, and {said}. "
                "Accepted: an .xlsx workbook; a folder of CSV files named after the sheets (customers.csv, "
                "locations.csv, packages.csv, dids.csv, porting.csv, toll_free.csv); or customers.csv alone. "
                "Rename the file, or put the sheets' files in one folder.")
        tables = [(path.stem, _read_csv(path), path)]
        sources = [path]
    else:
        tables = [(name, grid, path) for name, grid in _read_excel(path, ahead, opened)]
        sources = [path]
    return _assemble(tables, sources, path)


def _read_excel(path: Path, ahead: Ahead | None = None,
                opened: Opened | None = None) -> list[tuple[str, pd.DataFrame | _Framed]]:
    if opened is not None:  # opened by ``transforms.prefetch``, its first sheet being read there already
        reader, every, names = opened.reader, opened.every, opened.names
    else:
        try:
            reader = fastexcel.read_excel(path)
        except Exception as exc:  # calamine raises several types for "not a workbook"
            raise InputError(f"{path.name} is not an Excel workbook ({type(exc).__name__}); save it as .xlsx "
                             "from Excel and upload it again.") from None
        every = list(reader.sheet_names)  # not asked of ``reader`` again while a thread reads with it (borrowed)
        names = read_order_of(path, [n for n in every if find_sheet(n) is not None])

    def load(name: str) -> _Framed:
        try:
            if opened is not None and name == names[0]:
                table = opened.table.result()
            else:
                own = reader if name == names[0] else fastexcel.read_excel(path)  # a reader per thread
                table = own.load_sheet(name, **READ_ARGS).to_arrow()
            grid = text_of(table)
        except Exception as exc:
            raise InputError(f"{path.name}: sheet '{name}' cannot be read ({exc}); re-save the workbook.") from None
        return _frame_ahead(name, grid, path, ahead)

    workers = read_workers(len(names))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest") as pool:
        started = {n: pool.submit(load, n) for n in names}  # biggest first; errors below in sheet order
        frames = {n: started[n].result() for n in every if n in started}
    # unknown sheets are reported, not read
    return [(n, frames[n] if n in frames else pd.DataFrame()) for n in every]


@dataclass
class _Framed:
    """A sheet read and mapped to canonical keys in its reader thread: a RawOrder holding only it (merged
    into the whole order in sheet order by ``_assemble``), or the InputError mapping it raised (raised there,
    in sheet order, as if the sheets had been mapped one after the other)."""

    scratch: RawOrder
    frame: pd.DataFrame | None = None
    error: InputError | None = None


def _frame_ahead(name: str, grid: pd.DataFrame, path: Path, ahead: Ahead | None) -> _Framed:
    sheet = find_sheet(name)
    scratch = RawOrder({}, [path])
    if sheet is None:
        return _Framed(scratch)
    try:
        frame = _sheet_frame(sheet, f"{path.name}, sheet '{name}'", grid, scratch)
    except InputError as exc:
        return _Framed(scratch, error=exc)
    if frame is not None and ahead is not None and not scratch.header_findings:
        scratch.sheets[sheet.name] = frame
        try:
            key, result = ahead.run(sheet, scratch)
            scratch.ahead[sheet.name] = (frame, key, result)
        except Exception:  # noqa: S110 - the ordinary path runs it again and reports what it finds
            pass
    return _Framed(scratch, frame)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    if not text.strip():
        return pd.DataFrame()
    try:
        frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, na_filter=False,
                            skip_blank_lines=False)
    except (pd.errors.ParserError, ValueError, csv.Error) as exc:
        detail = " ".join(str(exc).split())  # pandas' messages run over several lines
        raise InputError(f"{path.name} is not a well-formed CSV file ({detail}); save it again as "
                         "'CSV UTF-8 (comma delimited)' from Excel.") from None
    return text_frame(frame)


def _assemble(tables: Sequence[tuple[str, pd.DataFrame | _Framed, Path]], sources: list[Path], origin: Path) -> RawOrder:
    order = RawOrder({}, sources)
    for name, grid, src in tables:
        sheet = find_sheet(name)
        if sheet is None:
            if not is_documentation_sheet(name):
                order.unknown_sheets.append(name)
            continue
        label = name if src.suffix.lower() != ".csv" else src.name
        where = f"{src.name}, sheet '{name}'" if src.suffix.lower() != ".csv" else src.name
        if sheet.name in order.sheets:
            raise InputError(f"{origin.name}: '{order.sheet_names[sheet.name]}' and '{label}' are both the "
                             f"{sheet.name} sheet; keep one.")
        frame = _sheet_frame(sheet, where, grid, order) if isinstance(grid, pd.DataFrame) else _merge(grid, sheet, order)
        if frame is None:
            continue
        order.sheets[sheet.name] = frame
        order.sheet_names[sheet.name] = label
    if CUSTOMERS.name not in order.sheets:
        raise InputError(f"{origin.name}: no Customers sheet (or customers.csv) found; the order needs one row per "
                         "new customer on a sheet named Customers.")
    if order.header_findings:
        raise HeaderError(order.header_findings, len(order.sheets[CUSTOMERS.name]))
    return order


def _merge(framed: _Framed, sheet: Sheet, order: RawOrder) -> pd.DataFrame | None:
    """What ``_sheet_frame`` left in a reader thread's scratch order, added to the whole order."""
    if framed.error is not None:
        raise framed.error
    got = framed.scratch
    order.headers |= got.headers
    order.columns |= got.columns
    order.extras |= got.extras
    order.ahead |= got.ahead
    order.unknown_columns += got.unknown_columns
    order.header_findings += got.header_findings
    return framed.frame


def _sheet_frame(sheet: Sheet, label: str, grid: pd.DataFrame, order: RawOrder) -> pd.DataFrame | None:
    nonblank = _nonblank_rows(grid)
    if not bool(nonblank.any()):
        if sheet is CUSTOMERS:
            raise InputError(f"{label}: the Customers sheet is empty; add a header row and one row per customer.")
        return None  # an empty optional sheet is the same as no sheet
    by_key: dict[str, str] = {}
    for c in sheet.columns:
        for n in (c.key, c.label, *c.aliases):
            by_key.setdefault(header_key(n), c.key)
    at = _header_row(grid, by_key, label, sheet, order)
    header = [str(h).strip() for h in grid.iloc[at].tolist()]
    if at == 1 and order.header_findings and order.header_findings[-1].sheet == sheet.name:
        # two header rows: a column named only on row 1 (merged down) keeps that name
        header = [h or str(top).strip() for h, top in zip(header, grid.iloc[0].tolist(), strict=True)]
    if not any(header):
        raise InputError(f"{label}: no header in row 1; put the column names "
                         f"(Account Name, ...) in row 1, above the data.")
    data = grid.iloc[at + 1:]
    keep = nonblank[at + 1:]  # fully blank rows dropped
    mapped: dict[str, int] = {}
    unknown: list[int] = []
    for i, h in enumerate(header):
        if not h:
            if bool(filled_cells(grid[grid.columns[i]])[at + 1:].any()):
                unknown.append(i)
            continue
        hit = by_key.get(header_key(h))
        if hit is None:
            unknown.append(i)
        elif hit in mapped:
            raise InputError(f"{label}: the column '{sheet.column(hit).label}' appears twice "
                             f"('{header[mapped[hit]]}' and '{h}'); keep one and upload again.")
        else:
            mapped[hit] = i
    if "account_name" not in mapped:
        found = ", ".join(h for h in header if h) or "none"
        raise InputError(f"{label}: no Account Name column in row 1 (headers found: "
                         f"{found}); row 1 must hold the column names.")
    rows = np.arange(at + 2, len(data) + at + 2, dtype="int64")[keep]
    kept = data if bool(keep.all()) else data[keep]  # most books have no blank row: no copy of 1M lines
    cols: dict[str, pd.Series] = {}
    blank = pd.Series(pd.array(pa.repeat("", len(kept)), dtype="str"))  # not a 1M-item Python list
    for c in sheet.columns:
        pos = mapped.get(c.key)
        # Series stay Arrow strings end to end (a detour through numpy objects costs seconds per 1M rows).
        cols[c.key] = strip_marker(kept[pos]).astype("str").reset_index(drop=True) if pos is not None else blank
    frame = pd.DataFrame(cols)
    frame["_row"] = rows
    order.headers[sheet.name] = header
    order.columns[sheet.name] = {k: header[i] for k, i in mapped.items()}
    if unknown:
        names = [header[i] or f"Column {letter(i)}" for i in unknown]
        extra = pd.DataFrame({n: kept[i].to_numpy() for n, i in zip(names, unknown, strict=True)}, dtype="str")
        extra["_row"] = frame["_row"].to_numpy()
        order.extras[sheet.name] = extra
        order.unknown_columns += [UnknownColumn(sheet.name, n, i) for n, i in zip(names, unknown, strict=True)]
    return frame


def _nonblank_rows(grid: pd.DataFrame) -> np.ndarray:
    """Per row, whether any cell holds more than whitespace. Column by column, and only over the rows not yet
    known to hold one: in a usual sheet the first column (Account Name) is filled on every row, so the other
    columns are not looked at (every column of 1M package lines cost 0.1 s, on the path after the read)."""
    nonblank = np.zeros(len(grid), dtype=bool)
    for c in grid.columns:
        open_ = np.flatnonzero(~nonblank)
        if len(open_) == 0:
            break
        col = grid[c]
        if 2 * len(open_) < len(grid):  # a few rows left: those rows of the column, not all of it
            nonblank[open_] = filled_cells(col.iloc[open_])
        else:
            nonblank |= filled_cells(col)
    return nonblank


HEADER_SEARCH_ROWS = 20


def _header_hits(values: list[str], by_key: dict[str, str]) -> tuple[int, int, bool]:
    """(cells that are column names of this sheet, non-blank cells, whether Account Name is among them)."""
    keys = [by_key.get(header_key(v)) for v in values if v.strip()]
    return sum(k is not None for k in keys), len(keys), "account_name" in keys


def _header_row(grid: pd.DataFrame, by_key: dict[str, str], label: str, sheet: Sheet, order: RawOrder) -> int:
    """Row 1 (0) unless the header is lower down or continues on row 2: then one HEADER_NOT_ON_ROW_1 finding
    (instead of the header's second row read as a customer and dozens of misleading findings), and the
    sheet is read from the row that holds the column names so that its rows can be counted."""
    first = _header_hits([str(v) for v in grid.iloc[0].tolist()], by_key)
    if first[2]:
        if len(grid) > 1:
            hits, filled, _ = _header_hits([str(v) for v in grid.iloc[1].tolist()], by_key)
            # column names, not a customer: three or more of them, and most of the row (or all of a short one)
            if (hits >= 3 and 2 * hits >= filled) or (hits >= 2 and hits == filled):
                order.header_findings.append(Finding.of(
                    "HEADER_NOT_ON_ROW_1", sheet.name, 1, None,
                    f"{label}: the header spans rows 1 and 2 (merged or two-line column names): keep one header "
                    "row with one column name per column (Account Name, ...) in row 1, data from row 2.", ""))
                return 1
        return 0
    for at in range(1, min(len(grid), HEADER_SEARCH_ROWS)):
        hits, _, account = _header_hits([str(v) for v in grid.iloc[at].tolist()], by_key)
        if account and hits >= 2:
            order.header_findings.append(Finding.of(
                "HEADER_NOT_ON_ROW_1", sheet.name, 1, None,
                f"{label}: the column names are on row {at + 1}, not row 1: delete the rows above them so that "
                "the header is row 1 (the template's version lives in the workbook properties).", ""))
            return at
    return 0
