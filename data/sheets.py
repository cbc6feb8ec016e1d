"""The order workbook contract (DESIGN §3): sheets, canonical columns, required flags, header aliases.

Canonical keys are snake_case; ``label`` is how the template and reports spell a column. Header
matching is case-, space- and punctuation-insensitive (see ``header_key``), with the aliases below
(the seed's labels and what partners really type).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


def header_key(text: str) -> str:
    """'Zip Code ' -> 'zipcode', 'E-mail Address' -> 'emailaddress', 'Qty.' -> 'qty'."""
    return re.sub(r"[^0-9a-z#]+", "", text.casefold())


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    text: bool = False  # formatted as text in the template (ZIPs, numbers, ids)


@dataclass(frozen=True)
class Sheet:
    name: str  # canonical sheet name, as DESIGN §3 spells it
    csv_name: str  # file name inside a CSV folder
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()
    migration_only: bool = False

    def column(self, key: str) -> Column:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @property
    def labels(self) -> dict[str, str]:
        return {c.key: c.label for c in self.columns}


ACCOUNT = Column("account_name", "Account Name", True, ("Customer Name", "Customer", "Account", "Customer Account"))

CUSTOMERS = Sheet(
    "Customers",
    "customers.csv",
    (
        Column("partner_id", "Partner ID", False, ("Partner", "PartnerID"), text=True),
        ACCOUNT,
        Column("company", "Company", False, ("Company Name",)),
        Column("first_name", "First Name", True, ("First", "Contact First Name", "Billing First Name")),
        Column("last_name", "Last Name", True, ("Last", "Contact Last Name", "Billing Last Name", "Surname")),
        Column("password", "Password", True, ("Portal Password", "Billing Portal Password")),
        Column("address_1", "Address 1", True, ("Address", "Address Line 1", "Street", "Street Address", "Address1")),
        Column("address_2", "Address 2", False, ("Address Line 2", "Suite", "Address2")),
        Column("city", "City", True),
        Column("state", "State", True, ("Province", "State/Province", "ST")),
        Column("zip", "Zip", True, ("Zip Code", "ZIP", "Postal Code", "Postcode", "Zipcode"), text=True),
        Column("country", "Country", False),
        Column("email", "Email", True, ("Email Address", "E-mail", "E-mail Address", "Invoice Email", "Emails")),
        Column("default_domain", "Default Domain", True, ("Domain",)),
        Column("time_zone", "Time Zone", True, ("TZ", "Timezone")),
        Column("billing_start_date", "Billing Start Date", True, ("Billing Start", "Start Date")),
        Column("billing_type", "Billing Type", True),
        Column("main_number", "Main Number", False, ("Main Phone", "Phone", "Main Telephone Number"), text=True),
        Column("notes", "Notes", False, ("Note", "Comments", "Provisioning Notes")),
        Column("order_kind", "Order", False, ("Order Kind", "Order Type (Customer)")),
        Column("enterprise_account", "Enterprise Account", False, ("Enterprise",)),
        Column("create_admin", "Create Admin", False),
    ),
    aliases=("Customer", "Customer Information", "Accounts"),
)

LOCATIONS = Sheet(
    "Locations",
    "locations.csv",
    (
        ACCOUNT,
        Column("location_name", "Location Name", False, ("Location", "Site", "Site Name")),
        Column("address_1", "Address 1", True, ("Address", "Address Line 1", "Street", "Street Address", "Address1")),
        Column("address_2", "Address 2", False, ("Address Line 2", "Suite", "Address2")),
        Column("city", "City", True),
        Column("state", "State", True, ("Province", "State/Province", "ST")),
        Column("zip", "Zip", True, ("Zip Code", "ZIP", "Postal Code", "Postcode", "Zipcode"), text=True),
        Column("main_number", "Main Number", True, ("Main Phone", "Phone", "E911 Number", "Callback Number"), text=True),
    ),
    aliases=("E911", "E911 Locations", "Location"),
)

PACKAGES = Sheet(
    "Packages",
    "packages.csv",
    (
        ACCOUNT,
        Column("order_type", "Order Type", True, ("Type",)),
        Column("package", "Package", True, ("Package Name", "Product", "Service")),
        Column("quantity", "Quantity", False, ("Qty", "Qty.", "Count")),
        Column("notes", "Notes", False, ("Note", "Comments")),
        # last: writers that fill rows by position (data/samples/generate.py) keep their Notes in place
        Column("effective_date", "Effective Date", False, ("Effective",)),
    ),
    aliases=("Package", "Orders", "Package Order"),
)

DIDS = Sheet(
    "DIDs",
    "dids.csv",
    (
        ACCOUNT,
        Column("npa", "NPA", True, ("Area Code",), text=True),
        Column("nxx", "NXX", True, ("Exchange", "Prefix"), text=True),
        Column("quantity", "Quantity", False, ("Qty", "Qty.", "Count")),
        Column("numbers", "Numbers", False, ("Number", "Specific Numbers", "DIDs"), text=True),
        Column("purpose", "Purpose", False, ("Use", "Type")),
        Column("fax_email", "Fax Email", False, ("Fax E-mail", "Fax To Email")),
        Column("notes", "Notes", False, ("Note", "Comments")),
    ),
    aliases=("DID", "New DIDs", "DID Order"),
)

PORTING = Sheet(
    "Porting",
    "porting.csv",
    (
        ACCOUNT,
        Column("number", "Number", True, ("Port Number", "Telephone Number", "TN"), text=True),
        Column("current_carrier", "Current Carrier", False, ("Carrier", "Losing Carrier")),
        Column("btn", "BTN", False, ("Billing Telephone Number",), text=True),
        Column("requested_date", "Requested Date", False, ("Port Date", "Requested Port Date", "FOC Date")),
    ),
    aliases=("LNP", "Port", "Ports", "Number Porting", "Porting Numbers"),
)

TOLL_FREE = Sheet(
    "Toll Free",
    "toll_free.csv",
    (
        ACCOUNT,
        Column("action", "Action", True, ("Toll Free Action", "Request")),
        Column("toll_free_number", "Toll Free Number", False, ("Number", "TFN"), text=True),
        Column("ring_to", "Ring To", False, ("Ring-To", "Ring To Number", "Destination"), text=True),
        # The seed asks to say "when required" for every toll-free order: it has its own column.
        Column("required_date", "Required Date", False, ("When Required", "Required By", "Date Required", "Due Date")),
        Column("notes", "Notes", False, ("Note", "Comments")),
    ),
    aliases=("TollFree", "Toll-Free", "Toll Free Orders", "Toll Free Numbers"),
)

NUMBERS = Sheet(
    "Numbers",
    "numbers.csv",
    (
        ACCOUNT,
        Column("number", "Number", True, ("Telephone Number", "TN", "DID"), text=True),
        Column("purpose", "Purpose", False, ("Use", "Type")),
    ),
    aliases=("Existing Numbers", "Own Numbers"),
    migration_only=True,
)

SHEETS: tuple[Sheet, ...] = (CUSTOMERS, LOCATIONS, PACKAGES, DIDS, PORTING, TOLL_FREE, NUMBERS)

BILLING_TYPES = ("Multi-Group - Bill Enterprise", "Multi-Group - Bill Group")
# Customers.Order as the template's dropdown spells it (DESIGN §3); blank = New Customer.
ORDER_KINDS = ("New Customer", "New Group", "Add Services")
DID_PURPOSES = ("Voice", "Fax")
TOLL_FREE_ACTIONS = ("New", "Port", "RespOrg Change")


def find_sheet(name: str) -> Sheet | None:
    k = header_key(name)
    for s in SHEETS:
        if k in {header_key(n) for n in (s.name, s.csv_name.removesuffix(".csv"), *s.aliases)}:
            return s
    return None


# What our own reports write in place of a password (DESIGN §8). Read back from a re-uploaded report it is
# never a value: validation answers PASSWORD_MASKED (DESIGN §3).
PASSWORD_MASK = "********"  # noqa: S105 - the mask, not a password

# Sheets our own workbooks add beside the order sheets: the template's instructions, its example customer
# and its hidden dropdown lists, and the error workbook's findings. They are documentation, never orders:
# the ingest skips them silently (no UNKNOWN_SHEET warning) when a partner uploads such a workbook.
INSTRUCTIONS_SHEET = "Instructions"
EXAMPLE_SHEET = "Example - not imported"
LISTS_SHEET = "Lists"
ERRORS_SHEET = "Errors"
DOCUMENTATION_SHEETS = (INSTRUCTIONS_SHEET, EXAMPLE_SHEET, LISTS_SHEET, ERRORS_SHEET)


def is_documentation_sheet(name: str) -> bool:
    """One of our own non-order sheets (an Errors sheet may continue as 'Errors (2)', ...)."""
    base = re.sub(r"\s*\(\d+\)$", "", name.strip())
    return header_key(base) in {header_key(n) for n in DOCUMENTATION_SHEETS}
