"""What each system can carry, checked before anything is sent (issue 14): VALUE_TOO_LONG and INVALID_CHARACTERS.

A value the BroadWorks request builder cannot put in XML, or that billing refuses after BroadWorks took the
enterprise, leaves a half-provisioned customer; here it becomes a finding on the cell instead.

Lengths (characters), and where they come from:

- BroadWorks, the published R25 OCI-P schema (``broadworks-ocip==3.0.0``, ``ocip_schema/``; the tests check
  these numbers against it): ``ServiceProviderName`` and ``GroupName`` maxLength 80 (the enterprise and group
  names are the Account Name, and Company when given; ``GroupCallingLineIdName`` 80 as well);
  ``FirstName`` / ``LastName`` 30 (the customer administrator); ``StreetAddress``: ``addressLine1`` /
  ``addressLine2`` 80, ``city`` 50 (the enterprise's address from Customers, the group's from the first
  Locations row); ``NetAddress`` 80 (Default Domain); ``EmailAddress`` 80 (each e-mail, the contact e-mail).
  ``ServiceProviderId`` / ``GroupId`` (30) are derived by the plan, at most 30 bytes, never typed by a partner.
- Billing (LogiSense): an account name is at most 100 characters (issue 14; the LogiSense pages we have do
  not state it, so the simulator enforces the issue's number), and the enterprise account is named
  "<Account Name> Enterprise": 89 characters are left for the Account Name, a looser bound than
  BroadWorks' 80.

Characters: XML 1.0 (section 2.2, ``Char``) cannot carry C0 controls other than tab, LF and CR, lone
surrogates, or U+FFFE/U+FFFF; lxml refuses them ("All strings must be XML compatible"). DEL and the C1
controls (U+007F-U+009F) are legal XML but no person types them and no system shows them: refused as well.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from data.sheets import SHEETS
from transforms.normalize import NormalizedOrder
from validators.findings import Finding

BW_NAME, BW_FIRST_LAST, BW_ADDRESS_LINE, BW_CITY, BW_NET_ADDRESS, BW_EMAIL = 80, 30, 80, 50, 80, 80
BILLING_ACCOUNT_NAME = 100
ENTERPRISE_SUFFIX = " Enterprise"

# sheet -> column key -> (limit, which system and type says so)
LIMITS: dict[str, dict[str, tuple[int, str]]] = {
    "Customers": {
        "account_name": (min(BW_NAME, BILLING_ACCOUNT_NAME - len(ENTERPRISE_SUFFIX)),
                         "BroadWorks enterprise and group names (R25 ServiceProviderName, GroupName)"),
        "company": (BW_NAME, "BroadWorks group name and calling line ID name (R25 GroupName)"),
        "first_name": (BW_FIRST_LAST, "BroadWorks administrator first name (R25 FirstName)"),
        "last_name": (BW_FIRST_LAST, "BroadWorks administrator last name (R25 LastName)"),
        "address_1": (BW_ADDRESS_LINE, "BroadWorks address line (R25 StreetAddress addressLine1)"),
        "address_2": (BW_ADDRESS_LINE, "BroadWorks address line (R25 StreetAddress addressLine2)"),
        "city": (BW_CITY, "BroadWorks city (R25 StreetAddress city)"),
        "default_domain": (BW_NET_ADDRESS, "BroadWorks default domain (R25 NetAddress)"),
    },
    "Locations": {
        "address_1": (BW_ADDRESS_LINE, "BroadWorks address line (R25 StreetAddress addressLine1)"),
        "address_2": (BW_ADDRESS_LINE, "BroadWorks address line (R25 StreetAddress addressLine2)"),
        "city": (BW_CITY, "BroadWorks city (R25 StreetAddress city)"),
    },
}
EMAIL_COLUMNS = {"Customers": ("email",), "DIDs": ("fax_email",)}

_BAD_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# the same class for Arrow's RE2 (UTF-8: it cannot even hold a lone surrogate, and spells code points \x{...})
_BAD_RE2 = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{7f}-\x{9f}\x{fffe}\x{ffff}]"


def _surely_clean(values: pd.Series) -> bool:
    """True when no byte of the column's UTF-8 data could start a bad character: no C0 control but tab, LF
    and CR, no DEL, and no 0xC2 / 0xEF lead byte (C1 controls, U+FFFE/U+FFFF). A few numpy passes over the
    raw buffers instead of a regex over every value (1M-row columns are almost always clean); a byte
    outside the array's slice can only send it to the exact check."""
    arr = values.array.__arrow_array__()
    for chunk in getattr(arr, "chunks", [arr]):
        data = chunk.buffers()[2] if len(chunk.buffers()) > 2 else None
        if data is None:
            continue
        b = np.frombuffer(data, dtype=np.uint8)
        if not len(b) or (int(b.min()) >= 0x20 and int(b.max()) < 0x7F):  # printable ASCII: two fast passes
            continue
        low = b < 0x20
        if low.any() and bool((low & (b != 0x09) & (b != 0x0A) & (b != 0x0D)).any()):
            return False
        if bool((b == 0x7F).any()) or bool((b == 0xC2).any()) or bool((b == 0xEF).any()):
            return False
    return True


def has_bad(values: pd.Series) -> pd.Series:
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        if _surely_clean(values):
            return pd.Series(False, index=values.index, dtype=bool)
        hit = values.str.contains(_BAD_RE2, regex=True)
    else:
        hit = values.map(lambda v: _BAD_RE.search(str(v)) is not None)
    return hit.fillna(False).astype(bool)
SHOWN = 60  # characters of an over-long value kept in the finding


def shown(value: str) -> str:
    """The value as a finding carries it: bad characters spelled out, long text cut (reports never choke)."""
    text = _BAD_RE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256 else f"\\u{ord(m.group()):04x}",
                       value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "..."


def _where(frame: pd.DataFrame, sheet: str, label: str) -> tuple[pd.Series, pd.Series]:
    """(sheet, column) per row: E911 taken from Customers.Notes points back at that Notes cell."""
    if "_sheet" in frame.columns and sheet != "Customers":
        from_notes = frame["_sheet"].eq("Customers")
        return (frame["_sheet"].where(from_notes, sheet).astype("str"),
                pd.Series(label, index=frame.index).where(~from_notes, "Notes").astype("str"))
    return pd.Series(sheet, index=frame.index), pd.Series(label, index=frame.index)


def limit_findings(order: NormalizedOrder) -> list[Finding]:
    out: list[Finding] = []
    for sheet, frame in order.sheets.items():
        out += sheet_limit_findings(sheet, frame)
    return out


_LABELS = {s.name: s.labels for s in SHEETS}


def sheet_limit_findings(sheet: str, frame: pd.DataFrame) -> list[Finding]:
    """``limit_findings`` of one sheet: they read that sheet only (``validators.sheet_checks`` runs them ahead)."""
    out: list[Finding] = []
    if frame.empty:
        return out
    labels = _LABELS
    cols = [c for c in frame.columns if not str(c).startswith("_") and c in labels.get(sheet, {})]
    account = frame["account_name"].astype("str") if "account_name" in frame.columns else None
    for col in cols:
        values = frame[col].astype("str")
        label = labels[sheet][col]
        bad = has_bad(values)
        if bool(bad.any()):
            sheets, columns = _where(frame[bad], sheet, label)
            for i, sh, co in zip(frame.index[bad], sheets, columns, strict=True):
                v = str(values.loc[i])
                out.append(Finding.of(
                    "INVALID_CHARACTERS", sh, int(str(frame.at[i, "_row"])), co,
                    f"{label} holds a control character ({shown(v)}) that BroadWorks and billing cannot "
                    "carry: retype the value (it was probably pasted from another program).",
                    "" if account is None else str(account.loc[i]), shown(v)))
        out += _too_long(frame, sheet, col, label, values, bad, account)
    return out


def _bytes_at_most(values: pd.Series, n: int) -> bool:
    """Whether no cell of a text column holds more than ``n`` bytes (UTF-8: a character is at least one byte),
    read from Arrow's offsets alone, where counting characters scans every byte."""
    if not isinstance(values.array, pd.arrays.ArrowStringArray) or len(values) == 0:
        return False
    longest = pc.max(pc.binary_length(pa.chunked_array(values.array.__arrow_array__()))).as_py()
    return longest is None or int(longest) <= n


def _too_long(frame: pd.DataFrame, sheet: str, col: str, label: str, values: pd.Series, bad: pd.Series,
              account: pd.Series | None) -> list[Finding]:
    out: list[Finding] = []
    limit = LIMITS.get(sheet, {}).get(col)
    email = col in EMAIL_COLUMNS.get(sheet, ())
    if limit is None and not email:  # no length to check: the lengths are not measured (1M package lines)
        return out
    if _bytes_at_most(values, BW_EMAIL if email else limit[0] if limit else 0):
        return out  # no cell has more bytes than the limit has characters: none can be over it
    if email:
        # no address is longer than the whole cell: split only the cells that could hold one over the limit
        longest = values.str.len().fillna(0).astype("int64")
        maybe = longest.gt(BW_EMAIL)
        if bool(maybe.any()):
            longest[maybe] = values[maybe].map(lambda v: max((len(e.strip()) for e in str(v).split(";")), default=0))
        limit = (BW_EMAIL, "BroadWorks contact e-mail (R25 EmailAddress), per address")
    else:
        longest = values.str.len()
    if limit is None:
        return out
    n, why = limit
    over = longest.gt(n).fillna(False).astype(bool) & ~bad
    if col == "company" and account is not None:
        over &= values.ne(account)  # Company defaulted to the Account Name: that cell has its own finding
    if not bool(over.any()):
        return out
    sheets, columns = _where(frame[over], sheet, label)
    for i, sh, co in zip(frame.index[over], sheets, columns, strict=True):
        v = str(values.loc[i])
        out.append(Finding.of(
            "VALUE_TOO_LONG", sh, int(str(frame.at[i, "_row"])), co,
            f"{label} is {int(longest.loc[i])} characters; {why} accepts at most {n}: shorten it.",
            "" if account is None else str(account.loc[i]), shown(v)))
    return out
