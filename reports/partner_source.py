"""Read a partner's order workbook (.xlsx, or a folder of .csv) back as rows, for the error reports.

Rows keep the numbers findings use: for a workbook the Excel row (header = row 1); for a CSV file the
number the ingest gave each record (``sheet_rows``), by default the record's position + 1 after the
header (header = line 1). Header cells are matched to the contract of ``data/sheets.py`` by
``header_key`` and aliases, exactly as the ingest does.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl import load_workbook

from data.sheets import Sheet, find_sheet, header_key


def account_key(value: object) -> str:
    """Account key: the name as the ingest reads it (one leading apostrophe dropped), casefolded,
    whitespace collapsed."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else _plain(value)
    if text.startswith("'"):
        text = text[1:]
    return " ".join(text.split()).casefold()


def _plain(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def map_header(spec: Sheet | None, header: Sequence[object]) -> dict[str, int]:
    """Canonical column key -> 0-based index of the header cell that carries it (labels before aliases)."""
    if spec is None:
        return {}
    keys = [header_key(_plain(h)) if h is not None else "" for h in header]
    found: dict[str, int] = {}
    for by_alias in (False, True):
        for col in spec.columns:
            if col.key in found:
                continue
            names = col.aliases if by_alias else (col.label, col.key)
            wanted = {header_key(n) for n in names}
            for i, k in enumerate(keys):
                if k and k in wanted and i not in found.values():
                    found[col.key] = i
                    break
    return found


@dataclass
class SourceSheet:
    title: str  # sheet title, or the CSV file's stem
    spec: Sheet | None  # the contract's sheet it maps to, if any
    header: list[Any]  # row 1 as written
    columns: dict[str, int]  # canonical key -> 0-based index
    is_csv: bool
    path: Path | None = None  # CSV file
    encoding: str = "utf-8-sig"
    rows_numbers: Sequence[int] | None = None  # CSV: the finding row of each record
    _ws: Any = field(default=None, repr=False)
    _index: dict[int, int] | None = field(default=None, repr=False)

    def record_index(self, row: int) -> int:
        """0-based position of the record a finding row names (CSV: through the ingest's numbering)."""
        if self.rows_numbers is None:
            return row - 2
        if self._index is None:
            self._index = {n: i for i, n in enumerate(self.rows_numbers)}
        return self._index.get(row, row - 2)

    @property
    def account_col(self) -> int | None:
        return self.columns.get("account_name")

    @property
    def password_col(self) -> int | None:
        return self.columns.get("password")

    def column_of(self, label: str | None, code: str) -> int | None:
        """0-based index of a finding's column: canonical label, or (UNKNOWN_COLUMN) the header as written."""
        if label is None:
            return None
        if code != "UNKNOWN_COLUMN" and self.spec is not None:
            for col in self.spec.columns:
                if header_key(label) in (header_key(col.label), header_key(col.key)) and col.key in self.columns:
                    return self.columns[col.key]
        for i, h in enumerate(self.header):
            if h is not None and (_plain(h) == label or header_key(_plain(h)) == header_key(label)):
                return i
        return None

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(finding row number, values) for every data row after the header."""
        if not self.is_csv:
            for n, values in enumerate(self._ws.iter_rows(min_row=2, values_only=True), start=2):
                yield n, list(values)
            return
        assert self.path is not None
        with self.path.open(newline="", encoding=self.encoding) as fh:
            reader = csv.reader(fh)
            next(reader, None)
            for i, values in enumerate(reader):
                nums = self.rows_numbers
                yield (nums[i] if nums is not None and i < len(nums) else i + 2), [v if v != "" else None for v in values]


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes, else Windows-1252 (Excel's CSV export)."""
    dec = codecs.getincrementaldecoder("utf-8-sig")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                dec.decode(chunk)
            dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def is_workbook(source: Path) -> bool:
    """By content, as the ingest decides (an .xlsx renamed .csv is a workbook; issue 16)."""
    return source.suffix.lower() != ".csv" or zipfile.is_zipfile(source)


def workbook_file(source: Path) -> Path | IO[bytes]:
    """What openpyxl opens: it refuses a workbook by its file name's extension, not by its content."""
    if source.suffix.lower() in {".xlsx", ".xlsm", ".xltx", ".xltm"}:
        return source
    return io.BytesIO(source.read_bytes())


@contextmanager
def open_source(source: Path, sheet_rows: Mapping[str, Sequence[int]] | None = None) -> Iterator[list[SourceSheet]]:
    """The source's sheets, in order; a workbook is opened read-only (cached values) for the block."""
    sheet_rows = sheet_rows or {}
    if source.is_dir() or not is_workbook(source):  # a folder of CSV files, or one CSV file named for its sheet
        sheets = []
        files = source.glob("*.csv") if source.is_dir() else [source]
        for path in sorted(files, key=lambda p: p.name.casefold()):
            enc = _encoding(path)
            with path.open(newline="", encoding=enc) as fh:
                header: list[Any] = next(csv.reader(fh), [])
            spec = find_sheet(path.stem)
            nums = sheet_rows.get(spec.name if spec else path.stem) or sheet_rows.get(path.stem)
            sheets.append(SourceSheet(path.stem, spec, header, map_header(spec, header), True, path, enc, nums))
        yield sheets
        return
    wb = load_workbook(workbook_file(source), read_only=True, data_only=True)
    try:
        sheets = []
        for ws in wb.worksheets:
            first = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
            header = list(first)
            while header and header[-1] is None:
                header.pop()
            spec = find_sheet(ws.title)
            sheets.append(SourceSheet(ws.title, spec, header, map_header(spec, header), False, _ws=ws))
        yield sheets
    finally:
        wb.close()
