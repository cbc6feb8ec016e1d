"""Per-cell findings: run the pandera schema of every sheet and turn failure cases into exact findings
(one per cell and code), plus the cross-field country checks (State and Zip must fit the Country)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from data.sheets import SHEETS, Sheet
from transforms import values as V
from transforms.normalize import NormalizedOrder, isin
from transforms.regions import CA_PROVINCES, US_STATES
from validators.findings import Finding
from validators.schemas import schema
from validators.suggestions import billing_type_hint, time_zone_hint

E911_HINT = "write it as 'E911: 100 Main St, Austin, TX 78701; Main 512-555-0100'"
_PHONES = {"main_number", "number", "btn", "toll_free_number", "ring_to"}


def message(code: str, key: str, label: str, value: str) -> str:
    if code == "REQUIRED_MISSING":
        return f"{label} is required: fill it in."
    if code == "DOMAIN_HAS_SCHEME":
        return (f"Default Domain '{value}' must be the bare domain: remove www., http(s):// and any path "
                "(e.g. acme.com).")
    if code == "TIMEZONE_UNKNOWN":
        return (f"Time Zone '{value}' is unknown:{time_zone_hint(value)} Use an IANA zone such as America/Chicago, "
                "or Eastern, Central, Mountain, Pacific, Arizona, Alaska, Hawaii, Atlantic, Newfoundland.")
    if code == "BILLING_TYPE_UNKNOWN":
        return (f"Billing Type '{value}' must be 'Multi-Group - Bill Enterprise' or 'Multi-Group - Bill Group'."
                f"{billing_type_hint(value)}")
    if code == "QUANTITY_INVALID":
        return f"Quantity '{value}' must be a whole number of 1 or more."
    if key == "zip":
        return (f"Zip '{value}' is not a US ZIP (12345 or 12345-6789) or a Canadian postal code (A1A 1A1): "
                "correct it, and format the column as Text so Excel keeps leading zeros.")
    if key == "state":
        return f"State '{value}' is not a US state or Canadian province: use the two-letter code (TX, ON)."
    if key == "country":
        return f"Country '{value}' is not supported: use US or CA."
    if key in _PHONES:
        return f"{label} '{value}' is not a North American phone number: use 10 digits, e.g. 512-555-0100."
    if key == "numbers":
        bad = ", ".join(V.bad_phones(value)) or value
        return f"Numbers: '{bad}' is not a North American phone number: list 10-digit numbers separated by commas."
    if key in ("email", "fax_email"):
        bad = ", ".join(V.bad_emails(value)) or value
        return f"{label}: '{bad}' is not a valid email address: use name@domain.com, several separated by ;."
    if key == "order_kind":
        return f"Order '{value}' must be New Customer (or blank), New Group or Add Services."
    if key in ("billing_start_date", "requested_date", "required_date", "effective_date"):
        return f"{label} '{value}' is not a date: use YYYY-MM-DD or MM/DD/YYYY (or an Excel date cell)."
    if key in ("npa", "nxx"):
        return f"{label} '{value}' must be 3 digits, not starting with 0 or 1."
    if key == "purpose":
        return f"Purpose '{value}' must be Voice or Fax."
    if key == "action":
        return f"Action '{value}' must be New, Port or RespOrg Change."
    if key == "default_domain":
        return f"Default Domain '{value}' is not a domain name: use e.g. acme.com."
    return f"{label} '{value}' is not valid."


def cell_findings(order: NormalizedOrder, *, migration: bool = False) -> list[Finding]:
    out: list[Finding] = []
    for sheet in SHEETS:
        out += sheet_cell_findings(sheet, order.sheets[sheet.name], migration=migration)
    return out


def sheet_cell_findings(sheet: Sheet, frame: pd.DataFrame, *, migration: bool = False) -> list[Finding]:
    """``cell_findings`` of one sheet: they read that sheet only (``validators.sheet_checks`` runs them ahead)."""
    if frame.empty:
        return []
    frame = frame.reset_index(drop=True)
    out: list[Finding] = []
    try:
        schema(sheet.name, migration).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        out += _from_failures(sheet, frame, exc.failure_cases)
    return out + _country_checks(sheet, frame)


def _from_failures(sheet: Sheet, frame: pd.DataFrame, cases: pd.DataFrame) -> list[Finding]:
    cases = cases[cases["index"].notna() & cases["column"].notna()]
    cases = cases.drop_duplicates(["index", "column", "check"])  # pandera may report a case more than once
    labels = sheet.labels
    src = frame["_sheet"] if "_sheet" in frame.columns else None
    out: list[Finding] = []
    for idx, key, code in zip(cases["index"].astype(int), cases["column"], cases["check"], strict=True):
        row = frame.iloc[idx]
        value = str(row[key])
        msg = message(str(code), str(key), labels[str(key)], value)
        if src is not None and src.iloc[idx] == "Customers":
            # E911 taken from the customer's Notes: the partner fixes it there.
            out.append(Finding.of(str(code), "Customers", int(row["_row"]), "Notes",
                                  f"E911 in Notes: {msg} ({E911_HINT}).", str(row["account_name"]), value))
        else:
            out.append(Finding.of(str(code), sheet.name, int(row["_row"]), labels[str(key)], msg,
                                  str(row["account_name"]), value))
    return out


def _country_checks(sheet: Sheet, frame: pd.DataFrame) -> list[Finding]:
    if "country" not in frame.columns or "zip" not in frame.columns:
        return []
    state = frame["state"]  # vectorized: CA wins, as the per-value ``"CA" if in CA_PROVINCES else ...`` did
    state_country = (pd.Series("", index=frame.index, dtype="str").mask(isin(state, US_STATES), "US")
                     .mask(isin(state, CA_PROVINCES), "CA"))
    zip_country = pd.Series("", index=frame.index, dtype="str")
    zip_country = zip_country.mask(frame["zip"].str.fullmatch(V.US_ZIP.pattern[1:-1]).fillna(False).astype(bool),
                                   "US")
    zip_country = zip_country.mask(frame["zip"].str.fullmatch(V.CA_POSTAL.pattern[1:-1]).fillna(False).astype(bool),
                                   "CA")
    known = frame["country"].isin(["US", "CA"])
    bad_state = known & state_country.ne("") & state_country.ne(frame["country"])
    bad_zip = known & zip_country.ne("") & zip_country.ne(frame["country"])
    src = frame["_sheet"] if "_sheet" in frame.columns else pd.Series(sheet.name, index=frame.index)
    out: list[Finding] = []
    name = {"US": "the US", "CA": "Canada"}
    for mask, key, what in ((bad_state, "state", "State"), (bad_zip, "zip", "Zip")):
        for idx in frame.index[mask]:
            row = frame.loc[idx]
            c = str(row["country"])
            msg = (f"{what} '{row[key]}' is not in {name[c]} (Country {c}): correct the {what} or the Country."
                   if sheet.name == "Customers" else
                   f"{what} '{row[key]}' does not fit State '{row['state']}' ({name[c]}): correct one of them.")
            on_notes = src.loc[idx] == "Customers" and sheet.name == "Locations"
            out.append(Finding.of("INVALID_FORMAT", "Customers" if on_notes else sheet.name, int(row["_row"]),
                                  "Notes" if on_notes else what, f"E911 in Notes: {msg}" if on_notes else msg,
                                  str(row["account_name"]), str(row[key])))
    return out
