"""Normalizing each sheet of a workbook in its reader thread, as soon as it is read (issue 18 a).

calamine parses without the GIL: while one thread still reads the 1M-line Packages sheet, the thread that
read Customers, Locations and Numbers normalizes them (Customers' phone, e-mail and address rules are most
of normalize's time) instead of waiting. ``normalize`` takes these results only when the sheet's frame and
the catalog are the very ones they were made from (``RawOrder.prepared``), so findings are the same."""

from __future__ import annotations

from typing import Any

from data.catalog import Catalog, load_catalog
from data.sheets import Sheet
from transforms.ingest import Ahead, RawOrder
from transforms.normalize import normalize_sheet


def normalize_ahead(catalog: Catalog | None = None) -> Ahead:
    """An ``Ahead`` for ``read_order``; without a catalog, the one ``check_order`` will load (cached)."""

    def run(sheet: Sheet, scratch: RawOrder) -> tuple[object, Any]:
        used = catalog or load_catalog()
        return used, normalize_sheet(sheet, scratch, used)

    return Ahead(run)
