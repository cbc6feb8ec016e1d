"""Start reading a workbook before the rest of the program is imported (issue 18 a).

``onboard validate`` spends its first 0.4-0.8 s importing pandas, pandera and the validators, with one core
busy and the other idle. calamine parses without the GIL, so the command starts here, before those imports:
the guard (``transforms.guard``) inspects the file, then the biggest worksheet (the 1M-line Packages sheet
of a migration book) is read on a thread of its own while the main thread goes on importing.
``transforms.ingest.read_order`` then takes that sheet's table and reads the others as usual.

Nothing here imports pandas, and nothing reaches the reader before the guard has passed the file with the
very limits ``read_order`` is given (``EarlyRead.serves`` checks path and limits; anything else is read
the ordinary way). A failure of any kind is kept and the ordinary path meets it again, in its usual order
and with its usual message, so an early read never changes what the user is told.
"""

from __future__ import annotations

import os
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastexcel
from lxml import etree

from core.errors import InputError
from core.limits import Limits
from data.sheets import find_sheet
from transforms.guard import inspect_input

# What ``transforms.ingest`` asks of fastexcel for every sheet: row 1 read as data (leading blank rows keep
# their place; duplicated headers are seen as written) and every cell as text.
READ_ARGS: dict[str, Any] = {"header_row": None, "skip_rows": 0, "dtypes": "string"}


def read_workers(sheets: int) -> int:
    """Threads that read the sheets of a workbook (``bench.ingest`` reads its baseline with as many).
    calamine parses without the GIL: the sheets of a big book (a 1M-line Packages sheet beside the others)
    are read side by side."""
    return max(1, min(sheets, os.cpu_count() or 1, 4))


def read_order_of(path: Path, names: list[str]) -> list[str]:
    """The sheets in the order the reader threads take them: the biggest worksheet part first (the 1M-line
    Packages sheet on a thread of its own from the start, the small sheets on the other one), instead of
    sheet order, where the big sheet waited for a thread to finish Customers or Locations. ``bench.ingest``
    reads its baseline in the same order. Unknown sizes (an unusual workbook layout) keep sheet order."""
    sizes = _part_sizes(path)
    return sorted(names, key=lambda n: -sizes.get(n, 0))  # stable: equal sizes keep sheet order


_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _part_sizes(path: Path) -> dict[str, int]:
    """Sheet name -> uncompressed size of its worksheet part, from xl/workbook.xml and its relationships
    (ECMA-376 Part 1, 18.2.19 ``sheet``: ``name`` and ``r:id``; the guard has bounded both parts' sizes)."""
    try:
        with zipfile.ZipFile(path) as zf:
            book = etree.fromstring(zf.read("xl/workbook.xml"), _SAFE_XML)
            rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"), _SAFE_XML)
            targets = {r.get("Id"): str(r.get("Target", "")).lstrip("/") for r in rels}
            sizes: dict[str, int] = {}
            for sheet in book.iter("{*}sheet"):
                target = targets.get(sheet.get(f"{_REL_NS}id"), "")
                part = target if target.startswith("xl/") else f"xl/{target}"
                sizes[str(sheet.get("name"))] = zf.getinfo(part).file_size
            return sizes
    except (KeyError, OSError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return {}


@dataclass
class Opened:
    """A workbook the guard passed, opened: its sheets, the known ones in reading order, and the first of
    those being read (``table``: its Arrow table, or the exception the read raised)."""

    reader: Any  # fastexcel.ExcelReader, borrowed by the thread reading ``names[0]`` until ``table`` is done
    every: list[str]
    names: list[str]
    table: Future[Any] = field(default_factory=Future)


@dataclass
class EarlyRead:
    path: Path
    limits: Limits
    _opened: Future[Opened | None] = field(default_factory=Future)

    def serves(self, path: Path, limits: Limits) -> bool:
        return Path(path) == self.path and limits == self.limits

    def opened(self) -> Opened | None:
        """The opened workbook; None when it is not one fastexcel opens (CSV, a folder, not a workbook): the
        ordinary path reads it and says what is wrong. The guard's InputError is raised as the guard raised it."""
        return self._opened.result()


def start_read(path: Path, limits: Limits) -> EarlyRead:
    """Guard, open and start reading ``path``'s biggest known sheet on a thread of its own; returns at once."""
    early = EarlyRead(Path(path), limits)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="early-read")
    pool.submit(_run, early)
    pool.shutdown(wait=False)  # the thread ends with its read; exiting the process waits for it
    return early


def _run(early: EarlyRead) -> None:
    try:
        inspect_input(early.path, early.limits)  # before any reader allocates anything from what the file declares
        if early.path.is_dir() or not zipfile.is_zipfile(early.path):
            early._opened.set_result(None)
            return
        reader = fastexcel.read_excel(early.path)
        every = list(reader.sheet_names)
        names = read_order_of(early.path, [n for n in every if find_sheet(n) is not None])
    except BaseException as exc:  # the guard's InputError, or anything the ordinary path will meet again
        if isinstance(exc, InputError):
            early._opened.set_exception(exc)
        else:
            early._opened.set_result(None)
        return
    opened = Opened(reader, every, names)
    early._opened.set_result(opened)
    if not names:
        opened.table.set_result(None)
        return
    try:
        opened.table.set_result(reader.load_sheet(names[0], **READ_ARGS).to_arrow())
    except BaseException as exc:  # reported by ``transforms.ingest`` as for any sheet that cannot be read
        opened.table.set_exception(exc)

