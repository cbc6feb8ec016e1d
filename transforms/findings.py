"""The finding record and the code table (DESIGN §4).

It lives in ``transforms`` because ingest and normalize already report findings (UNKNOWN_COLUMN,
VALUE_REPAIRED, QUANTITY_DEFAULTED) and the import rules let ``transforms`` import only ``data``;
``validators.findings`` re-exports both names, which is where the rest of the project looks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    description: str
    points_at: str


_TABLE: tuple[tuple[str, Severity, str, str], ...] = (
    ("REQUIRED_MISSING", "error", "a required field is blank", "the blank cell"),
    ("INVALID_FORMAT", "error", "email, ZIP, state, phone or date does not parse", "the cell"),
    ("VALUE_REPAIRED", "warning", "a value Excel mangled was repaired (ZIP 7042 -> 07042)", "the cell"),
    ("DOMAIN_HAS_SCHEME", "error", "Default Domain contains www., http://, https:// or a path",
     "Customers.Default Domain"),
    ("TIMEZONE_UNKNOWN", "error", "Time Zone is not an IANA zone or a known alias (Eastern, CST, ...)",
     "Customers.Time Zone"),
    ("BILLING_TYPE_UNKNOWN", "error", "Billing Type is not one of the two", "Customers.Billing Type"),
    ("BILLING_START_PAST", "warning", "Billing Start Date before today (back-billing)",
     "Customers.Billing Start Date"),
    ("DUPLICATE_ACCOUNT", "error", "same Account Name twice in the file (per partner)",
     "Customers.Account Name, every occurrence"),
    ("CUSTOMER_EXISTS", "error", "an earlier batch onboarded this customer with a different order, or BroadWorks "
     "already holds an enterprise with its ID that we did not create", "Customers.Account Name"),
    ("ALREADY_ONBOARDED", "warning", "an earlier batch onboarded this customer with the same order: skipped",
     "Customers.Account Name"),
    ("UNKNOWN_ACCOUNT", "error", "a Packages/DIDs/Locations/... row names no customer in the file",
     "that row's Account Name"),
    ("NO_PACKAGES", "error", "a customer orders nothing", "Customers.Account Name"),
    ("UNKNOWN_ORDER_TYPE", "error", "Order Type not in the catalog", "Packages.Order Type"),
    ("UNKNOWN_PACKAGE", "error", "Package not in that Order Type", "Packages.Package"),
    ("ORDER_TYPE_RESERVED", "error", "Local Number Portability ordered as a package (reserved for the LNP team)",
     "Packages.Order Type"),
    ("TRUNKING_NOT_SUPPORTED", "error", "SIP Trunking ordered: trunking uses the Trunking Order Form",
     "Packages.Order Type"),
    ("QUANTITY_INVALID", "error", "quantity not a whole number >= 1", "the Quantity cell"),
    ("QUANTITY_DEFAULTED", "warning", "blank quantity taken as 1", "the Quantity cell"),
    ("E911_MISSING", "error", "no E911 address + main number for the customer (a warning plus a follow-up ticket "
     "under --allow-pending-e911)", "Customers.Notes"),
    ("DID_NO_SEATS", "error", "DIDs requested by a customer with no seats", "DIDs.Quantity of each of its DIDs rows"),
    ("DID_QUOTA_EXCEEDED", "error", "new DIDs > allowance", "DIDs.Quantity (or Numbers) of each of its DIDs rows"),
    ("DID_IS_PORTING", "error", "a number in DIDs is also in Porting", "DIDs.Numbers"),
    ("DID_NOT_AVAILABLE", "error", "a specific number asked for is not free in inventory", "DIDs.Numbers"),
    ("DID_BACKORDER", "warning", "not enough numbers in that NPA-NXX: a backorder ticket is opened", "DIDs.Quantity"),
    ("FAX_INFO_MISSING", "error", "an IP-fax DID or package (catalog flag needs_fax_email) with no fax email in "
     "DIDs.Fax Email, the package line's Notes or Customers.Notes", "DIDs.Fax Email, or Packages.Notes of the fax line"),
    ("TOLL_FREE_NOTE_MISSING", "error", "a Toll Free Service line whose Notes say neither the number being ported "
     "nor that a new one was ordered, and no Toll Free sheet row for that customer", "Packages.Notes of that line"),
    ("SMART_RECORD_INFO_MISSING", "error", "a Smart Record line whose Notes (or the customer's) name no phone number "
     "to record", "Packages.Notes of that line"),
    ("UNKNOWN_COLUMN", "warning", "a column we do not know", "row 1; column is the header as written"),
    ("NO_CUSTOMERS", "error", "the workbook holds no customer rows", "Customers row 1"),
    ("PASSWORD_MASKED", "error", "the Password cell holds the mask our reports write: re-enter it",
     "Customers.Password"),
    ("UNKNOWN_SHEET", "warning", "a sheet we do not know (\"Porting Numbers\", \"Toll Free Numbers\" are aliases, not "
     "unknown)", "row 1 of that sheet; column null"),
    ("HEADER_NOT_ON_ROW_1", "error", "a sheet's header is not on row 1, or spans merged rows", "row 1 of that sheet"),
    ("VALUE_TOO_LONG", "error", "longer than a system accepts (billing account name 100 characters; BroadWorks "
     "names and ids per the R25 schema)", "the cell"),
    ("INVALID_CHARACTERS", "error", "control or other characters an XML document or a system cannot carry",
     "the cell"),
    ("ENTERPRISE_NOT_FOUND", "error", "a New Group names an enterprise this partner has not onboarded",
     "Customers.Enterprise Account"),
    ("CUSTOMER_NOT_FOUND", "error", "Add Services for an account this partner has not onboarded",
     "Customers.Account Name"),
    ("BILLING_TYPE_MISMATCH", "error", "a New Group states a billing type other than its enterprise's",
     "Customers.Billing Type"),
)

CODES: dict[str, Code] = {c: Code(c, s, d, p) for c, s, d, p in _TABLE}


@dataclass(frozen=True)
class Finding:
    """One problem in one cell (or one row / customer when ``column`` is None)."""

    sheet: str
    row: int
    column: str | None
    code: str
    severity: Severity
    message: str
    account: str
    value: str = ""

    @classmethod
    def of(cls, code: str, sheet: str, row: int, column: str | None, message: str, account: str,
           value: str = "", severity: Severity | None = None) -> Finding:
        """A finding with the code's documented severity unless told otherwise (E911_MISSING can be a warning)."""
        return cls(sheet, int(row), column, code, severity or CODES[code].severity, message, account, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


SHEET_ORDER = ("Customers", "Locations", "Packages", "DIDs", "Porting", "Toll Free", "Numbers")


def sort_key(f: Finding) -> tuple[int, str, int, str, str]:
    """Sheet in workbook order, then row, column, code."""
    idx = SHEET_ORDER.index(f.sheet) if f.sheet in SHEET_ORDER else len(SHEET_ORDER)
    return (idx, f.sheet, f.row, f.column or "", f.code)
