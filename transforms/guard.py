"""Look at an input file before any reader touches it (issue 14).

The workbook reader (calamine, in Rust, under fastexcel) sizes its buffers from what the file says: a
sheet whose cells span ``A1:XFD1048576`` becomes a dense grid of 17 billion cells, a shared-strings part
declaring ``uniqueCount="4000000000"`` a reservation of that many strings, and a 2.8 MB zip can expand
to 44M rows. An allocation failure in Rust aborts the whole process, which Python cannot catch. So every
file is inspected here first, with bounded memory and without the reader:

- only regular files (a FIFO would block ``open`` forever; a device never ends);
- the zip's central directory: part count, total and per-part uncompressed size, compression ratio;
- the head of ``sharedStrings.xml`` (``count`` / ``uniqueCount``);
- every worksheet part: its ``<dimension>``, and the extremes of the cell references it really holds (a
  dimension can lie): the whole part up to ``FULL_SCAN_BYTES``, the first 4 MB of a bigger one (a big part
  is a big real sheet; reading all of it would add a third to the read of a 100k-customer book).

Known gaps, bounded by the zip-level size and ratio limits: a reference written with a tab or newline
before ``r=`` is not seen by the scan; ``.xlsb`` (binary) and ``.ods`` sheets get only the zip-level checks.

Limits (``ONBOARD_MAX_UNZIPPED_MB``, ``ONBOARD_MAX_CELLS``) default to values that a 100k-customer book
with 1M package lines passes (about 0.4 GB of sheet XML and 7M cells) with room to spare.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from core.limits import Limits
from transforms.errors import InputError

MIB = 1 << 20
# Excel's own sheet size (Excel specifications and limits): refs beyond it are never a real workbook.
EXCEL_MAX_ROWS, EXCEL_MAX_COLS = 1_048_576, 16_384
MAX_PARTS = 5_000
# A sheet XML part compresses 5-30x in practice (a 100k-customer book written by openpyxl: about 12x); a part
# that expands more than this is padding, whitespace or a bomb. Small parts are exempt (a tiny
# highly-compressible styles part is normal).
MAX_RATIO = 200
RATIO_FLOOR = 4 * MIB
_CHUNK = 4 * MIB
# Sheet parts up to this size are scanned whole for the cells they really hold (a dimension can lie).
FULL_SCAN_BYTES = 8 * MIB
_CARRY = 64  # longer than any cell reference with its attribute name, so no ref is split unseen

_REF = re.compile(rb"""\sr\s*=\s*["']([A-Za-z]+)([0-9]+)["']""")
_DIM = re.compile(rb"""<(?:\w+:)?dimension\s+ref\s*=\s*["']([A-Za-z]+)([0-9]+)(?::([A-Za-z]+)([0-9]+))?["']""")
_COUNT = re.compile(rb"""\b(uniqueCount|count)\s*=\s*["']([0-9]+)["']""")
_SHEET_REL = re.compile(rb"""Target\s*=\s*["']([^"']+)["'][^>]*?Type\s*=\s*["'][^"']*/worksheet["']"""
                        rb"""|Type\s*=\s*["'][^"']*/worksheet["'][^>]*?Target\s*=\s*["']([^"']+)["']""")


def require_regular(path: Path) -> os.stat_result:
    """stat (never open) the path: a FIFO, socket or device is refused before anything could block on it."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file or folder; check the path and try again.") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror}); check its permissions.") from None
    if stat.S_ISDIR(st.st_mode):
        return st
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path} is not a regular file (a pipe, socket or device): save the order as a "
                         ".xlsx file or a folder of CSV files and pass that.")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission denied; make the file readable and try again.")
    return st


def inspect_input(path: Path, limits: Limits | None = None) -> None:
    """Raise InputError (one line, what to do) if the file or folder is not safe to hand to a reader."""
    limits = limits or Limits.from_env()
    path = Path(path)
    for part in inspect_head(path, limits):
        inspect_part(path, part, limits)


def inspect_head(path: Path, limits: Limits) -> list[str]:
    """Every check but the worksheet parts' cells: the file itself, a folder's CSV files, the zip's central
    directory and shared strings (what opening a workbook reads). Returns the worksheet parts still to
    check with ``inspect_part``, each before a reader loads that sheet (``transforms.prefetch`` checks the
    biggest first and starts reading it while it checks the others)."""
    path = Path(path)
    st = require_regular(path)
    if stat.S_ISDIR(st.st_mode):
        total = 0
        for p in sorted(path.iterdir()):
            if p.suffix.lower() != ".csv":
                continue
            total += require_regular(p).st_size
            if total > limits.max_unzipped_mb * MIB:
                raise InputError(f"{path}: the CSV files hold more than {limits.max_unzipped_mb} MB "
                                 f"(ONBOARD_MAX_UNZIPPED_MB); split the book into smaller folders.")
        return []
    if not zipfile.is_zipfile(path):  # by content: an .xlsx renamed .csv is read as the workbook it is (16)
        # CSV or a non-zip workbook (.xls): no compression to hide behind, the size on disk is the size
        if st.st_size > limits.max_unzipped_mb * MIB:
            raise InputError(f"{path.name} is {st.st_size // MIB} MB, over the {limits.max_unzipped_mb} MB limit "
                             "(ONBOARD_MAX_UNZIPPED_MB); split it into smaller files.")
        return []
    return _inspect_zip(path, limits)


def inspect_part(path: Path, part: str, limits: Limits) -> None:
    """One worksheet part's declared dimension and the cells it really holds (see the module's docstring)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    with zf:
        _check_sheet(zf, part, path, limits)


def _refuse(path: Path, what: str, limit: str) -> InputError:
    return InputError(f"{path.name} refused before reading: {what} ({limit}); this is not an order workbook as "
                      "Excel saves it: re-save it from Excel, or split a genuinely large book.")


def _inspect_zip(path: Path, limits: Limits) -> list[str]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        return []  # not a readable zip: the reader says "not an Excel workbook" without allocating anything
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_PARTS:
            raise _refuse(path, f"{len(infos)} parts in the zip", f"at most {MAX_PARTS}")
        cap = limits.max_unzipped_mb * MIB
        total = sum(i.file_size for i in infos)
        if total > cap:
            raise _refuse(path, f"it expands to {total // MIB} MB", f"ONBOARD_MAX_UNZIPPED_MB={limits.max_unzipped_mb}")
        for i in infos:
            if i.file_size > RATIO_FLOOR and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                raise _refuse(path, f"part {i.filename} expands {i.file_size // max(i.compress_size, 1)}x",
                              f"at most {MAX_RATIO}x")
        names = {i.filename for i in infos}
        for name in names:
            if name.lower().endswith("sharedstrings.xml"):
                _check_shared_strings(zf, name, path, limits)
        return sorted(_worksheets(zf, names))


def _check_shared_strings(zf: zipfile.ZipFile, name: str, path: Path, limits: Limits) -> None:
    with zf.open(name) as fh:
        head = fh.read(64 * 1024)
    for attr, value in _COUNT.findall(head[:4096]):
        if int(value) > limits.max_cells:
            raise _refuse(path, f"the shared strings declare {attr.decode()}={int(value):,}",
                          f"ONBOARD_MAX_CELLS={limits.max_cells:,}")


def _worksheets(zf: zipfile.ZipFile, names: set[str]) -> set[str]:
    """Every worksheet part: by convention under xl/worksheets/, and whatever workbook.xml.rels points at."""
    found = {n for n in names if n.lower().startswith("xl/worksheets/") and n.lower().endswith(".xml")}
    rels = "xl/_rels/workbook.xml.rels"
    if rels in names and zf.getinfo(rels).file_size < MIB:
        for a, b in _SHEET_REL.findall(zf.read(rels)):
            target = (a or b).decode("utf-8", "replace").lstrip("/")
            target = target if target.startswith("xl/") else f"xl/{target}"
            if target in names:
                found.add(target)
    return found


def col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


# A literal lead (' r=') lets the regex engine skip ahead at C speed; writers put one space before attributes.
_PFX = rb"""[ ]r=["']"""


def _greater(value: bytes, lo: int, hi: int) -> bytes:
    """A regex matching strings of ``value``'s length over ``lo..hi`` that sort after it (= are larger)."""
    alts = []
    for i, ch in enumerate(value):
        if ch < hi:
            rest = len(value) - i - 1
            alts.append(re.escape(value[:i]) + b"[%c-%c]" % (ch + 1, hi) + (b"[%c-%c]{%d}" % (lo, hi, rest)))
    return b"(?:" + b"|".join(alts) + b")" if alts else b"(?!)"


@dataclass
class _Extent:
    """The largest column and row any cell (or row) reference reaches, found without a Python loop per cell:
    each chunk is searched (in C) only for a reference larger than the largest seen so far, so a well-formed
    sheet costs one pass per chunk however many cells it holds."""

    rows: int = 0
    cols: int = 0
    _col: bytes = b""
    _row: bytes = b""

    def add_refs(self, chunk: bytes) -> None:
        refs = list(_REF.finditer(chunk[-512:]))
        if refs:  # rows ascend in a normal sheet: the last reference is the best first guess
            tail = refs[-1]
            self._bump_col(tail.group(1).upper())
            self._bump_row(tail.group(2).lstrip(b"0") or b"0")
        while True:
            pat = re.compile(_PFX + rb"(?:[A-Z]{%d,}|%s)[0-9]" % (len(self._col) + 1, _greater(self._col, 65, 90)),
                             re.IGNORECASE)
            m = pat.search(chunk)
            if m is None:
                break
            ref = _REF.match(chunk, m.start())
            if ref is None:
                break
            self._bump_col(ref.group(1).upper())
        while True:
            pat = re.compile(_PFX + rb"[A-Za-z]*0*(?:[1-9][0-9]{%d,}|%s)[\"']" % (
                len(self._row), _greater(self._row, 48, 57)))
            m = pat.search(chunk)
            if m is None:
                break
            digits = re.match(_PFX + rb"[A-Za-z]*([0-9]+)", chunk[m.start():m.end()])
            if digits is None:
                break
            self._bump_row(digits.group(1).lstrip(b"0") or b"0")

    def _bump_col(self, letters: bytes) -> None:
        if (len(letters), letters) > (len(self._col), self._col):
            self._col = letters
            self.cols = col_number(letters)

    def _bump_row(self, digits: bytes) -> None:
        if (len(digits), digits) > (len(self._row), self._row):
            self._row = digits
            self.rows = int(digits)


def _check_sheet(zf: zipfile.ZipFile, name: str, path: Path, limits: Limits) -> None:
    size = zf.getinfo(name).file_size
    ext = _Extent()
    carry = b""
    first = True
    with zf.open(name) as fh:
        while True:
            block = fh.read(_CHUNK)
            if not block:
                break
            chunk = carry + block
            if first:
                first = False
                m = _DIM.search(chunk[:65536])
                if m:
                    c1, r1, c2, r2 = m.groups()
                    rows = int(r2) - int(r1) + 1 if r2 else 1
                    cols = col_number(c2) - col_number(c1) + 1 if c2 else 1
                    _check_extent(path, name, max(rows, 1), max(cols, 1), limits, "its dimension declares")
                if size > FULL_SCAN_BYTES:
                    # A big part is a big (real) sheet: scanning all of it would cost a third of the read
                    # itself; its dimension (checked above) and the zip-level size and ratio limits bound it.
                    ext.add_refs(chunk)
                    _check_extent(path, name, ext.rows, ext.cols, limits, "its cells reach")
                    return
            ext.add_refs(chunk)
            _check_extent(path, name, ext.rows, ext.cols, limits, "its cells reach")
            carry = chunk[-_CARRY:]


def _check_extent(path: Path, name: str, rows: int, cols: int, limits: Limits, how: str) -> None:
    if rows > EXCEL_MAX_ROWS or cols > EXCEL_MAX_COLS:
        raise _refuse(path, f"sheet part {name}: {how} {rows:,} rows x {cols:,} columns",
                      f"beyond Excel's {EXCEL_MAX_ROWS:,} x {EXCEL_MAX_COLS:,}")
    if rows * cols > limits.max_cells:
        raise _refuse(path, f"sheet part {name}: {how} {rows:,} rows x {cols:,} columns = {rows * cols:,} cells",
                      f"ONBOARD_MAX_CELLS={limits.max_cells:,}")
