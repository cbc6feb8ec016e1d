"""Normalizing each sheet of a workbook in its reader thread, as soon as it is read (issue 18 a).

calamine parses without the GIL: while one thread still reads the 1M-line Packages sheet, the thread that
read Customers, Locations and Numbers normalizes them (Customers' phone, e-mail and address rules are most
of normalize's time) instead of waiting. ``normalize`` takes these results only when the sheet's frame and
the catalog are the very ones they were made from (``RawOrder.prepared``), so findings are the same.

``then`` goes one step further on the same thread: work on the normalized sheet alone (the per-sheet
validation of ``validators.sheet_checks``), kept beside that frame in ``NormalizedOrder.ahead`` and taken
only while the order still holds that very frame (``NormalizedOrder.prepared``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from data.catalog import Catalog, load_catalog
from data.sheets import Sheet
from transforms.ingest import Ahead, RawOrder
from transforms.normalize import normalize_sheet

# (sheet, its normalized frame) -> what the validators need of that sheet alone
SheetWork = Callable[[Sheet, pd.DataFrame], Any]


def normalize_ahead(catalog: Catalog | None = None, then: SheetWork | None = None) -> Ahead:
    """An ``Ahead`` for ``read_order``; without a catalog, the one ``check_order`` will load (cached)."""

    def run(sheet: Sheet, scratch: RawOrder) -> tuple[object, Any]:
        used = catalog or load_catalog()
        frame, found = normalize_sheet(sheet, scratch, used)
        if then is None:
            return used, (frame, found)
        try:
            later = then(sheet, frame)
        except Exception:  # the validators run it again on their usual path and report what it meets there
            return used, (frame, found)
        return used, (frame, found, later)

    return Ahead(run)
