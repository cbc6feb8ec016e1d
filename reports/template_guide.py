"""What the order template says to the clerk who fills it alone: the Instructions sheet and one example
customer on a sheet of its own (issue 16).

Both sheets carry names the ingest knows as documentation (``data.sheets.DOCUMENTATION_SHEETS``): an
uploaded template is never read for orders there. The example is a complete, valid order (a test runs it
through validation), laid out as one block per order sheet with the same headers as the real sheets.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from data.sheets import CUSTOMERS, DIDS, EXAMPLE_SHEET, LOCATIONS, PACKAGES, PORTING, SHEETS, Column, Sheet
from reports.excel_safe import guard, set_text

# "All fields outlined in RED are required fields" (seed: add-new-hosted-customer.txt): red, outlined.
RED = "C00000"
_EDGE = Side(style="medium", color=RED)
REQUIRED_FONT = Font(bold=True, color=RED)
REQUIRED_BORDER = Border(left=_EDGE, right=_EDGE, top=_EDGE, bottom=_EDGE)
OPTIONAL_FONT = Font(bold=True)
# The error workbook's marks (reports.error_workbook.FILL), repeated in the legend.
ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
WARNING_FILL = PatternFill("solid", fgColor="FFEB9C")
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=12)
WRAP = Alignment(wrap_text=True, vertical="top")

PURPOSE = {
    "Customers": "One row per order. A New Customer (the default) becomes one Enterprise with group 1 in "
                 "BroadWorks and two billing accounts; a New Group adds a group (location) to a customer you "
                 "onboarded; Add Services adds packages or DIDs to one (see Order below).",
    "Locations": "E911: at least one physical address and main (callback) number per customer.",
    "Packages": "What each customer orders: pick the Order Type first, then a Package of that type; "
                "Quantity blank = 1.",
    "DIDs": "NEW numbers only, by area code (NPA) and exchange (NXX), or specific numbers. Never numbers "
            "being ported, never numbers for SIP trunks.",
    "Porting": "Numbers the customer brings from another carrier (LNP): the LNP team ports them.",
    "Toll Free": "New toll-free numbers, ports and RespOrg changes (with a Toll Free Service package line).",
    "Numbers": "Migrations only: numbers the customer already has with us. Leave it empty on new orders.",
}


def heading(cell: Any, required: bool) -> Any:
    """A header cell styled as the order form does: required ones red and outlined in red."""
    cell.font = REQUIRED_FONT if required else OPTIONAL_FONT
    if required:
        cell.border = REQUIRED_BORDER
    return cell


def _lines(example_start: str) -> list[tuple[str, str]]:
    """(kind, text): kind is title, heading, text or a legend key."""
    out: list[tuple[str, str]] = [
        ("title", "Hosted customer order workbook: how to fill it in"),
        ("text", "Fill one row per customer on Customers, then its rows on the other sheets, joined by the "
                 "same Account Name. Row 1 of every sheet is the header: do not move, rename or merge it. "
                 f"A complete example customer is on the sheet '{EXAMPLE_SHEET}' (it is never imported)."),
        ("heading", "What each sheet is for"),
    ]
    out += [("text", f"{s.name}: {PURPOSE[s.name]}") for s in SHEETS]
    out += [
        ("heading", "Colours"),
        ("required", "Red heading outlined in red: a required column (as on the portal's order form)."),
        ("optional", "Black heading: optional."),
        ("error", "In the error workbook we send back, a cell filled red has an error: that customer is held "
                  "back until it is fixed (the cell's comment says what to do)."),
        ("warning", "Filled amber: a warning; the customer goes through, but check the value."),
        ("text", "A cell with a dropdown takes a value from its list. The Package list depends on the Order Type "
                 "of the same row: choose the Order Type first."),
        # What the Password sets: connectors/billing/provision.py sends it as the customer account's
        # portalPassword and nothing else reads it; BroadWorks gets a generated one (issue 16). That the
        # billing portal is where invoices are viewed and paid is our assumption: no LogiSense page found.
        ("heading", "Password"),
        ("text", "Customers.Password (also accepted as 'Billing Portal Password') is the customer's password for "
                 "the billing portal, where invoices are viewed and paid. It is not the BroadWorks login: the "
                 "BroadWorks administrator gets a generated password, mailed to you once the customer is set up."),
        ("heading", "Order: new customers, new groups, added services"),
        ("text", "Customers.Order says what a row orders. New Customer (or blank): a customer that does not exist "
                 "yet; fill every red column. New Group: another group (location) under a customer you onboarded "
                 "earlier: its own Account Name, the enterprise's Account Name in Enterprise Account, the contact "
                 "and address, Default Domain, Time Zone, Billing Start Date and a Locations row of its own; "
                 "leave Billing Type blank (the enterprise's applies); Create Admin yes gives it an administrator "
                 "login of its own. Add Services: more packages or new DIDs for a customer (or group) you "
                 "onboarded: only Account Name on Customers, written as first ordered, then its Packages and DIDs "
                 "rows; Packages.Effective Date says when each line starts billing (blank: the day we receive "
                 "the order)."),
        ("text", "An enterprise or customer we do not know from an earlier order is refused (ENTERPRISE_NOT_FOUND, "
                 "CUSTOMER_NOT_FOUND); a New Group's Billing Type other than its enterprise's is refused "
                 "(BILLING_TYPE_MISMATCH). One row per Account Name per file: order a new customer first, its "
                 "groups and added services in a later file."),
        ("heading", "E911 (required for every new customer and new group)"),
        ("text", "Each customer needs at least one physical address and a main number for emergency services: a "
                 "row on the Locations sheet, or in Customers.Notes written as "
                 "'E911: 100 Main St, Austin, TX 78701; Main 512-555-0100'."),
        ("heading", "DID allowance"),
        ("text", "New DIDs per customer may not exceed its allowance: one DID per seat (user licence) ordered on "
                 "Packages, plus the quantities of \"Additional DID's\" and \"DID Add-On - UC\". Numbers being "
                 "ported go on Porting, not DIDs. A customer with DIDs but no seats is held back. For Add "
                 "Services the allowance counts the seats and DIDs the customer already has plus the new ones."),
        ("heading", "Sending corrections"),
        ("text", "After you upload, you get two files back: the annotated copy (<name>.errors.xlsx, with an Errors "
                 "sheet listing every finding and each offending cell marked) and <name>.held-back.xlsx, holding "
                 "only the customers that were held back. Correct the held-back file and upload it again: the "
                 "customers that went through are not sent twice."),
        ("text", "Passwords are masked as ******** in the annotated copy. If you correct that copy instead, type "
                 "each password again: a masked password is refused (PASSWORD_MASKED)."),
        ("heading", "Dates and numbers"),
        ("text", f"Dates: YYYY-MM-DD, MM/DD/YYYY or an Excel date (e.g. {example_start}). Phone numbers: 10 digits. "
                 "ZIP, phone and number columns are formatted as Text so Excel keeps leading zeros."),
    ]
    return out


_LEGEND_STYLE = {"required": "Account Name", "optional": "Notes", "error": "Error", "warning": "Warning"}


def write_instructions(ws: Any, example_start: str) -> None:
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 110
    for r, (kind, text) in enumerate(_lines(example_start), start=1):
        body = set_text(ws.cell(row=r, column=2), guard(text))
        body.alignment = WRAP
        if kind == "title":
            body.font = TITLE_FONT
        elif kind == "heading":
            body.font = HEADING_FONT
        elif kind in _LEGEND_STYLE:
            key = set_text(ws.cell(row=r, column=1), _LEGEND_STYLE[kind])
            if kind in ("required", "optional"):
                heading(key, kind == "required")
            else:
                key.fill = ERROR_FILL if kind == "error" else WARNING_FILL
    ws.sheet_view.showGridLines = False


def example_rows(start: str) -> dict[Sheet, list[dict[str, str]]]:
    """The example customer, by sheet, as column key -> text (a valid, complete order)."""
    acct = "Example Dental Group"
    return {
        CUSTOMERS: [{
            "account_name": acct, "company": "Example Dental Group LLC", "first_name": "Maria", "last_name": "Lopez",
            "password": "Choose-A-Portal-Pass-1", "address_1": "100 Main St", "address_2": "Suite 200",
            "city": "Austin", "state": "TX", "zip": "78701", "country": "US", "email": "billing@exampledental.com",
            "default_domain": "exampledental.com", "time_zone": "America/Chicago", "billing_start_date": start,
            "billing_type": "Multi-Group - Bill Enterprise", "main_number": "512-555-0100",
        }],
        LOCATIONS: [{"account_name": acct, "location_name": "Main office", "address_1": "100 Main St",
                     "address_2": "Suite 200", "city": "Austin", "state": "TX", "zip": "78701",
                     "main_number": "512-555-0100"}],
        PACKAGES: [
            {"account_name": acct, "order_type": "Hosted PBX", "package": "Enterprise Standard", "quantity": "5"},
            {"account_name": acct, "order_type": "DID", "package": "Additional DID's", "quantity": "2"},
            {"account_name": acct, "order_type": "AlaCarte Features", "package": "Auto Attendant", "quantity": "1"},
        ],
        DIDS: [{"account_name": acct, "npa": "512", "nxx": "555", "quantity": "7", "purpose": "Voice",
                "notes": "5 included with the seats + 2 Additional DID's"}],
        PORTING: [{"account_name": acct, "number": "512-555-0177", "current_carrier": "Old Telco",
                   "btn": "512-555-0100", "requested_date": start}],
    }


def example_start(today: date) -> str:
    """A billing start in the future (the first of the month after next), so the example never back-bills."""
    month = today.month + 2
    return date(today.year + (month - 1) // 12, (month - 1) % 12 + 1, 1).isoformat()


def write_example(ws: Any, start: str) -> None:
    """One block per sheet: its name, its header (styled as on that sheet), the example rows."""
    r = 1
    set_text(ws.cell(row=r, column=1), "Example customer: not imported. Copy a block's rows to the sheet "
                                        "of the same name to start from it.").font = HEADING_FONT
    r += 2
    widths: dict[int, int] = {}
    for sheet, rows in example_rows(start).items():
        set_text(ws.cell(row=r, column=1), sheet.name).font = HEADING_FONT
        r += 1
        cols: tuple[Column, ...] = sheet.columns
        for i, col in enumerate(cols, start=1):
            heading(set_text(ws.cell(row=r, column=i), col.label), col.required)
            widths[i] = max(widths.get(i, 12), len(col.label) + 4)
        for values in rows:
            r += 1
            for i, col in enumerate(cols, start=1):
                text = values.get(col.key, "")
                set_text(ws.cell(row=r, column=i), guard(text) if text else None)
                widths[i] = max(widths[i], len(text) + 2)
        r += 2
    for i, w in widths.items():
        ws.column_dimensions[get_column_letter(i)].width = min(w, 40)
