"""The blank order workbook partners fill in (DESIGN §3): every sheet and column of data/sheets.py.

Header on row 1 (the version lives in the workbook properties, never above the header), required headers
red and outlined in red as on the portal's order form, dropdowns for the closed lists, text format on
text columns so Excel keeps ZIPs' leading zeros and phone numbers intact, frozen headers, a comment on
every required header. An ``Instructions`` sheet comes first and an example customer sits on a sheet of
its own (reports.template_guide); the ingest skips both. Long lists sit on a hidden ``Lists`` sheet
behind defined names (Excel 2007 and LibreOffice both accept a name in a list validation).

The Package dropdown depends on the row's Order Type: one defined name per order type (``pk_`` + the
name with spaces as underscores) and ``INDIRECT(SUBSTITUTE(...))`` in the list formula, the usual
dependent-dropdown construction (exceljet.net/articles/dependent-dropdown-lists: names cannot hold spaces,
so both the name and the formula swap them for "_"). Both lists stop a wrong entry. LibreOffice keeps the
INDIRECT list on import (checked by converting the template with soffice; tests/reports/test_libreoffice.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from data.catalog import load_catalog
from data.sheets import (
    BILLING_TYPES,
    DID_PURPOSES,
    EXAMPLE_SHEET,
    INSTRUCTIONS_SHEET,
    LISTS_SHEET,
    ORDER_KINDS,
    SHEETS,
    TOLL_FREE_ACTIONS,
    Column,
    Sheet,
)
from reports.excel_safe import MAX_ROWS, set_text
from reports.template_guide import example_start, heading, write_example, write_instructions

TIME_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
    "America/Anchorage", "Pacific/Honolulu", "America/Detroit", "America/Indiana/Indianapolis", "America/Boise",
    "America/Puerto_Rico", "America/Halifax", "America/St_Johns", "America/Toronto", "America/Winnipeg",
    "America/Regina", "America/Edmonton", "America/Vancouver",
    # aliases partners type (the normalizer maps them to the zones above)
    "Eastern", "Central", "Mountain", "Pacific", "Alaska", "Hawaii", "Atlantic", "Newfoundland", "Arizona",
    "EST", "CST", "MST", "PST",
)  # fmt: skip
US_STATES = (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY",
    "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH",
    "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "PR",
)  # fmt: skip
CA_PROVINCES = ("AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT")
COUNTRIES = ("US", "CA")
VERSION_PROPERTY = "template_version"

_HINTS = {
    "password": "The customer's password for the billing portal (invoices and payments). Not the BroadWorks "
                "login: the BroadWorks administrator gets a generated password, mailed to you.",
    "email": "One or more addresses separated by ';'.",
    "default_domain": "A bare domain such as example.com: no www., http:// or path.",
    "time_zone": "An IANA zone (America/Chicago) or a common alias (Central, CST).",
    "billing_start_date": "YYYY-MM-DD or MM/DD/YYYY.",
    "zip": "US: 5 or 9 digits; Canada: A1A 1A1.",
    "order_type": "Local Number Portability goes on the Porting sheet; SIP Trunking uses the Trunking Order Form.",
    "quantity": "A whole number >= 1 (blank = 1).",
    "numbers": "Specific numbers, separated by , ; or line breaks.",
    "main_number": "10-digit number; E911 callback number on Locations.",
    "order_kind": "New Customer (blank = New Customer): a new enterprise with group 1. New Group: another group "
                  "(location) of a customer you onboarded, named in Enterprise Account. Add Services: more "
                  "packages or DIDs for a customer (or group) you onboarded: only Account Name is needed here.",
    "enterprise_account": "New Group only: the Account Name of the customer (enterprise) the new group joins, "
                          "as it was first ordered. Give the new group an Account Name of its own.",
    "create_admin": "New Group only: yes gives the new group a customer administrator login of its own "
                    "(mailed to you); blank = no.",
    "effective_date": "The date the package starts billing (YYYY-MM-DD or MM/DD/YYYY); blank = the date we "
                      "receive the order. Mostly for Add Services.",
}
# Customers columns a New Customer requires; a New Group needs them too but for Billing Type (its enterprise's
# applies), an Add Services row only the Account Name (DESIGN §3).
_GROUP_OPTIONAL = {"billing_type"}
HEADER_FONT = Font(bold=True)
PACKAGE_PREFIX = "pk_"
_NAMEABLE = re.compile(r"[A-Za-z][A-Za-z ]*")  # what SUBSTITUTE(" ", "_") turns into a legal defined name


class TemplateExistsError(FileExistsError):
    """``template OUT`` without ``--force`` on an existing file."""

    def __init__(self, out: Path) -> None:
        super().__init__(f"{out} already exists: choose another file name, or add --force to overwrite it.")


def package_list_name(order_type: str) -> str:
    """The defined name of one order type's packages ('Hosted PBX' -> 'pk_Hosted_PBX')."""
    if not _NAMEABLE.fullmatch(order_type):
        raise ValueError(f"order type {order_type!r} cannot name a dependent list: letters and spaces only")
    return PACKAGE_PREFIX + order_type.replace(" ", "_")


def _lists() -> dict[str, tuple[str, ...]]:
    """List name -> values: the closed lists, then one list of packages per orderable order type."""
    cat = load_catalog()
    orderable = tuple(sorted({o.name for o in cat.order_types.values() if o.status == "orderable"}))
    lists: dict[str, tuple[str, ...]] = {
        "OrderTypes": orderable,
        "TimeZones": TIME_ZONES,
        "States": US_STATES + CA_PROVINCES,
    }
    for ot in orderable:
        lists[package_list_name(ot)] = tuple(dict.fromkeys(p.name for p in cat.packages_of(ot)))
    return lists


# (sheet-independent) column key -> list name on the Lists sheet, or the inline values
_LIST_OF = {"order_type": "OrderTypes", "time_zone": "TimeZones", "state": "States"}
_INLINE: dict[str, Sequence[str]] = {
    "billing_type": BILLING_TYPES,
    "purpose": DID_PURPOSES,
    "action": TOLL_FREE_ACTIONS,
    "country": COUNTRIES,
    "order_kind": ORDER_KINDS,
    "create_admin": ("yes", "no"),
}
# A wrong entry is refused; time zones and states only warn (the normalizer accepts aliases: Eastern, CST...).
_STRICT = {"billing_type", "action", "purpose", "country", "order_type", "package", "order_kind", "create_admin"}


def write_template(out: Path, version: str, *, force: bool = False, today: date | None = None) -> Path:
    """Write the blank order workbook to ``out`` (carrying ``version`` in its properties); return ``out``.

    An existing ``out`` is kept (TemplateExistsError) unless ``force``: a partner's filled workbook of the
    same name must not be replaced by a blank one.
    """
    if out.exists() and not force:
        raise TemplateExistsError(out)
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    start = example_start(today or date.today())
    write_instructions(wb.create_sheet(INSTRUCTIONS_SHEET), start)
    for sheet in SHEETS:
        _sheet(wb, sheet)
    write_example(wb.create_sheet(EXAMPLE_SHEET), start)
    lists = wb.create_sheet(LISTS_SHEET)
    for i, (name, values) in enumerate(_lists().items(), start=1):
        letter = get_column_letter(i)
        set_text(lists.cell(row=1, column=i), name).font = HEADER_FONT
        for r, v in enumerate(values, start=2):
            set_text(lists.cell(row=r, column=i), v)
        ref = f"{LISTS_SHEET}!${letter}$2:${letter}${len(values) + 1}"
        wb.defined_names[name] = DefinedName(name, attr_text=ref)
    lists.sheet_state = "hidden"
    wb.active = 0
    props = wb.properties
    props.title = "Hosted customer order workbook"
    props.subject = "Bulk onboarding of hosted-voice customers"
    props.creator = "onboard"
    props.version = version
    props.keywords = f"template_version={version}"
    doc_props = cast(Any, wb).custom_doc_props  # the type stubs lag openpyxl 3.1
    doc_props.append(StringProperty(name=VERSION_PROPERTY, value=version))
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def _sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(sheet.name)
    ws.freeze_panes = "A2"
    for i, col in enumerate(sheet.columns, start=1):
        letter = get_column_letter(i)
        cell = heading(set_text(ws.cell(row=1, column=i), col.label), col.required)
        note = _note(sheet, col, first=i == 1)
        if note:
            cell.comment = Comment(note, "onboard", height=110, width=260)
        dim = ws.column_dimensions[letter]
        dim.width = max(14, len(col.label) + 4)
        if col.text:
            dim.number_format = "@"  # typed ZIPs and numbers stay text (leading zeros, no 1.5E+10)
        _validation(ws, col, letter, sheet)


def _note(sheet: Sheet, col: Column, *, first: bool) -> str:
    parts = []
    if first and sheet.migration_only:
        parts.append(f"{sheet.name}: migrations only (numbers the customer already has). Leave empty on new orders.")
    if col.required and sheet.name == "Customers" and col.key != "account_name":
        parts.append("Required for a New Customer." if col.key in _GROUP_OPTIONAL else
                     "Required for a New Customer and a New Group.")
        parts.append("Add Services: leave blank" + (" (the enterprise's applies to a New Group)."
                                                     if col.key in _GROUP_OPTIONAL else "."))
    elif col.required:
        parts.append("Required.")
    if col.key in _HINTS:
        parts.append(_HINTS[col.key])
    return "\n".join(parts)


_ERRORS = {"package": "Pick a package of this row's Order Type (choose the Order Type first).",
           "order_kind": "Pick New Customer, New Group or Add Services (blank = New Customer).",
           "order_type": "Pick an Order Type from the list (LNP goes on Porting; SIP Trunking uses the Trunking Order Form)."}


def _validation(ws: object, col: Column, letter: str, sheet: Sheet) -> None:
    if col.key == "package" and "order_type" in sheet.labels:
        ot = get_column_letter([c.key for c in sheet.columns].index("order_type") + 1)
        formula = f'INDIRECT("{PACKAGE_PREFIX}"&SUBSTITUTE(${ot}2," ","_"))'  # relative to row 2 of the range
    elif col.key in _LIST_OF:
        formula = _LIST_OF[col.key]
    elif col.key in _INLINE:
        formula = '"' + ",".join(_INLINE[col.key]) + '"'
    else:
        return
    strict = col.key in _STRICT
    dv = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        errorStyle="stop" if strict else "warning",
        showErrorMessage=True,
        error=_ERRORS.get(col.key, "Pick a value from the list.") if strict else "Not in the list: check the spelling.",
        errorTitle=col.label,
    )
    dv.add(f"{letter}2:{letter}{MAX_ROWS}")
    ws.add_data_validation(dv)  # type: ignore[attr-defined]
