"""Start reading a workbook before the rest of the program is imported (issue 18 a).

``onboard validate`` spent its first 0.6 s importing pandas, pyarrow and the validators before calamine
read a single cell. ``start_read`` needs none of them (fastexcel, lxml and the guard only): the command
calls it first, calamine parses the sheets on threads of their own, without the GIL, while the rest of the
program is imported, and ``read_order(..., early=...)`` takes the loaded sheets from there. The guard
(``transforms.guard``) has passed before any reader touches the file, as on the ordinary path.
"""

from __future__ import annotations

import os
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fastexcel
from lxml import etree

from core.limits import Limits
from data.sheets import find_sheet
from transforms.guard import inspect_input


@dataclass(frozen=True)
class EarlyRead:
    """A workbook that passed the guard (with ``limits``) and whose known sheets calamine is loading."""

    path: Path
    limits: Limits | None
    every: list[str]  # the workbook's sheet names, in its order
    names: list[str]  # the known sheets, in the order the threads take them (``read_order_of``)
    loads: dict[str, Future[Any]]  # name -> fastexcel's loaded sheet (or the exception loading it raised)


def start_read(path: Path, limits: Limits | None = None) -> EarlyRead | None:
    """Start loading the workbook's sheets; None when there is nothing to start: a folder, a CSV file, a file
    the guard refuses or fastexcel cannot open (``read_order`` meets that on its ordinary path and says so)."""
    path = Path(path)
    try:
        if path.is_dir() or (path.suffix.lower() == ".csv" and not zipfile.is_zipfile(path)):
            return None
        inspect_input(path, limits)
        reader = fastexcel.read_excel(path)
    except Exception:  # reported by read_order, in its words and at its time
        return None
    every = list(reader.sheet_names)  # not asked of ``reader`` again while a thread reads with it
    names = read_order_of(path, [n for n in every if find_sheet(n) is not None])

    def load(name: str) -> Any:
        own = reader if name == names[0] else fastexcel.read_excel(path)  # a reader per thread
        return own.load_sheet(name, header_row=None, skip_rows=0, dtypes="string")

    pool = ThreadPoolExecutor(max_workers=read_workers(len(names)), thread_name_prefix="early")
    loads = {n: pool.submit(load, n) for n in names}  # biggest first
    pool.shutdown(wait=False)  # the threads end with their last sheet
    return EarlyRead(path, limits, every, names, loads)


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
