"""The blank order workbook partners fill in (DESIGN §3): every sheet and column of data/sheets.py.

Header on row 1 (the version lives in the workbook properties, never above the header), dropdowns for the
closed lists, text format on text columns so Excel keeps ZIPs' leading zeros and phone numbers intact,
frozen headers, a comment on every required header. Long lists sit on a hidden ``Lists`` sheet behind
defined names (Excel 2007 and LibreOffice both accept a name in a list validation).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from data.catalog import load_catalog
from data.sheets import BILLING_TYPES, DID_PURPOSES, SHEETS, TOLL_FREE_ACTIONS, Column, Sheet
from reports.excel_safe import MAX_ROWS, set_text

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
    "password": "Portal password of the customer's administrator.",
    "email": "One or more addresses separated by ';'.",
    "default_domain": "A bare domain such as example.com: no www., http:// or path.",
    "time_zone": "An IANA zone (America/Chicago) or a common alias (Central, CST).",
    "billing_start_date": "YYYY-MM-DD or MM/DD/YYYY.",
    "zip": "US: 5 or 9 digits; Canada: A1A 1A1.",
    "order_type": "Local Number Portability goes on the Porting sheet; SIP Trunking uses the Trunking Order Form.",
    "quantity": "A whole number >= 1 (blank = 1).",
    "numbers": "Specific numbers, separated by , ; or line breaks.",
    "main_number": "10-digit number; E911 callback number on Locations.",
}
HEADER_FONT = Font(bold=True)
REQUIRED_FILL = PatternFill("solid", fgColor="DDEBF7")


def _lists() -> dict[str, tuple[str, ...]]:
    cat = load_catalog()
    orderable = tuple(sorted({o.name for o in cat.order_types.values() if o.status == "orderable"}))
    packages = tuple(dict.fromkeys(p.name for p in cat.lines))
    return {
        "OrderTypes": orderable,
        "Packages": packages,
        "TimeZones": TIME_ZONES,
        "States": US_STATES + CA_PROVINCES,
    }


# (sheet-independent) column key -> list name on the Lists sheet, or the inline values
_LIST_OF = {"order_type": "OrderTypes", "package": "Packages", "time_zone": "TimeZones", "state": "States"}
_INLINE: dict[str, Sequence[str]] = {
    "billing_type": BILLING_TYPES,
    "purpose": DID_PURPOSES,
    "action": TOLL_FREE_ACTIONS,
    "country": COUNTRIES,
}
_STRICT = {"billing_type", "action", "purpose", "country"}  # aliases are accepted elsewhere: warn only


def write_template(out: Path, version: str) -> Path:
    """Write the blank order workbook to ``out`` (carrying ``version`` in its properties); return ``out``."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for sheet in SHEETS:
        _sheet(wb, sheet)
    lists = wb.create_sheet("Lists")
    for i, (name, values) in enumerate(_lists().items(), start=1):
        letter = get_column_letter(i)
        set_text(lists.cell(row=1, column=i), name).font = HEADER_FONT
        for r, v in enumerate(values, start=2):
            set_text(lists.cell(row=r, column=i), v)
        ref = f"Lists!${letter}$2:${letter}${len(values) + 1}"
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
        cell = set_text(ws.cell(row=1, column=i), col.label)
        cell.font = HEADER_FONT
        note = _note(sheet, col, first=i == 1)
        if col.required:
            cell.fill = REQUIRED_FILL
        if note:
            cell.comment = Comment(note, "onboard", height=110, width=260)
        dim = ws.column_dimensions[letter]
        dim.width = max(14, len(col.label) + 4)
        if col.text:
            dim.number_format = "@"  # typed ZIPs and numbers stay text (leading zeros, no 1.5E+10)
        _validation(ws, col, letter)


def _note(sheet: Sheet, col: Column, *, first: bool) -> str:
    parts = []
    if first and sheet.migration_only:
        parts.append(f"{sheet.name}: migrations only (numbers the customer already has). Leave empty on new orders.")
    if col.required:
        parts.append("Required.")
    if col.key in _HINTS:
        parts.append(_HINTS[col.key])
    return "\n".join(parts)


def _validation(ws: object, col: Column, letter: str) -> None:
    if col.key in _LIST_OF:
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
        error="Pick a value from the list." if strict else "Not in the list: check the spelling.",
        errorTitle=col.label,
    )
    dv.add(f"{letter}2:{letter}{MAX_ROWS}")
    ws.add_data_validation(dv)  # type: ignore[attr-defined]
