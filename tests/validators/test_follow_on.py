"""Follow-on orders (issue 19): Customers.Order, per-kind required fields, the three new codes checked
against what earlier batches onboarded (``core.known.KnownCustomer``), the Add Services DID allowance, and
CUSTOMER_EXISTS / ALREADY_ONBOARDED / DUPLICATE_ACCOUNT for New Customer rows only."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from core.known import KnownCustomer
from data.catalog import Catalog
from tests.cases.build_cases import CLEAN, FOLLOW_ON, write_xlsx
from transforms.ingest import read_order
from transforms.normalize import NormalizedOrder, normalize
from validators import CODES, ValidationResult, validate_order

TODAY = date(2025, 6, 1)
Found = set[tuple[str, int, str | None, str]]


def _found(result: ValidationResult) -> Found:
    return {(f.sheet, f.row, f.column, f.code) for f in result.findings}


@pytest.fixture
def known(load: Callable[[str], NormalizedOrder], catalog: Catalog) -> dict[str, KnownCustomer]:
    """clean.xlsx as an earlier batch left it: Acme Dental (5 seats, 4 DIDs, allowance 5 + 2 additional) and
    Maple Clinic (3 UC seats + 1 fax seat, 1 DID, allowance 4), both New Customers."""
    fp = validate_order(load("clean.xlsx"), catalog, today=TODAY).fingerprints
    return {
        "acme dental": KnownCustomer("Acme Dental", "acme dental", "new_customer", "acme dental",
                                     "Multi-Group - Bill Enterprise", 5, 4, fp["acme dental"], 7),
        "maple clinic": KnownCustomer("Maple Clinic", "maple clinic", "new_customer", "maple clinic",
                                      "Multi-Group - Bill Group", 4, 1, fp["maple clinic"], 4),
    }


def test_follow_on_workbook_is_clean_against_what_was_onboarded(load, catalog, known) -> None:  # type: ignore[no-untyped-def]
    order = load("follow_on.xlsx")
    r = validate_order(order, catalog, known=known, today=TODAY)
    assert r.findings == []
    assert r.valid == {"acme dental - round rock", "maple clinic"}
    cust = order.sheets["Customers"]
    assert cust["order_kind"].tolist() == ["new_group", "add_services"]
    assert cust["enterprise_account"].tolist() == ["Acme Dental", ""]
    assert cust["create_admin"].tolist() == [False, False]
    assert order.sheets["Packages"]["effective_date"].tolist() == ["", "2025-09-01"]


def test_blank_order_is_a_new_customer_and_keeps_its_fingerprint(load, catalog) -> None:  # type: ignore[no-untyped-def]
    order = load("clean.xlsx")  # written before the Order column existed
    assert order.sheets["Customers"]["order_kind"].tolist() == ["new_customer", "new_customer"]
    # the digests of clean.xlsx before issue 19: an earlier batch's customer stays ALREADY_ONBOARDED
    assert validate_order(order, catalog, today=TODAY).fingerprints == {
        "acme dental": "b0d638b3286554defc4209a240be83eb", "maple clinic": "2e96ab406bc254c4cebfd047ef46c55b"}


EXPECTED: dict[str, Found] = {
    "ENTERPRISE_NOT_FOUND": {("Customers", 2, "Enterprise Account", "ENTERPRISE_NOT_FOUND")},
    "CUSTOMER_NOT_FOUND": {("Customers", 3, "Account Name", "CUSTOMER_NOT_FOUND")},
    "BILLING_TYPE_MISMATCH": {("Customers", 2, "Billing Type", "BILLING_TYPE_MISMATCH")},
}


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_new_code_case(code: str, load, catalog, known) -> None:  # type: ignore[no-untyped-def]
    r = validate_order(load(f"code_{code}.xlsx"), catalog, known=known, today=TODAY)
    assert _found(r) == EXPECTED[code]
    mine = [f for f in r.findings if f.code == code]
    assert mine and all(f.severity == CODES[code].severity == "error" and len(f.message) > 30 for f in mine)
    held = {"ENTERPRISE_NOT_FOUND": "acme dental - round rock", "BILLING_TYPE_MISMATCH": "acme dental - round rock",
            "CUSTOMER_NOT_FOUND": "maple clinics"}[code]
    assert r.held == {held}
    assert r.totals.as_dict() == {"total": 2, "valid": 1, "held": 1, "skipped": 0}


def test_nothing_onboarded_yet_means_no_enterprise_and_no_customer(load, catalog) -> None:  # type: ignore[no-untyped-def]
    r = validate_order(load("follow_on.xlsx"), catalog, today=TODAY)  # staging knows nothing
    assert _found(r) == {("Customers", 2, "Enterprise Account", "ENTERPRISE_NOT_FOUND"),
                         ("Customers", 3, "Account Name", "CUSTOMER_NOT_FOUND")}


def test_a_group_is_not_an_enterprise(load, catalog, known) -> None:  # type: ignore[no-untyped-def]
    group = KnownCustomer("Acme Dental - Austin", "acme dental - austin", "new_group", "acme dental",
                          "Multi-Group - Bill Enterprise", 2, 0, "f" * 32)
    spec = copy.deepcopy(FOLLOW_ON)
    spec["Customers"][1][1] = "Acme Dental - Austin"
    r = validate_order(_order(spec, catalog), catalog, known={**known, group.account_key: group}, today=TODAY)
    f = next(x for x in r.findings if x.code == "ENTERPRISE_NOT_FOUND")
    assert "'Acme Dental'" in f.message  # names the enterprise to write instead
    # ... while Add Services on that group is fine (its account is known)
    spec["Customers"][2][4] = spec["Packages"][2][0] = spec["DIDs"][2][0] = "Acme Dental - Austin"
    spec["Customers"][1][1] = "Acme Dental"
    r = validate_order(_order(spec, catalog), catalog, known={**known, group.account_key: group}, today=TODAY)
    assert not [x for x in r.findings if x.code == "CUSTOMER_NOT_FOUND"]


_DIRS: list[Path] = []


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path) -> None:
    _DIRS[:] = [tmp_path]


def _order(spec: dict[str, list[list[object]]], catalog: Catalog) -> NormalizedOrder:
    """The spec written as a workbook and read back the way ``onboard validate`` reads one."""
    p = _DIRS[0] / f"order-{len(list(_DIRS[0].iterdir()))}.xlsx"
    write_xlsx(spec, p)
    order, _ = normalize(read_order(p), catalog)
    return order


def _col(spec: dict[str, list[list[object]]], sheet: str, row: int, column: str, value: object) -> None:
    spec[sheet][row - 1][spec[sheet][0].index(column)] = value


def test_new_group_requires_its_own_contact_address_domain_zone_start_and_e911(catalog, known) -> None:
    spec = copy.deepcopy(FOLLOW_ON)
    for column in ("Enterprise Account", "First Name", "Last Name", "Password", "Address 1", "City", "State", "Zip",
                   "Email", "Default Domain", "Time Zone", "Billing Start Date"):
        _col(spec, "Customers", 2, column, None)
    del spec["Locations"][1]  # no E911 row of its own (the enterprise's location does not count)
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    missing = {f.column for f in r.findings if f.code == "REQUIRED_MISSING" and f.row == 2}
    assert missing == {"Enterprise Account", "First Name", "Last Name", "Password", "Address 1", "City", "State",
                       "Zip", "Email", "Default Domain", "Time Zone", "Billing Start Date"}
    assert ("Customers", 2, "Notes", "E911_MISSING") in _found(r)
    assert "Billing Type" not in missing  # the enterprise's applies
    assert r.held == {"acme dental - round rock"} and r.valid == {"maple clinic"}


def test_new_customer_still_requires_billing_type(catalog) -> None:
    spec = copy.deepcopy(CLEAN)
    _col(spec, "Customers", 2, "Billing Type", None)
    r = validate_order(_order(spec, catalog), catalog, today=TODAY)
    assert _found(r) == {("Customers", 2, "Billing Type", "REQUIRED_MISSING")}


def test_add_services_needs_only_account_name_and_lines(catalog, known) -> None:
    spec = copy.deepcopy(FOLLOW_ON)
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert not [f for f in r.findings if f.row == 3 and f.sheet == "Customers"]  # every other field blank
    # DIDs alone are an order too
    del spec["Packages"][2]
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert not [f for f in r.findings if f.code == "NO_PACKAGES"]
    # nothing at all is not
    del spec["DIDs"][2]
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert ("Customers", 3, "Account Name", "NO_PACKAGES") in _found(r)
    # a blank Account Name is still required
    _col(spec, "Customers", 3, "Account Name", None)
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert ("Customers", 3, "Account Name", "REQUIRED_MISSING") in _found(r)


def test_add_services_did_allowance_counts_what_the_customer_holds(catalog, known) -> None:
    # Maple Clinic holds 4 seats (allowance 4) and 1 DID; the order adds 2 seats: allowance 6, 1 held.
    spec = copy.deepcopy(FOLLOW_ON)
    _col(spec, "DIDs", 3, "Quantity", 5)  # 1 + 5 = 6 <= 6
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert not [f for f in r.findings if f.code.startswith("DID_")]
    _col(spec, "DIDs", 3, "Quantity", 6)  # 1 + 6 = 7 > 6
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    f = next(x for x in r.findings if x.code == "DID_QUOTA_EXCEEDED")
    assert (f.sheet, f.row, f.column) == ("DIDs", 3, "Quantity")
    assert "6 new DIDs beside the 1 it already holds (7 in all)" in f.message and "is 6" in f.message
    # with more numbers already held the same 4 new ones are too many
    more = {**known, "maple clinic": KnownCustomer("Maple Clinic", "maple clinic", "new_customer", "maple clinic",
                                                   "Multi-Group - Bill Group", 4, 2, known["maple clinic"].fingerprint, 4)}
    _col(spec, "DIDs", 3, "Quantity", 5)
    assert "DID_QUOTA_EXCEEDED" in {x.code for x in validate_order(_order(spec, catalog), catalog, known=more,
                                                                    today=TODAY).findings}


def test_add_services_dids_without_new_seats_use_the_seats_held(catalog, known) -> None:
    spec = copy.deepcopy(FOLLOW_ON)
    del spec["Packages"][2]  # no new seats: the 4 it holds allow 4 DIDs, 1 of them used
    _col(spec, "DIDs", 3, "Quantity", 3)
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert not [f for f in r.findings if f.code.startswith("DID_")]
    _col(spec, "DIDs", 3, "Quantity", 4)
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert {f.code for f in r.findings if f.code.startswith("DID_")} == {"DID_QUOTA_EXCEEDED"}
    # a customer that holds no seats at all gets DID_NO_SEATS, as a new one does
    bare = {**known, "maple clinic": KnownCustomer("Maple Clinic", "maple clinic", "new_customer", "maple clinic",
                                                   "Multi-Group - Bill Group", 0, 0, "x", 0)}
    r = validate_order(_order(spec, catalog), catalog, known=bare, today=TODAY)
    assert "DID_NO_SEATS" in {f.code for f in r.findings}


def test_existing_customer_codes_apply_to_new_customer_rows_only(load, catalog, known) -> None:  # type: ignore[no-untyped-def]
    # Add Services for an onboarded customer: neither CUSTOMER_EXISTS nor ALREADY_ONBOARDED
    r = validate_order(load("follow_on.xlsx"), catalog, known=known, today=TODAY)
    assert not {f.code for f in r.findings} & {"CUSTOMER_EXISTS", "ALREADY_ONBOARDED", "DUPLICATE_ACCOUNT"}
    # the same New Customer rows again: ALREADY_ONBOARDED, as before issue 19
    again = validate_order(load("clean.xlsx"), catalog, known=known, today=TODAY)
    assert {f.code for f in again.findings} == {"ALREADY_ONBOARDED"} and again.skipped == set(known)
    # two New Customer rows with one name stay DUPLICATE_ACCOUNT
    dup = validate_order(load("code_DUPLICATE_ACCOUNT.xlsx"), catalog, known={}, today=TODAY)
    assert {f.code for f in dup.findings} == {"DUPLICATE_ACCOUNT"}


def test_new_group_with_a_name_already_taken(catalog, known) -> None:
    spec = copy.deepcopy(FOLLOW_ON)
    spec["Customers"][1][4] = "Maple Clinic"  # the group's own name is an onboarded customer's
    spec["Customers"] = spec["Customers"][:2]
    for sheet in ("Locations", "Packages", "DIDs"):
        spec[sheet] = [spec[sheet][0], [("Maple Clinic" if i == 0 else v) for i, v in enumerate(spec[sheet][1])]]
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert _found(r) == {("Customers", 2, "Account Name", "CUSTOMER_EXISTS")}
    # the very same New Group onboarded before (a re-send) is skipped: the run sends nothing again
    fp = r.fingerprints["maple clinic"]
    group = KnownCustomer("Maple Clinic", "maple clinic", "new_group", "acme dental", "Multi-Group - Bill Enterprise",
                          2, 2, fp, 2, frozenset({("new_group", fp)}))
    r = validate_order(_order(spec, catalog), catalog, known={**known, "maple clinic": group}, today=TODAY)
    assert _found(r) == {("Customers", 2, "Account Name", "ALREADY_ONBOARDED")} and r.skipped == {"maple clinic"}


def test_the_same_follow_on_again_is_skipped(load, catalog, known) -> None:  # type: ignore[no-untyped-def]
    first = validate_order(load("follow_on.xlsx"), catalog, known=known, today=TODAY)
    fp = first.fingerprints
    # as staging knows them once the follow-on batch went in: Maple Clinic now holds 6 seats and 3 DIDs
    maple = known["maple clinic"]
    after = {
        **known,
        "maple clinic": KnownCustomer("Maple Clinic", "maple clinic", "new_customer", "maple clinic", maple.billing_type,
                                      6, 3, maple.fingerprint, 6, frozenset({("new_customer", maple.fingerprint),
                                                                             ("add_services", fp["maple clinic"])})),
        "acme dental - round rock": KnownCustomer("Acme Dental - Round Rock", "acme dental - round rock", "new_group",
                                                  "acme dental", "Multi-Group - Bill Enterprise", 2, 2,
                                                  fp["acme dental - round rock"], 2),
    }
    again = validate_order(load("follow_on.xlsx"), catalog, known=after, today=TODAY)
    assert _found(again) == {("Customers", 2, "Account Name", "ALREADY_ONBOARDED"),
                             ("Customers", 3, "Account Name", "ALREADY_ONBOARDED")}
    assert again.totals.as_dict() == {"total": 2, "valid": 0, "held": 0, "skipped": 2}
    # a file that repeats one follow-on beside a changed one: that row alone is skipped
    more = validate_order(load("code_BILLING_TYPE_MISMATCH.xlsx"), catalog, known=after, today=TODAY)
    assert ("Customers", 3, "Account Name", "ALREADY_ONBOARDED") in _found(more) and more.skipped == {"maple clinic"}
    # another Add Services order for the same customer is a new order: its DIDs count on top of the 3 held
    spec = copy.deepcopy(FOLLOW_ON)
    _col(spec, "Packages", 3, "Quantity", 1)  # 6 + 1 seats: allowance 7; 3 held + 5 new = 8 > 7
    _col(spec, "DIDs", 3, "Quantity", 5)
    r = validate_order(_order(spec, catalog), catalog, known=after, today=TODAY)
    assert {f.code for f in r.findings if f.account == "Maple Clinic"} == {"DID_QUOTA_EXCEEDED"}
    _col(spec, "DIDs", 3, "Quantity", 4)  # 3 + 4 = 7 <= 7
    r = validate_order(_order(spec, catalog), catalog, known=after, today=TODAY)
    assert "maple clinic" in r.valid and not [f for f in r.findings if f.account == "Maple Clinic"]


def test_unknown_order_and_create_admin_text(catalog, known) -> None:
    spec = copy.deepcopy(FOLLOW_ON)
    _col(spec, "Customers", 2, "Order", "New Location please")
    _col(spec, "Customers", 3, "Create Admin", "maybe")
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    assert {("Customers", 2, "Order", "INVALID_FORMAT"), ("Customers", 3, "Create Admin", "INVALID_FORMAT")} <= _found(r)
    f = next(x for x in r.findings if x.column == "Order")
    assert "New Customer" in f.message and "New Group" in f.message and "Add Services" in f.message


@pytest.mark.parametrize(("text", "kind"), [("", "new_customer"), ("new customer", "new_customer"),
                                            ("NEW GROUP", "new_group"), ("Add Services", "add_services"),
                                            ("add-service", "add_services")])
def test_order_spellings(text: str, kind: str, catalog) -> None:  # type: ignore[no-untyped-def]
    spec = copy.deepcopy(FOLLOW_ON)
    _col(spec, "Customers", 2, "Order", text or None)
    _col(spec, "Customers", 2, "Create Admin", "Yes")
    order = _order(spec, catalog)
    assert order.sheets["Customers"]["order_kind"].iloc[0] == kind
    assert bool(order.sheets["Customers"]["create_admin"].iloc[0]) is True


def test_effective_date_formats(catalog, known) -> None:
    spec = copy.deepcopy(FOLLOW_ON)
    _col(spec, "Packages", 2, "Effective Date", "10/01/2025")
    _col(spec, "Packages", 3, "Effective Date", "soon")
    order = _order(spec, catalog)
    assert order.sheets["Packages"]["effective_date"].tolist() == ["2025-10-01", "soon"]
    r = validate_order(order, catalog, known=known, today=TODAY)
    assert _found(r) == {("Packages", 3, "Effective Date", "INVALID_FORMAT")}


def test_enterprise_account_on_a_row_that_is_not_a_new_group(catalog, known) -> None:  # type: ignore[no-untyped-def]
    spec = copy.deepcopy(FOLLOW_ON)
    _col(spec, "Customers", 2, "Order", None)  # Order left blank: this would become an enterprise of its own
    _col(spec, "Customers", 2, "Billing Type", "Multi-Group - Bill Enterprise")
    r = validate_order(_order(spec, catalog), catalog, known=known, today=TODAY)
    f = next(x for x in r.findings if x.column == "Enterprise Account")
    assert (f.code, f.row, f.severity) == ("INVALID_FORMAT", 2, "error") and "New Group" in f.message
    assert r.held == {"acme dental - round rock"}
