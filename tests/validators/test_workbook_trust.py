"""Workbooks a clerk can trust (issue 16): a masked password never becomes a password, no customers is a
finding, near misses get 'did you mean', a DID cascade names its cause, no message starts with an apostrophe."""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from data.catalog import Catalog
from reports.error_workbook import write_error_workbook
from tests.validators.conftest import make_inventory
from transforms.ingest import read_order
from transforms.normalize import normalize
from validators import ValidationResult, validate_order
from validators.suggestions import did_you_mean, fold, package_hint
from validators.workbook_checks import is_masked

TODAY = date(2025, 6, 1)


def _validate(path: Path, catalog: Catalog, **kw: Any) -> ValidationResult:
    order, _ = normalize(read_order(path), catalog)
    return validate_order(order, catalog, today=TODAY, **kw)


def _edit(src: Path, out: Path, sheet: str, edits: dict[tuple[int, str], object]) -> Path:
    """A copy of a case workbook with cells changed, addressed by (row, header label)."""
    wb = load_workbook(src)
    ws = wb[sheet]
    cols = {c.value: c.column for c in ws[1]}
    for (row, label), value in edits.items():
        ws.cell(row=row, column=cols[label]).value = value
    wb.save(out)
    return out


# --- PASSWORD_MASKED -------------------------------------------------------------------------------------

def test_masked_password_round_trip(cases: Path, catalog: Catalog, tmp_path: Path) -> None:
    """Write the error workbook, send the annotated copy back through validate: PASSWORD_MASKED, held."""
    src = _edit(cases / "clean.xlsx", tmp_path / "order.xlsx", "Customers", {(2, "First Name"): None})
    first = _validate(src, catalog)
    assert first.held == {"acme dental"}  # REQUIRED_MISSING; Maple Clinic is valid
    annotated, held_back = write_error_workbook(src, first.findings_frame(), tmp_path / "order.errors.xlsx",
                                                held_accounts=set(first.held))
    # The partner fixes the first name in the annotated copy (as the README invites) and uploads it.
    fixed = _edit(annotated, tmp_path / "order.errors.fixed.xlsx", "Customers", {(2, "First Name"): "Jane"})
    again = _validate(fixed, catalog)
    masked = [f for f in again.findings if f.code == "PASSWORD_MASKED"]
    assert {(f.sheet, f.row, f.column, f.severity) for f in masked} == {
        ("Customers", 2, "Password", "error"), ("Customers", 3, "Password", "error")}
    assert {f.account for f in masked} == {"Acme Dental", "Maple Clinic"}
    assert all("type the customer's billing portal password again" in f.message for f in masked)
    assert again.held == {"acme dental", "maple clinic"} and again.valid == set()
    # The held-back file keeps what the partner typed: fixed and uploaded, no mask, nothing held.
    fixed_held = _edit(held_back, tmp_path / "held.fixed.xlsx", "Customers", {(2, "First Name"): "Jane"})
    ok = _validate(fixed_held, catalog, inventory=make_inventory())
    assert not [f for f in ok.findings if f.severity == "error"] and ok.valid == {"acme dental"}


@pytest.mark.parametrize("value,masked", [("********", True), (" ******* ", True), ("*********", True),
                                          ("***", True), ("**", False), ("pa**word", False), ("S3cret!", False)])
def test_what_counts_as_the_mask(value: str, masked: bool) -> None:
    assert is_masked(value) is masked


# --- NO_CUSTOMERS ----------------------------------------------------------------------------------------

def test_a_workbook_without_customer_rows_is_no_customers(cases: Path, catalog: Catalog, tmp_path: Path) -> None:
    wb = load_workbook(cases / "clean.xlsx")
    ws = wb["Customers"]
    ws.delete_rows(2, ws.max_row)
    wb.save(tmp_path / "empty.xlsx")
    r = _validate(tmp_path / "empty.xlsx", catalog)
    nc = [f for f in r.findings if f.code == "NO_CUSTOMERS"]
    assert [(f.sheet, f.row, f.column, f.severity) for f in nc] == [("Customers", 1, None, "error")]
    assert "no customer rows" in nc[0].message
    assert r.totals.as_dict() == {"total": 0, "valid": 0, "held": 0, "skipped": 0}
    assert not [f for f in _validate(cases / "clean.xlsx", catalog).findings if f.code == "NO_CUSTOMERS"]


# --- did you mean ----------------------------------------------------------------------------------------

Edit = tuple[str, dict[tuple[int, str], object], str, str]
NEAR_MISSES: list[Edit] = [
    ("Packages", {(2, "Package"): "Enterprise Standrad"}, "UNKNOWN_PACKAGE", "Did you mean 'Enterprise Standard'?"),
    ("Packages", {(2, "Order Type"): "Hosted PXB"}, "UNKNOWN_ORDER_TYPE", "Did you mean 'Hosted PBX'?"),
    ("Customers", {(2, "Billing Type"): "Multi-Group - Bill Enterprize"}, "BILLING_TYPE_UNKNOWN",
     "Did you mean 'Multi-Group - Bill Enterprise'?"),
    ("Customers", {(2, "Time Zone"): "America/Chicgo"}, "TIMEZONE_UNKNOWN", "Did you mean 'America/Chicago'?"),
    ("Customers", {(2, "Time Zone"): "Centrl"}, "TIMEZONE_UNKNOWN", "Did you mean 'Central'?"),
]


@pytest.mark.parametrize("sheet,edits,code,hint", NEAR_MISSES, ids=[e[3] for e in NEAR_MISSES])
def test_near_miss_gets_did_you_mean(sheet: str, edits: dict[tuple[int, str], object], code: str, hint: str,
                                     cases: Path, catalog: Catalog, tmp_path: Path) -> None:
    r = _validate(_edit(cases / "clean.xlsx", tmp_path / "o.xlsx", sheet, edits), catalog)
    mine = [f for f in r.findings if f.code == code]
    assert len(mine) == 1 and hint in mine[0].message, [f.message for f in r.findings]


@pytest.mark.parametrize("sheet,label,value,code", [
    ("Packages", "Package", "Banana Phone", "UNKNOWN_PACKAGE"),
    ("Packages", "Order Type", "Groceries", "UNKNOWN_ORDER_TYPE"),
    ("Customers", "Time Zone", "Mars/Olympus", "TIMEZONE_UNKNOWN"),
    ("Customers", "Billing Type", "Monthly", "BILLING_TYPE_UNKNOWN"),
])
def test_far_off_values_get_no_guess(sheet: str, label: str, value: str, code: str, cases: Path, catalog: Catalog,
                                     tmp_path: Path) -> None:
    r = _validate(_edit(cases / "clean.xlsx", tmp_path / "o.xlsx", sheet, {(2, label): value}), catalog)
    mine = [f for f in r.findings if f.code == code]
    assert len(mine) == 1 and "Did you mean" not in mine[0].message


def test_did_you_mean_itself() -> None:
    assert did_you_mean("Enterprise Standrad", ["Enterprise Standard", "Enterprise Premium"]) == "Enterprise Standard"
    assert did_you_mean("enterprise standard", ["Enterprise Standard"]) is None  # accepted as is: no hint
    assert did_you_mean("", ["Enterprise Standard"]) is None
    assert did_you_mean("Xyz", ["Enterprise Standard"]) is None


# --- the DID cascade and apostrophes ---------------------------------------------------------------------

def test_did_allowance_names_the_package_lines_it_could_not_count(cases: Path, catalog: Catalog,
                                                                  tmp_path: Path) -> None:
    # Acme's only seats line has a typo: no seat is counted, and the DID finding says why.
    r = _validate(_edit(cases / "clean.xlsx", tmp_path / "o.xlsx", "Packages",
                        {(2, "Package"): "Enterprise Standrad"}), catalog)
    assert [f.code for f in r.findings if f.account == "Acme Dental"].count("UNKNOWN_PACKAGE") == 1
    no_seats = [f for f in r.findings if f.code == "DID_NO_SEATS"]
    assert len(no_seats) == 1 and no_seats[0].account == "Acme Dental"
    assert ("Not counted, because they have findings of their own: Packages row 2 (Enterprise Standrad)"
            in no_seats[0].message)
    # A bad quantity on "Additional DID's": the allowance falls to the 5 seats for 6 DIDs, and says why.
    pk = _edit(cases / "clean.xlsx", tmp_path / "o2.xlsx", "Packages", {(3, "Quantity"): "two"})
    r2 = _validate(_edit(pk, tmp_path / "o3.xlsx", "DIDs", {(2, "Quantity"): 6}), catalog)
    quota = [f for f in r2.findings if f.code == "DID_QUOTA_EXCEEDED"]
    assert len(quota) == 1 and "Packages row 3 (Additional DID's)" in quota[0].message
    assert "Enterprise Standard" not in quota[0].message.split("Not counted")[1]  # counted lines are not named
    plain = _validate(cases / "code_DID_QUOTA_EXCEEDED.xlsx", catalog)
    assert [f for f in plain.findings if f.code == "DID_QUOTA_EXCEEDED"]
    assert all("Not counted" not in f.message for f in plain.findings)


CASES = sorted(p.name for p in Path(__file__).resolve().parents[1].joinpath("cases").glob("code_*.xlsx"))


@pytest.mark.parametrize("name", CASES)
def test_no_message_starts_with_an_apostrophe(name: str, cases: Path, catalog: Catalog) -> None:
    """Our reports guard a leading apostrophe by doubling it: a message must never start with one."""
    r = _validate(cases / name, catalog, inventory=make_inventory(n512=2))
    assert r.findings
    assert [f.message for f in r.findings if f.message.startswith("'")] == []


def test_errors_sheet_messages_never_start_with_doubled_apostrophe(cases: Path, catalog: Catalog,
                                                                   tmp_path: Path) -> None:
    src = cases / "code_DID_NO_SEATS.xlsx"
    r = _validate(src, catalog)
    frame = r.findings_frame()
    frame.loc[0, "message"] = "'Quoted' start, as older code wrote it"  # the writer stays safe regardless
    annotated, _ = write_error_workbook(src, frame, tmp_path / "e.xlsx", held_accounts=set(r.held))
    ws = load_workbook(annotated)["Errors"]
    col = [c.value for c in ws[1]].index("Message")
    messages: list[Any] = [row[col] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert messages and not [m for m in messages if str(m).startswith("''")]
    assert "'Quoted' start, as older code wrote it" in messages


def test_billing_portal_password_header_is_the_password_column(cases: Path, catalog: Catalog, tmp_path: Path) -> None:
    wb = load_workbook(cases / "clean.xlsx")
    ws = wb["Customers"]
    head = next(c for c in ws[1] if c.value == "Password")
    head.value = "Billing Portal Password"
    wb.save(tmp_path / "alias.xlsx")
    order, _ = normalize(read_order(tmp_path / "alias.xlsx"), catalog)
    assert order.sheets["Customers"]["password"].tolist() == ["S3cret!", "Pa55word"]
    r = validate_order(order, catalog, inventory=make_inventory(), today=TODAY)
    assert r.findings == []


def test_validation_fails_on_held_customers_or_no_customers(cases: Path, catalog: Catalog, tmp_path: Path) -> None:
    from validators.workbook_checks import validation_fails

    def doc(r: ValidationResult) -> tuple[dict[str, int], list[dict[str, Any]]]:
        return r.totals.as_dict(), [f.as_dict() for f in r.findings]

    assert not validation_fails(*doc(_validate(cases / "clean.xlsx", catalog, inventory=make_inventory())))
    assert validation_fails(*doc(_validate(cases / "code_NO_PACKAGES.xlsx", catalog)))
    wb = load_workbook(cases / "clean.xlsx")
    wb["Customers"].delete_rows(2, 10)
    wb.save(tmp_path / "none.xlsx")
    empty = _validate(tmp_path / "none.xlsx", catalog)
    assert empty.totals.held == 0 and validation_fails(*doc(empty))


def _packages_long_enough() -> list[tuple[str, str]]:
    from data.catalog import load_catalog

    return sorted({(p.order_type, p.name) for p in load_catalog().lines if len(fold(p.name)) >= 10})


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(_packages_long_enough()), st.integers(min_value=0, max_value=10_000),
       st.sampled_from("abcdefghijklmnopqrstuvwxyz"))
def test_one_typo_in_a_package_is_always_suggested_back(pair: tuple[str, str], pos: int, ch: str) -> None:
    from data.catalog import load_catalog

    ot, name = pair
    i = pos % len(name)
    typo = name[:i] + ch + name[i + 1:]
    catalog = load_catalog()
    if catalog.package(ot, typo) is not None:  # the substitution happened to give a known spelling
        return
    hint = package_hint(typo, ot, catalog)
    assert hint.startswith(" Did you mean '")
    suggested = hint.removeprefix(" Did you mean '").removesuffix("'?")
    assert catalog.package(ot, suggested) is not None
    if suggested != name:  # only an equally close or closer package may win over the original
        ratio = difflib.SequenceMatcher(None, fold(typo), fold(suggested)).ratio()
        assert ratio >= difflib.SequenceMatcher(None, fold(typo), fold(name)).ratio()
