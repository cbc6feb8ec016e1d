"""The per-sheet part of validation, run ahead in the reader threads (issue 18 a).

``validate_order`` starts with rules that read one sheet only: the pandera schema of each sheet with the
country checks (``cells``) and what each system can carry (``limits``). ``check_ahead`` runs them on the
thread that read and normalized the sheet, while calamine still parses the 1M-line Packages sheet on the
other one; ``order_cells`` / ``order_limits`` take them only for a sheet whose normalized frame is still the
very one they were made from (``NormalizedOrder.prepared``), else compute them as before. Either way the
findings are the same, in the same order: each sheet's list is what its part of ``cell_findings`` /
``limit_findings`` gives, joined in the same sheet order.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd

from data.catalog import Catalog
from data.sheets import SHEETS, Sheet
from transforms.ahead import normalize_ahead
from transforms.ingest import Ahead
from transforms.normalize import NormalizedOrder, empty_frame
from validators.cells import sheet_cell_findings
from validators.findings import Finding
from validators.limits import sheet_limit_findings
from validators.schemas import schema

# The one schema rule that depends on ``migration``: under a migration the Billing Start Date may be blank
# (``validators.schemas.schema``). Ahead, the sheet is checked as an order; a migration drops exactly these.
_MIGRATION_DROPS = ("Customers", "REQUIRED_MISSING", "Billing Start Date")


@dataclass(frozen=True)
class SheetChecks:
    cells: list[Finding]  # sheet_cell_findings(sheet, frame, migration=False)
    limits: list[Finding]  # sheet_limit_findings(sheet, frame)

    def cells_for(self, sheet: str, migration: bool) -> list[Finding]:
        if not migration or sheet != _MIGRATION_DROPS[0]:
            return self.cells
        return [f for f in self.cells if (f.sheet, f.code, f.column) != _MIGRATION_DROPS]


_READY = threading.Lock()
_warm: set[bool] = set()


def ready(migration: bool = False) -> None:
    """pandera registers its backends on the first ``validate`` of a process (about a second, importing its
    strategies): done once, under a lock, so that a reader thread and ``check.warm_up`` never do it at once."""
    with _READY:
        if migration in _warm:
            return
        for sheet in SHEETS:
            schema(sheet.name, migration).validate(empty_frame(sheet))
        _warm.add(migration)


def sheet_checks(sheet: Sheet, frame: pd.DataFrame) -> SheetChecks:
    ready()
    return SheetChecks(sheet_cell_findings(sheet, frame), sheet_limit_findings(sheet.name, frame))


def check_ahead(catalog: Catalog | None = None) -> Ahead:
    """``normalize_ahead`` that also runs the per-sheet checks of each sheet in its reader thread."""
    return normalize_ahead(catalog, then=sheet_checks)


def _prepared(order: NormalizedOrder, sheet: str) -> SheetChecks | None:
    got = order.prepared(sheet)
    return got if isinstance(got, SheetChecks) else None


def order_cells(order: NormalizedOrder, *, migration: bool = False) -> list[Finding]:
    """``cells.cell_findings``, with the sheets checked ahead taken as they were checked."""
    out: list[Finding] = []
    for sheet in SHEETS:
        pre = _prepared(order, sheet.name)
        out += (pre.cells_for(sheet.name, migration) if pre is not None
                else sheet_cell_findings(sheet, order.sheets[sheet.name], migration=migration))
    return out


def order_limits(order: NormalizedOrder) -> list[Finding]:
    """``limits.limit_findings``, with the sheets checked ahead taken as they were checked."""
    out: list[Finding] = []
    for name, frame in order.sheets.items():
        pre = _prepared(order, name)
        out += pre.limits if pre is not None else sheet_limit_findings(name, frame)
    return out
