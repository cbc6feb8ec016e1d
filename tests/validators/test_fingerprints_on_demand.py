"""Issue 18 (a): ``onboard validate`` skips the order fingerprints when no earlier batch needs them; the
findings are the same, and with earlier customers they are built and decide as before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from data.catalog import Catalog
from transforms.normalize import NormalizedOrder
from validators.validate import validate_order

TODAY = date(2026, 11, 30)


def _codes(result: object) -> list[tuple[str, int | None, str | None, str]]:
    return [(f.sheet, f.row, f.column, f.code) for f in result.findings]  # type: ignore[attr-defined]


def test_without_existing_no_fingerprints_and_same_findings(
        load: Callable[[str], NormalizedOrder], catalog: Catalog) -> None:
    for case in ("clean.xlsx", "code_INVALID_FORMAT.xlsx", "code_DUPLICATE_ACCOUNT.xlsx"):
        full = validate_order(load(case), catalog, today=TODAY)
        lean = validate_order(load(case), catalog, today=TODAY, fingerprints=False)
        assert full.fingerprints and lean.fingerprints == {}
        assert _codes(lean) == _codes(full)
        assert lean.totals == full.totals


def test_existing_customers_still_get_fingerprinted(load: Callable[[str], NormalizedOrder], catalog: Catalog) -> None:
    full = validate_order(load("clean.xlsx"), catalog, today=TODAY)
    existing = dict(full.fingerprints)  # the same order onboarded before: every customer ALREADY_ONBOARDED
    lean = validate_order(load("clean.xlsx"), catalog, today=TODAY, existing=existing, fingerprints=False)
    assert lean.fingerprints == full.fingerprints
    assert lean.skipped == set(existing) and "ALREADY_ONBOARDED" in {f.code for f in lean.findings}
