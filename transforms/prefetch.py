"""Start reading a workbook before the rest of the program is imported (issue 18 a).

``onboard validate`` spends its first 0.4-0.8 s importing pandas, pandera and the validators, with one core
busy and the other idle. calamine parses without the GIL, so the command starts here, before those imports:
the guard (``transforms.guard``) inspects the file, then the biggest worksheet (the 1M-line Packages sheet
of a migration book) is read on a thread of its own while the main thread goes on importing.
``transforms.ingest.read_order`` then takes that sheet's table and reads the others as usual. Every
``read_order`` starts its read here too (a caller without an early read gets one there): the biggest sheet
is read while the guard checks the other sheets' parts.

Nothing here imports pandas, and nothing reaches the reader before the guard has passed the file with the
very limits ``read_order`` is given (``EarlyRead.serves`` checks path and limits; anything else is read
the ordinary way). A failure of any kind is kept and the ordinary path meets it again, in its usual order
and with its usual message, so an early read never changes what the user is told.
"""

from __future__ import annotations

import os
import threading
import zipfile
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastexcel
from lxml import etree

from core.errors import InputError
from core.limits import Limits
from data.sheets import find_sheet
from transforms.guard import inspect_head, inspect_part

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
    return _biggest_first(names, _sheet_parts(path))


def _biggest_first(names: list[str], parts: dict[str, tuple[str, int]]) -> list[str]:
    return sorted(names, key=lambda n: -parts.get(n, ("", 0))[1])  # stable: equal sizes keep sheet order


_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _sheet_parts(path: Path) -> dict[str, tuple[str, int]]:
    """Sheet name -> (its worksheet part, the part's uncompressed size), from xl/workbook.xml and its
    relationships (ECMA-376 Part 1, 18.2.19 ``sheet``: ``name`` and ``r:id``; the guard has bounded both
    parts' sizes)."""
    try:
        with zipfile.ZipFile(path) as zf:
            book = etree.fromstring(zf.read("xl/workbook.xml"), _SAFE_XML)
            rels = etree.fromstring(zf.read("xl/_rels/workbook.xml.rels"), _SAFE_XML)
            targets = {r.get("Id"): str(r.get("Target", "")).lstrip("/") for r in rels}
            parts: dict[str, tuple[str, int]] = {}
            for sheet in book.iter("{*}sheet"):
                target = targets.get(sheet.get(f"{_REL_NS}id"), "")
                part = target if target.startswith("xl/") else f"xl/{target}"
                parts[str(sheet.get("name"))] = (part, zf.getinfo(part).file_size)
            return parts
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
    guarded: bool = False  # every check of the guard has passed (False too when something else stopped it)

    def serves(self, path: Path, limits: Limits) -> bool:
        return Path(path) == self.path and limits == self.limits

    def opened(self) -> Opened | None:
        """The opened workbook; None when it is not one fastexcel opens (CSV, a folder, not a workbook): the
        ordinary path reads it and says what is wrong, guarding it first unless ``guarded``. The guard's
        InputError is raised as the guard raised it."""
        return self._opened.result()


def start_read(path: Path, limits: Limits) -> EarlyRead:
    """Guard, open and start reading ``path``'s biggest known sheet on a thread of its own; returns at once.
    The threads are not daemons: a process that ends early waits for a read already under way."""
    early = EarlyRead(Path(path), limits)
    threading.Thread(target=_run, args=(early,), name="early-read").start()
    return early


def _run(early: EarlyRead) -> None:
    """The guard's checks in their order (the file, the zip, the shared strings: what opening reads), then
    each worksheet part before that sheet is read: the biggest sheet's part first, its read started at once
    on a thread of its own, then the other parts while it reads. ``opened`` is answered only when every part
    has passed, so ``read_order`` reads nothing else before the whole guard has."""
    try:
        parts = inspect_head(early.path, early.limits)  # before any reader allocates anything the file declares
        if early.path.is_dir() or not zipfile.is_zipfile(early.path):
            early.guarded = True  # the head is the whole guard of a folder, a CSV file or a non-zip workbook
            early._opened.set_result(None)
            return
        reader = fastexcel.read_excel(early.path)  # opening reads what the head checked, no worksheet
        every = list(reader.sheet_names)
        layout = _sheet_parts(early.path)
        names = _biggest_first([n for n in every if find_sheet(n) is not None], layout)
        opened = Opened(reader, every, names)
        first = layout.get(names[0], ("", 0))[0] if names else ""
        if first in parts:  # its part checked, its read started, the other parts checked while it reads
            inspect_part(early.path, first, early.limits)
            _start_load(opened)
            parts = [p for p in parts if p != first]
        for part in parts:
            inspect_part(early.path, part, early.limits)
        if not opened.table.running() and not opened.table.done():  # an unusual layout: read once all passed
            _start_load(opened)
    except BaseException as exc:  # the guard's InputError, or anything the ordinary path will meet again
        if isinstance(exc, InputError):
            early._opened.set_exception(exc)
        else:
            early._opened.set_result(None)
        return
    early.guarded = True
    early._opened.set_result(opened)


def _start_load(opened: Opened) -> None:
    if not opened.names:
        opened.table.set_result(None)
        return
    opened.table.set_running_or_notify_cancel()
    threading.Thread(target=_load, args=(opened.reader, opened.names[0], opened.table),
                     name="early-read-sheet").start()


def _load(reader: Any, name: str, table: Future[Any]) -> None:
    try:
        table.set_result(reader.load_sheet(name, **READ_ARGS).to_arrow())
    except BaseException as exc:  # reported by ``transforms.ingest`` as for any sheet that cannot be read
        table.set_exception(exc)
