"""The partner error workbook (DESIGN §8) and the held-back rows beside it.

``write_error_workbook`` writes two files:

* ``out``: the partner's own workbook (a copy of the .xlsx; for a folder of CSV files a new workbook with
  one sheet per file) with every offending cell filled (red: error, amber: warning) and commented
  (code + message), passwords masked, and a first sheet ``Errors`` listing every finding;
* ``<out stem>.held-back.xlsx``: the held customers' rows alone, every order sheet, headers as the partner
  wrote them, values (passwords included) as typed, the offending cells marked the same way: ready to fix
  and upload again.

``findings`` columns: ``sheet`` (sheet name as in the finding, canonical or as written), ``row`` (Excel row;
CSV: the ingest's row number, see ``sheet_rows``), ``column`` (canonical label of data/sheets.py, None for a
whole-row finding, the header as written for UNKNOWN_COLUMN), ``code``, ``severity`` (error|warning),
``message``, ``account`` (as written), ``value`` (as read). ``held_accounts``: account keys (name
casefolded, whitespace collapsed; see ``partner_source.account_key``). ``sheet_rows``: for a CSV source,
sheet name -> the finding row number of each record in file order (default: record position + 2).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink

from data.sheets import find_sheet
from reports.excel_safe import MAX_ROWS, clean, is_blank, mask_password, message_text, reguard, set_text, user_text
from reports.partner_source import SourceSheet, account_key, is_workbook, open_source, workbook_file
from reports.tables import make_cell, sheet_title, write_rows

FILL = {"error": PatternFill("solid", fgColor="FFC7CE"), "warning": PatternFill("solid", fgColor="FFEB9C")}
FAITHFUL_MAX_BYTES = 15_000_000  # above this, stream a plain copy instead of loading the whole workbook
ERRORS_COLUMNS = ("sheet", "row", "column", "value", "code", "severity", "message", "account")
_OUR_ERRORS = re.compile(r"Errors( \(\d+\))?")
_PER_SHEET = MAX_ROWS - 1
MASKED_NOTE = ("Passwords are masked (********) in this copy. If you correct and upload this file, type each "
               "password again (a masked one is refused: PASSWORD_MASKED); the .held-back.xlsx file keeps them "
               "as you typed them.")


def _masked_note(cell: Cell) -> Cell:
    """Say on the Password header why its cells read ******** (a finding's own comment wins)."""
    if cell.comment is None:
        cell.comment = Comment(MASKED_NOTE, "onboard", height=110, width=300)
    return cell


@dataclass
class Mark:
    severity: str = "warning"
    notes: list[str] = field(default_factory=list)

    def add(self, severity: str, code: str, message: str) -> None:
        if severity == "error":
            self.severity = "error"
        self.notes.append(f"{code}: {message}" if message else code)

    def apply(self, cell: Cell) -> Cell:
        cell.fill = FILL[self.severity]
        text = clean("\n".join(self.notes))
        lines = sum(1 + len(n) // 40 for n in text.splitlines())
        cell.comment = Comment(text, "onboard", height=min(20 + 15 * lines, 400), width=300)
        return cell


Key = tuple[str, int, int]  # source title, finding row, 0-based column


@dataclass
class _Resolved:
    title: str
    row: int | None
    col: int | None
    src: SourceSheet | None
    record: dict[str, Any]


def _resolve(findings: pd.DataFrame, sources: list[SourceSheet]) -> list[_Resolved]:
    by_spec = {s.spec.name: s for s in sources if s.spec is not None}
    by_title = {s.title.casefold(): s for s in sources}
    out = []
    for rec in findings.to_dict("records"):
        name = "" if is_blank(rec.get("sheet")) else str(rec["sheet"])
        spec = find_sheet(name) if name else None
        src = by_title.get(name.casefold()) or (by_spec.get(spec.name) if spec else None)
        row = None if is_blank(rec.get("row")) else int(rec["row"])
        label = None if is_blank(rec.get("column")) else str(rec["column"])
        col = None
        if src is not None and row is not None:
            col = src.column_of(label, str(rec.get("code") or ""))
            if col is None:  # whole-row finding, or a column the file lacks: mark the account cell
                col = src.account_col if src.account_col is not None else 0
        out.append(_Resolved(src.title if src else name, row, col, src, {str(k): v for k, v in rec.items()}))
    order = {s.title: i for i, s in enumerate(sources)}
    out.sort(key=lambda r: (order.get(r.title, len(order)), r.row or 0))
    return out


def _marks(resolved: list[_Resolved]) -> dict[Key, Mark]:
    marks: dict[Key, Mark] = {}
    for r in resolved:
        if r.src is None or r.row is None or r.col is None:
            continue
        sev = "error" if str(r.record.get("severity", "error")).casefold() == "error" else "warning"
        msg = "" if is_blank(r.record.get("message")) else str(r.record["message"])
        marks.setdefault((r.src.title, r.row, r.col), Mark()).add(sev, str(r.record.get("code") or ""), msg)
    return marks


def write_error_workbook(
    source: Path,
    findings: pd.DataFrame,
    out: Path,
    *,
    held_accounts: set[str],
    sheet_rows: Mapping[str, Sequence[int]] | None = None,
) -> tuple[Path, Path]:
    """Write the annotated copy to ``out`` and the held rows to ``<out stem>.held-back.xlsx``; return both."""
    out.parent.mkdir(parents=True, exist_ok=True)
    held_path = out.with_name(f"{out.stem}.held-back.xlsx")
    with open_source(source, sheet_rows) as sources:
        resolved = _resolve(findings, sources)
        marks = _marks(resolved)
        faithful = source.is_file() and is_workbook(source) and source.stat().st_size <= FAITHFUL_MAX_BYTES
        if faithful:
            _annotate_copy(source, sources, resolved, marks, out)
        else:
            _annotate_stream(sources, resolved, marks, out)
        _held_back(sources, marks, held_accounts, held_path)
    return out, held_path


def _errors_rows(
    resolved: list[_Resolved], where: Callable[[_Resolved], tuple[str, int | None]]
) -> Iterator[Callable[[Any], list[Cell]]]:
    for r in resolved:
        title, row = where(r)
        value = r.record.get("value")
        if r.src is not None and r.col is not None and r.col == r.src.password_col:
            value = mask_password(value)
        label = r.record.get("column")

        def make(ws: Any, r: _Resolved = r, title: str = title, row: int | None = row, value: Any = value,
                 label: Any = label) -> list[Cell]:
            first = user_text(WriteOnlyCell(ws), title)
            if row is not None and r.col is not None:  # jump to the cell
                first.hyperlink = Hyperlink(ref="", location=f"'{title}'!{get_column_letter(r.col + 1)}{row}")
            return [
                first,
                make_cell(ws, "int", row),
                user_text(WriteOnlyCell(ws), label),
                user_text(WriteOnlyCell(ws), value),
                user_text(WriteOnlyCell(ws), r.record.get("code")),
                user_text(WriteOnlyCell(ws), r.record.get("severity")),
                message_text(WriteOnlyCell(ws), r.record.get("message")),
                user_text(WriteOnlyCell(ws), r.record.get("account")),
            ]

        yield make


_ERRORS_WIDTHS = (16.0, 8.0, 20.0, 30.0, 24.0, 10.0, 70.0, 30.0)
_ERRORS_LABELS = tuple(c.capitalize() for c in ERRORS_COLUMNS)


def _annotate_copy(
    source: Path, sources: list[SourceSheet], resolved: list[_Resolved], marks: dict[Key, Mark], out: Path
) -> None:
    """Small workbooks: a faithful copy (formatting kept) with marks, masked passwords and Errors first."""
    # Cached values, as the ingest read them: a formula in the partner's file comes back as its value.
    wb = load_workbook(workbook_file(source), data_only=True)
    for title in [t for t in wb.sheetnames if _OUR_ERRORS.fullmatch(t)]:  # from an earlier annotation
        del wb[title]
    for (title, row, col), mark in marks.items():
        target = wb[title].cell(row=row, column=col + 1)
        if isinstance(target, Cell):  # a merged cell's followers take no fill or comment
            mark.apply(target)
    for sheet in wb.worksheets:  # every text cell through the guard (a no-op for ordinary text)
        for line in sheet.iter_rows():
            for cell in line:
                if isinstance(cell, Cell) and cell.data_type == "s" and isinstance(cell.value, str):
                    safe = reguard(cell.value)
                    if safe != cell.value:
                        set_text(cell, safe)
    for src in sources:
        if src.password_col is not None and src.title in wb.sheetnames:
            ws: Any = wb[src.title]
            for (cell,) in ws.iter_rows(min_row=2, min_col=src.password_col + 1, max_col=src.password_col + 1):
                if isinstance(cell, Cell) and not is_blank(cell.value):
                    set_text(cell, mask_password(cell.value))
            head = ws.cell(row=1, column=src.password_col + 1)
            if isinstance(head, Cell):
                _masked_note(head)
    sheets = write_rows(wb, "Errors", _ERRORS_LABELS, _ERRORS_WIDTHS, _errors_rows(resolved, lambda r: (r.title, r.row)))
    for sheet in wb.worksheets:
        sheet.sheet_view.tabSelected = False
    for i, sheet in enumerate(sheets):
        wb.move_sheet(sheet, offset=i - wb.index(sheet))
    wb.active = 0
    sheets[0].sheet_view.tabSelected = True
    wb.save(out)


def _location(src: SourceSheet | None, row: int | None) -> tuple[str, int | None]:
    """Where a finding row lands in the streamed copy (CSV records fill continuation sheets in order)."""
    if src is None or row is None:
        return (src.title if src else ""), row
    if not src.is_csv:
        return src.title, row
    idx = src.record_index(row)
    return sheet_title(src.title, idx // _PER_SHEET + 1), idx % _PER_SHEET + 2


def _annotate_stream(
    sources: list[SourceSheet], resolved: list[_Resolved], marks: dict[Key, Mark], out: Path
) -> None:
    """Big workbooks and CSV folders: a streamed copy of the values (constant memory), Errors first."""
    wb = Workbook(write_only=True)
    write_rows(wb, "Errors", _ERRORS_LABELS, _ERRORS_WIDTHS, _errors_rows(resolved, lambda r: _location(r.src, r.row)))
    for src in sources:
        if not _OUR_ERRORS.fullmatch(src.title):  # an earlier annotation's Errors sheet is replaced
            _copy_sheet(wb, src, marks, keep=None, mask=True)
    wb.save(out)


def _held_back(sources: list[SourceSheet], marks: dict[Key, Mark], held: set[str], path: Path) -> None:
    wb = Workbook(write_only=True)
    for src in sources:
        if src.spec is not None and src.account_col is not None:
            _copy_sheet(wb, src, marks, keep=held, mask=False)
    if not wb.worksheets:
        wb.create_sheet("Customers")
    wb.save(path)


def _copy_sheet(wb: Workbook, src: SourceSheet, marks: dict[Key, Mark], *, keep: set[str] | None, mask: bool) -> None:
    """Stream one sheet: header as written, then rows (all, or those of the ``keep`` accounts), marked."""
    width = len(src.header)
    acc = src.account_col
    pwd = src.password_col if mask else None

    def header(ws: Any) -> list[Cell]:
        cells = []
        for i, h in enumerate(src.header):
            c = set_text(WriteOnlyCell(ws), reguard(h))
            mark = marks.get((src.title, 1, i))
            c = mark.apply(c) if mark else c
            cells.append(_masked_note(c) if i == pwd else c)
        return cells

    def rows() -> Iterator[Callable[[Any], list[Cell]]]:
        for n, values in src.rows():
            if keep is not None and (acc is None or acc >= len(values) or account_key(values[acc]) not in keep):
                continue
            yield partial(_row_cells, title=src.title, n=n, values=values, width=width, marks=marks, pwd=pwd)

    widths = [float(min(max(len(str(h or "")) + 4, 12), 40)) for h in src.header]
    write_rows(wb, src.title, [str(h) for h in src.header], widths, rows(), header=header)


def _row_cells(ws: Any, title: str, n: int, values: list[Any], width: int, marks: dict[Key, Mark],
               pwd: int | None) -> list[Cell]:
    cells = []
    for i in range(max(width, len(values))):
        v = values[i] if i < len(values) else None
        if i == pwd:
            c = set_text(WriteOnlyCell(ws), mask_password(v))
        elif isinstance(v, str) or v is None:
            c = set_text(WriteOnlyCell(ws), reguard(v))
        else:  # numbers, dates, booleans as the partner's workbook held them
            c = WriteOnlyCell(ws, v)
            if c.is_date:
                c.number_format = "yyyy-mm-dd"
        mark = marks.get((title, n, i))
        cells.append(mark.apply(c) if mark else c)
    return cells
