"""Every finding code on its case workbook (tests/cases/code_<CODE>.xlsx): the exact findings."""

from __future__ import annotations

from datetime import date

import pytest

from data.catalog import Catalog
from tests.validators.conftest import make_inventory
from validators import CODES, validate_order

TODAY = date(2025, 6, 1)

# case -> exact set of (sheet, row, column, code)
EXPECTED: dict[str, set[tuple[str, int, str | None, str]]] = {
    "REQUIRED_MISSING": {("Customers", 2, "First Name", "REQUIRED_MISSING")},
    "INVALID_FORMAT": {("Customers", 2, "Email", "INVALID_FORMAT"), ("Customers", 3, "Zip", "INVALID_FORMAT"),
                       ("Customers", 2, "Billing Start Date", "INVALID_FORMAT")},
    "VALUE_REPAIRED": {("Customers", 2, "Main Number", "VALUE_REPAIRED"), ("Locations", 3, "Zip", "VALUE_REPAIRED")},
    "DOMAIN_HAS_SCHEME": {("Customers", 2, "Default Domain", "DOMAIN_HAS_SCHEME")},
    "TIMEZONE_UNKNOWN": {("Customers", 2, "Time Zone", "TIMEZONE_UNKNOWN")},
    "BILLING_TYPE_UNKNOWN": {("Customers", 2, "Billing Type", "BILLING_TYPE_UNKNOWN")},
    "BILLING_START_PAST": {("Customers", 2, "Billing Start Date", "BILLING_START_PAST")},
    "DUPLICATE_ACCOUNT": {("Customers", 2, "Account Name", "DUPLICATE_ACCOUNT"),
                          ("Customers", 4, "Account Name", "DUPLICATE_ACCOUNT")},
    "UNKNOWN_ACCOUNT": {("Packages", 7, "Account Name", "UNKNOWN_ACCOUNT")},
    "NO_PACKAGES": {("Customers", 4, "Account Name", "NO_PACKAGES")},
    "UNKNOWN_ORDER_TYPE": {("Packages", 7, "Order Type", "UNKNOWN_ORDER_TYPE")},
    "UNKNOWN_PACKAGE": {("Packages", 7, "Package", "UNKNOWN_PACKAGE")},
    "ORDER_TYPE_RESERVED": {("Packages", 7, "Order Type", "ORDER_TYPE_RESERVED")},
    "TRUNKING_NOT_SUPPORTED": {("Packages", 7, "Order Type", "TRUNKING_NOT_SUPPORTED")},
    "QUANTITY_INVALID": {("Packages", 7, "Quantity", "QUANTITY_INVALID")},
    "QUANTITY_DEFAULTED": {("Packages", 6, "Quantity", "QUANTITY_DEFAULTED")},
    "E911_MISSING": {("Customers", 3, "Notes", "E911_MISSING")},
    "DID_NO_SEATS": {("DIDs", 4, "Quantity", "DID_NO_SEATS")},
    "DID_QUOTA_EXCEEDED": {("DIDs", 2, "Quantity", "DID_QUOTA_EXCEEDED"), ("DIDs", 4, "Numbers", "DID_QUOTA_EXCEEDED")},
    "DID_IS_PORTING": {("DIDs", 4, "Numbers", "DID_IS_PORTING")},
    "DID_NOT_AVAILABLE": {("DIDs", 4, "Numbers", "DID_NOT_AVAILABLE")},
    "DID_BACKORDER": {("DIDs", 2, "Quantity", "DID_BACKORDER")},
    "FAX_INFO_MISSING": {("DIDs", 3, "Fax Email", "FAX_INFO_MISSING"), ("Packages", 6, "Notes", "FAX_INFO_MISSING")},
    "TOLL_FREE_NOTE_MISSING": {("Packages", 4, "Notes", "TOLL_FREE_NOTE_MISSING")},
    "UNKNOWN_COLUMN": {("Customers", 1, "Sales Rep", "UNKNOWN_COLUMN")},
    "SMART_RECORD_INFO_MISSING": {("Packages", 7, "Notes", "SMART_RECORD_INFO_MISSING")},
    "UNKNOWN_SHEET": {("Site Survey", 1, None, "UNKNOWN_SHEET")},
    "VALUE_TOO_LONG": {("Customers", 3, "Company", "VALUE_TOO_LONG"), ("Locations", 2, "City", "VALUE_TOO_LONG")},
    "INVALID_CHARACTERS": {("Customers", 2, "Last Name", "INVALID_CHARACTERS")},
}
WITH_INVENTORY = {"DID_NOT_AVAILABLE": make_inventory(), "DID_BACKORDER": make_inventory(n512=2)}


def _found(result) -> set[tuple[str, int, str | None, str]]:  # type: ignore[no-untyped-def]
    return {(f.sheet, f.row, f.column, f.code) for f in result.findings}


def test_clean_workbook_has_no_finding(load, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    r = validate_order(load("clean.xlsx"), catalog, inventory=make_inventory(), today=TODAY)
    assert r.findings == []
    assert r.totals.as_dict() == {"total": 2, "valid": 2, "held": 0, "skipped": 0}
    assert r.valid == {"acme dental", "maple clinic"} and not r.held


def test_every_code_has_a_case() -> None:
    existing_cases = {"CUSTOMER_EXISTS", "ALREADY_ONBOARDED"}  # need earlier batches: tested below
    existing_cases |= {"ENTERPRISE_NOT_FOUND", "CUSTOMER_NOT_FOUND", "BILLING_TYPE_MISMATCH"}  # test_follow_on.py
    existing_cases |= {"HEADER_NOT_ON_ROW_1"}  # ingest reports it (nothing else is read): tests/transforms
    workbook_cases = {"PASSWORD_MASKED", "NO_CUSTOMERS"}  # round trips through our reports: test_workbook_trust.py
    assert set(EXPECTED) | existing_cases | workbook_cases == set(CODES)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_case(code: str, load, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    r = validate_order(load(f"code_{code}.xlsx"), catalog, inventory=WITH_INVENTORY.get(code), today=TODAY)
    assert _found(r) == EXPECTED[code]
    sev = CODES[code].severity
    mine = [f for f in r.findings if f.code == code]
    assert mine and all(f.severity == sev and len(f.message) > 30 for f in mine)
    held_accounts = {" ".join(f.account.casefold().split()) for f in r.findings if f.severity == "error"}
    assert r.held == held_accounts & {"acme dental", "maple clinic", "bare bones llc"}
    assert r.totals.total == r.totals.valid + r.totals.held + r.totals.skipped


def test_findings_carry_account_and_value(load, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    r = validate_order(load("code_INVALID_FORMAT.xlsx"), catalog, today=TODAY)
    f = next(x for x in r.findings if x.column == "Email")
    assert (f.account, f.value, f.severity) == ("Acme Dental", "billing@acme", "error")
    assert "billing@acme" in f.message
    frame = r.findings_frame()
    assert list(frame.columns) == ["sheet", "row", "column", "code", "severity", "message", "account", "value"]
    assert frame["row"].tolist() == [2, 2, 3]
    assert r.totals.as_dict() == {"total": 2, "valid": 0, "held": 2, "skipped": 0}


def test_e911_pending_is_a_warning(load, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    r = validate_order(load("code_E911_MISSING.xlsx"), catalog, allow_pending_e911=True, today=TODAY)
    assert [(f.code, f.severity) for f in r.findings] == [("E911_MISSING", "warning")]
    assert not r.held


def test_billing_start_past_not_under_migration(load, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    r = validate_order(load("code_BILLING_START_PAST.xlsx"), catalog, migration=True, today=TODAY)
    assert r.findings == []


def test_already_onboarded_and_customer_exists(load, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    first = validate_order(load("clean.xlsx"), catalog, today=TODAY)
    existing = dict(first.fingerprints)
    again = validate_order(load("clean.xlsx"), catalog, existing=existing, today=TODAY)
    assert _found(again) == {("Customers", 2, "Account Name", "ALREADY_ONBOARDED"),
                             ("Customers", 3, "Account Name", "ALREADY_ONBOARDED")}
    assert again.skipped == {"acme dental", "maple clinic"}
    assert again.totals.as_dict() == {"total": 2, "valid": 0, "held": 0, "skipped": 2}
    # A different order for an onboarded customer (Acme asks for one more DID here).
    changed = validate_order(load("code_DID_BACKORDER.xlsx"), catalog, existing=existing, today=TODAY)
    assert _found(changed) == {("Customers", 2, "Account Name", "CUSTOMER_EXISTS"),
                               ("Customers", 3, "Account Name", "ALREADY_ONBOARDED")}
    assert changed.held == {"acme dental"} and changed.skipped == {"maple clinic"}


def test_fingerprint_stable_across_formats(load, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    fx = validate_order(load("clean.xlsx"), catalog, today=TODAY).fingerprints
    csv = validate_order(load("clean_csv"), catalog, today=TODAY).fingerprints
    aliases = validate_order(load("aliases.xlsx"), catalog, today=TODAY).fingerprints
    assert fx == csv == aliases
    other = validate_order(load("code_QUANTITY_DEFAULTED.xlsx"), catalog, today=TODAY).fingerprints
    assert other["acme dental"] == fx["acme dental"]  # same lines (blank quantity -> 1 == 1)
    assert validate_order(load("code_DID_BACKORDER.xlsx"), catalog, today=TODAY).fingerprints["acme dental"] != \
        fx["acme dental"]


def test_blank_rows_keep_excel_row_numbers(load, catalog: Catalog) -> None:  # type: ignore[no-untyped-def]
    r = validate_order(load("blank_rows.xlsx"), catalog, today=TODAY)
    assert _found(r) == {("Packages", 9, "Quantity", "QUANTITY_INVALID")}
