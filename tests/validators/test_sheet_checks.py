"""Per-sheet validation run ahead in the reader threads (validators.sheet_checks): the same findings, in the
same order, as the ordinary path, and the ahead results are really taken (else both paths are one)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook

from data.samples.generate import SAMPLE
from data.sheets import Sheet
from onboard import commands
from transforms.ahead import normalize_ahead
from transforms.ingest import InputError, RawOrder, read_order
from validators import sheet_checks as SC
from validators.cells import cell_findings
from validators.check import check_order
from validators.limits import limit_findings
from validators.sheet_checks import SheetChecks, check_ahead

CASES = Path(__file__).resolve().parents[1] / "cases"
BOOKS = [*sorted(CASES.glob("*.xlsx")), SAMPLE]


def _read(path: Path, ahead: Any) -> RawOrder | str:
    try:
        return read_order(path, ahead=ahead)
    except InputError as exc:
        return f"{type(exc).__name__}: {exc}"


def _checked_sheets(raw: RawOrder, migration: bool) -> tuple[pd.DataFrame, list[str]]:
    checked = check_order(raw, existing=None, inventory=None, fingerprints=False, migration=migration)
    order = checked.result.order
    return checked.findings, [s for s in order.sheets if isinstance(order.prepared(s), SheetChecks)]


@pytest.mark.parametrize("migration", [False, True], ids=["order", "migration"])
@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_same_findings_with_and_without_checks_ahead(path: Path, migration: bool) -> None:
    plain, early = _read(path, None), _read(path, check_ahead())
    if isinstance(plain, str) or isinstance(early, str):
        assert plain == early
        return
    want, none = _checked_sheets(plain, migration)
    got, used = _checked_sheets(early, migration)
    assert none == []
    assert "Customers" in used  # the reader threads did check (else this compares a path with itself)
    pd.testing.assert_frame_equal(want, got)
    # and the order-wide functions the ahead path replaces agree with it, list order included
    order = check_order(early, existing=None, inventory=None, fingerprints=False).result.order
    assert SC.order_cells(order, migration=migration) == cell_findings(order, migration=migration)
    assert SC.order_limits(order) == limit_findings(order)


def test_the_ahead_results_are_used(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = read_order(SAMPLE, ahead=check_ahead())
    seen: list[str] = []
    cells, limits = SC.sheet_cell_findings, SC.sheet_limit_findings

    def count_cells(sheet: Sheet, frame: pd.DataFrame, *, migration: bool = False) -> list[Any]:
        seen.append(f"cells {sheet.name}")
        return cells(sheet, frame, migration=migration)

    def count_limits(sheet: str, frame: pd.DataFrame) -> list[Any]:
        seen.append(f"limits {sheet}")
        return limits(sheet, frame)

    monkeypatch.setattr(SC, "sheet_cell_findings", count_cells)
    monkeypatch.setattr(SC, "sheet_limit_findings", count_limits)
    checked = check_order(raw, existing=None, inventory=None, fingerprints=False)
    order = checked.result.order
    ahead = {s for s in order.sheets if order.prepared(s) is not None}
    assert {"Customers", "Packages"} <= ahead
    assert seen  # sheets not checked ahead (absent ones, Locations with E911 from Notes) are checked here
    assert not [s for s in seen if s.split(" ", 1)[1] in ahead]
    monkeypatch.undo()
    assert checked.findings.equals(check_order(read_order(SAMPLE), existing=None, inventory=None,
                                               fingerprints=False).findings)


def test_a_sheet_replaced_after_its_checks_is_checked_again() -> None:
    raw = read_order(CASES / "clean.xlsx", ahead=check_ahead())
    order = check_order(raw, existing=None, inventory=None, fingerprints=False).result.order
    assert "Customers" in order.sheets["Locations"]["_sheet"].tolist()
    assert "Locations" in order.ahead  # checked ahead in the reader thread ...
    assert order.prepared("Locations") is None  # ... but E911 from Customers.Notes made a new frame of it
    order.sheets["Customers"] = order.sheets["Customers"].copy()  # a caller changed a sheet
    assert order.prepared("Customers") is None


def test_a_blank_billing_start_date_under_migration(tmp_path: Path) -> None:
    """The one per-sheet rule that depends on ``migration``: the ahead result (checked as an order) drops it."""
    wb = load_workbook(CASES / "clean.xlsx")
    ws = wb["Customers"]
    col = [c.value for c in ws[1]].index("Billing Start Date") + 1
    ws.cell(row=2, column=col).value = None
    path = tmp_path / "no_start.xlsx"
    wb.save(path)
    for migration in (False, True):
        want, _ = _checked_sheets(read_order(path), migration)
        got, used = _checked_sheets(read_order(path, ahead=check_ahead()), migration)
        assert "Customers" in used
        pd.testing.assert_frame_equal(want, got)
        missing = want[(want["code"] == "REQUIRED_MISSING") & (want["column"] == "Billing Start Date")]
        assert len(missing) == (0 if migration else 1)


def test_failing_checks_leave_the_sheet_to_the_ordinary_path() -> None:
    def boom(sheet: Sheet, frame: pd.DataFrame) -> object:
        raise RuntimeError("not now")

    raw = read_order(SAMPLE, ahead=normalize_ahead(then=boom))
    assert raw.ahead  # still normalized ahead
    got, used = _checked_sheets(raw, False)
    assert used == []
    want, _ = _checked_sheets(read_order(SAMPLE), False)
    pd.testing.assert_frame_equal(want, got)


def test_onboard_validate_checks_the_sheets_ahead(monkeypatch: pytest.MonkeyPatch, isolated_home: Path) -> None:
    calls: list[str] = []
    real = SC.sheet_checks

    def spy(sheet: Sheet, frame: pd.DataFrame) -> SheetChecks:
        calls.append(sheet.name)
        return real(sheet, frame)

    monkeypatch.setattr(SC, "sheet_checks", spy)
    doc = commands.validate(SAMPLE, None, False, None)
    assert {"Customers", "Packages"} <= set(calls)

    def boom(sheet: Sheet, frame: pd.DataFrame) -> SheetChecks:
        raise RuntimeError("not now")

    monkeypatch.setattr(SC, "sheet_checks", boom)  # every sheet checked on the ordinary path instead
    assert commands.validate(SAMPLE, None, False, None) == doc
    assert doc["findings"]


def test_the_packages_pairs_factorized_once_give_what_each_rule_finds_alone() -> None:
    from data.catalog import load_catalog
    from transforms.normalize import factorize_pairs, normalize
    from validators.dids import did_findings, package_totals
    from validators.rules import catalog_findings

    catalog = load_catalog()
    order, _ = normalize(read_order(SAMPLE), catalog)
    pk = order.sheets["Packages"]
    pairs = factorize_pairs(pk["order_type"], pk["package"])
    assert catalog_findings(order, catalog, pairs) == catalog_findings(order, catalog)
    assert catalog_findings(order, catalog)  # the sample orders packages the catalog refuses
    pd.testing.assert_frame_equal(package_totals(order, catalog, pairs), package_totals(order, catalog))
    assert did_findings(order, catalog, migration=False, pairs=pairs) == did_findings(order, catalog, migration=False)
