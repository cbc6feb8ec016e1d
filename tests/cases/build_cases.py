"""Build the small case workbooks of tests/cases (run: .venv/bin/python tests/cases/build_cases.py).

``clean.xlsx`` yields no finding; ``code_<CODE>.xlsx`` is the clean order with one change that yields
that code (tests/validators/test_cases.py lists the exact findings each one must give).
"""

from __future__ import annotations

import copy
import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent
Spec = dict[str, list[list[object]]]

CUSTOMERS_HEADER = ["Partner ID", "Account Name", "Company", "First Name", "Last Name", "Password", "Address 1",
                    "Address 2", "City", "State", "Zip", "Country", "Email", "Default Domain", "Time Zone",
                    "Billing Start Date", "Billing Type", "Main Number", "Notes"]
MAPLE_NOTES = "E911: 1 Bay St, Toronto, ON M5J 2T3; Main 416-555-0100"

CLEAN: Spec = {
    "Customers": [
        CUSTOMERS_HEADER,
        ["acme-telecom", "Acme Dental", "", "Jane", "Doe", "S3cret!", "100 Congress Ave", "Suite 200", "Austin",
         "TX", "78701", "US", "billing@acmedental.com", "acmedental.com", "Central", date(2025, 7, 1),
         "Multi-Group - Bill Enterprise", "512-555-0100", ""],
        ["acme-telecom", "Maple Clinic", "Maple Clinic Inc", "John", "Roe", "Pa55word", "1 Bay St", "", "Toronto",
         "ON", "M5J 2T3", "CA", "ap@mapleclinic.ca; it@mapleclinic.ca", "mapleclinic.ca", "America/Toronto",
         date(2025, 7, 15), "Multi-Group - Bill Group", "416-555-0100", MAPLE_NOTES],
    ],
    "Locations": [
        ["Account Name", "Location Name", "Address 1", "Address 2", "City", "State", "Zip", "Main Number"],
        ["Acme Dental", "HQ", "100 Congress Ave", "Suite 200", "Austin", "TX", "78701", "512-555-0100"],
    ],
    "Packages": [
        ["Account Name", "Order Type", "Package", "Quantity", "Notes"],
        ["Acme Dental", "Hosted PBX", "Enterprise Standard", 5, ""],
        ["Acme Dental", "DID", "Additional DID's", 2, ""],
        ["Acme Dental", "Toll Free Service", "Toll Free Number", 1, "New toll-free number"],
        ["Maple Clinic", "Hosted UC One", "Select UC Extension - Phone Prime", 3, ""],
        ["Maple Clinic", "Fax Service", "Virtual Fax Desktop Unlimited", 1, "faxes to fax@mapleclinic.ca"],
    ],
    "DIDs": [
        ["Account Name", "NPA", "NXX", "Quantity", "Numbers", "Purpose", "Fax Email", "Notes"],
        ["Acme Dental", "512", "555", 4, "", "Voice", "", ""],
        ["Maple Clinic", "416", "555", 1, "", "Fax", "fax@mapleclinic.ca", ""],
    ],
    "Porting": [
        ["Account Name", "Number", "Current Carrier", "BTN", "Requested Date"],
        ["Acme Dental", "512-555-0150", "Old Telco", "512-555-0150", date(2025, 6, 20)],
    ],
}

CUST = CUSTOMERS_HEADER.index


def _set(sheet: str, row: int, column: str, value: object) -> Callable[[Spec], None]:
    """Set one cell: ``row`` is the Excel row (header = 1)."""

    def f(s: Spec) -> None:
        s[sheet][row - 1][s[sheet][0].index(column)] = value

    return f


def _add(sheet: str, *rows: list[object]) -> Callable[[Spec], None]:
    def f(s: Spec) -> None:
        s[sheet].extend([list(r) for r in rows])

    return f


def _column(sheet: str, header: str, values: list[object]) -> Callable[[Spec], None]:
    def f(s: Spec) -> None:
        s[sheet][0].append(header)
        for r, v in zip(s[sheet][1:], values, strict=True):
            r.append(v)

    return f


BARE = ["acme-telecom", "Bare Bones LLC", "", "Al", "Lee", "pw", "9 Elm St", "", "Dallas", "TX", "75201", "",
        "al@barebones.com", "barebones.com", "CST", date(2025, 8, 1), "Multi-Group - Bill Group", "214-555-0100",
        "E911: 9 Elm St, Dallas, TX 75201; Main 214-555-0100"]

VARIANTS: dict[str, list[Callable[[Spec], None]]] = {
    "REQUIRED_MISSING": [_set("Customers", 2, "First Name", "")],
    "INVALID_FORMAT": [_set("Customers", 2, "Email", "billing@acme"), _set("Customers", 3, "Zip", "12345"),
                       _set("Customers", 2, "Billing Start Date", "31/12/2025")],
    "VALUE_REPAIRED": [_set("Customers", 2, "Main Number", "5125550100.0"),
                       _add("Locations", ["Acme Dental", "Newark", "5 Market St", "", "Newark", "NJ", 7102,
                                          "973-555-0100"])],
    "DOMAIN_HAS_SCHEME": [_set("Customers", 2, "Default Domain", "https://www.AcmeDental.com/")],
    "TIMEZONE_UNKNOWN": [_set("Customers", 2, "Time Zone", "Mars Standard")],
    "BILLING_TYPE_UNKNOWN": [_set("Customers", 2, "Billing Type", "Bill the enterprise please")],
    "BILLING_START_PAST": [_set("Customers", 2, "Billing Start Date", date(2025, 5, 1))],
    "DUPLICATE_ACCOUNT": [_add("Customers", [*CLEAN["Customers"][1][:1], "acme  DENTAL",
                                             *CLEAN["Customers"][1][2:]])],
    "UNKNOWN_ACCOUNT": [_add("Packages", ["Acme Dentl", "Hosted PBX", "Enterprise Basic", 1, ""])],
    "NO_PACKAGES": [_add("Customers", BARE)],
    "UNKNOWN_ORDER_TYPE": [_add("Packages", ["Acme Dental", "Widgets", "Blue Widget", 1, ""])],
    "UNKNOWN_PACKAGE": [_add("Packages", ["Acme Dental", "Hosted PBX", "Gold Seat", 1, ""])],
    "ORDER_TYPE_RESERVED": [_add("Packages", ["Acme Dental", "LNP", "Port 10 numbers", 1, ""])],
    "TRUNKING_NOT_SUPPORTED": [_add("Packages", ["Acme Dental", "SIP Trunking", "SIP Trunk", 4, ""])],
    "QUANTITY_INVALID": [_add("Packages", ["Acme Dental", "AlaCarte Features", "Auto Attendant", -1, ""])],
    "QUANTITY_DEFAULTED": [_set("Packages", 6, "Quantity", None)],
    "E911_MISSING": [_set("Customers", 3, "Notes", "")],
    "DID_NO_SEATS": [_add("Customers", BARE), _add("Packages", ["Bare Bones LLC", "AlaCarte", "Auto Attendant", 1, ""]),
                     _add("DIDs", ["Bare Bones LLC", "214", "555", 1, "", "", "", ""])],
    "DID_QUOTA_EXCEEDED": [_set("DIDs", 2, "Quantity", 6),
                           _add("DIDs", ["Acme Dental", "512", "555", None, "512-555-0170; 512-555-0171", "", "", ""])],
    "DID_IS_PORTING": [_add("DIDs", ["Acme Dental", "512", "555", None, "(512) 555-0150", "", "", ""])],
    "DID_NOT_AVAILABLE": [_add("DIDs", ["Acme Dental", "512", "555", None, "512-555-0999", "", "", ""])],
    "DID_BACKORDER": [_set("DIDs", 2, "Quantity", 7)],
    "FAX_INFO_MISSING": [_set("DIDs", 3, "Fax Email", ""), _set("Packages", 6, "Notes", "")],
    "TOLL_FREE_NOTE_MISSING": [_set("Packages", 4, "Notes", "")],
    "UNKNOWN_COLUMN": [_column("Customers", "Sales Rep", ["Kim", "Lou"])],
    "VALUE_TOO_LONG": [_set("Customers", 3, "Company", "Maple Clinic " + "x" * 68),  # 81 > R25 GroupName 80
                       _set("Locations", 2, "City", "A" * 51)],  # > R25 StreetAddress city 50
    # calamine reads Excel's escape _x0001_ as the control character U+0001 (what a paste leaves behind)
    "INVALID_CHARACTERS": [_set("Customers", 2, "Last Name", "Doe_x0001_")],
}


# Follow-on orders (issue 19): a second workbook for the customers of ``clean.xlsx`` once onboarded. Acme
# Dental gets a new group (location) in Round Rock; Maple Clinic adds services (2 seats, 2 new DIDs).
FOLLOW_HEADER = ["Order", "Enterprise Account", "Create Admin", *CUSTOMERS_HEADER]
ROUND_ROCK = ["New Group", "Acme Dental", "no", "acme-telecom", "Acme Dental - Round Rock", "", "Jim", "Doe",
              "S3cret!", "1 Main St", "", "Round Rock", "TX", "78664", "US", "rr@acmedental.com", "acmedental.com",
              "Central", date(2025, 8, 1), None, "512-555-0300", ""]
FOLLOW_ON: Spec = {
    "Customers": [
        FOLLOW_HEADER,
        ROUND_ROCK,
        ["Add Services", None, None, "acme-telecom", "Maple Clinic", *[None] * (len(CUSTOMERS_HEADER) - 2)],
    ],
    "Locations": [
        ["Account Name", "Location Name", "Address 1", "Address 2", "City", "State", "Zip", "Main Number"],
        ["Acme Dental - Round Rock", "Round Rock", "1 Main St", "", "Round Rock", "TX", "78664", "512-555-0300"],
    ],
    "Packages": [
        ["Account Name", "Order Type", "Package", "Quantity", "Effective Date", "Notes"],
        ["Acme Dental - Round Rock", "Hosted PBX", "Enterprise Standard", 2, None, ""],
        ["Maple Clinic", "Hosted UC One", "Select UC Extension - Phone Prime", 2, date(2025, 9, 1), ""],
    ],
    "DIDs": [
        ["Account Name", "NPA", "NXX", "Quantity", "Numbers", "Purpose", "Fax Email", "Notes"],
        ["Acme Dental - Round Rock", "512", "555", 2, "", "Voice", "", ""],
        ["Maple Clinic", "416", "555", 2, "", "Voice", "", ""],
    ],
}
FOLLOW_VARIANTS: dict[str, list[Callable[[Spec], None]]] = {
    "ENTERPRISE_NOT_FOUND": [_set("Customers", 2, "Enterprise Account", "Acme Dentistry")],
    "CUSTOMER_NOT_FOUND": [_set("Customers", 3, "Account Name", "Maple Clinics"),
                           _set("Packages", 3, "Account Name", "Maple Clinics"),
                           _set("DIDs", 3, "Account Name", "Maple Clinics")],
    "BILLING_TYPE_MISMATCH": [_set("Customers", 2, "Billing Type", "Multi-Group - Bill Group")],
}


def variant(changes: list[Callable[[Spec], None]], base: Spec | None = None) -> Spec:
    s = copy.deepcopy(CLEAN if base is None else base)
    for c in changes:
        c(s)
    return s


def write_xlsx(spec: Spec, path: Path, names: dict[str, str] | None = None) -> None:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for sheet, rows in spec.items():
        ws = wb.create_sheet((names or {}).get(sheet, sheet))
        for r in rows:
            ws.append(r)
    wb.save(path)


def _csv_value(v: object) -> str:
    if isinstance(v, date):
        return v.strftime("%m/%d/%Y")  # US dates in CSV files
    return "" if v is None else str(v)


def write_csv_folder(spec: Spec, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for sheet, rows in spec.items():
        with (folder / f"{sheet.lower().replace(' ', '_')}.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([[_csv_value(v) for v in r] for r in rows])


ALIASES = {  # header aliases partners really type
    "Account Name": "Customer Name", "Zip": "Zip Code", "Email": "Email Address", "Address 1": "Address",
    "Main Number": "Main Phone", "Quantity": "Qty", "Time Zone": "timezone",
}


def build(folder: Path = HERE) -> list[Path]:
    out = [folder / "clean.xlsx"]
    write_xlsx(CLEAN, out[0])
    for code, changes in VARIANTS.items():
        p = folder / f"code_{code}.xlsx"
        write_xlsx(variant(changes), p)
        out.append(p)
    write_xlsx(FOLLOW_ON, folder / "follow_on.xlsx")
    out.append(folder / "follow_on.xlsx")
    for code, changes in FOLLOW_VARIANTS.items():
        p = folder / f"code_{code}.xlsx"
        write_xlsx(variant(changes, FOLLOW_ON), p)
        out.append(p)
    write_csv_folder(CLEAN, folder / "clean_csv")
    aliased = copy.deepcopy(CLEAN)
    for rows in aliased.values():
        rows[0] = [f"  {ALIASES.get(h, str(h)).upper()} " if i % 2 else ALIASES.get(h, str(h))
                   for i, h in enumerate(rows[0])]
    p = folder / "aliases.xlsx"
    write_xlsx(aliased, p, {"Customers": "Customer Information", "DIDs": "new dids", "Locations": "E911"})
    out.append(p)
    # Blank rows inside a sheet: findings must keep the Excel row numbers.
    gaps = variant([_add("Packages", [None] * 5, ["Acme Dental", "AlaCarte Features", "Auto Attendant", "two", ""])])
    gaps["Packages"].insert(2, [None] * 5)
    p = folder / "blank_rows.xlsx"
    write_xlsx(gaps, p)
    out.append(p)
    # Unusable input.
    (folder / "not_a_workbook.xlsx").write_text("Account Name,Zip\nAcme,78701\n", encoding="utf-8")
    write_xlsx({"Packages": CLEAN["Packages"]}, folder / "no_customers.xlsx")
    dup = copy.deepcopy(CLEAN)
    dup["Customers"][0][CUST("Notes")] = "Zip Code"
    write_xlsx(dup, folder / "duplicate_header.xlsx")
    headless = copy.deepcopy(CLEAN)
    headless["Customers"][0] = [None] * len(CUSTOMERS_HEADER)
    write_xlsx(headless, folder / "no_header.xlsx")
    return out


if __name__ == "__main__":
    for p in build():
        print(p.relative_to(HERE))
