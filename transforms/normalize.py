"""Normalize the text frames of a RawOrder (DESIGN §3): trim, phones, ZIPs, dates, emails, domains, time
zones, states, countries, catalog spellings, quantities; E911 from Customers.Notes into Locations.

Values that do not parse are left as typed (trimmed) for the validators to report; repairs are reported
here (VALUE_REPAIRED, QUANTITY_DEFAULTED). Each parser runs once per distinct value, never per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.keys import account_key as core_account_key
from data.catalog import Catalog
from data.sheets import SHEETS, Sheet, find_sheet
from transforms import values as V
from transforms.cells_text import strip_text
from transforms.distinct import (  # noqa: F401 - re-exported: where the validators look for them
    Parser,
    factorize_pairs,
    fast_emails,
    isin,
    keeps,
    map_distinct,
    map_distinct_sparse,
    map_pairs,
    map_pairs_sparse,
    map_text,
    remember,
)
from transforms.e911 import parse_notes_e911
from transforms.findings import Finding
from transforms.ingest import RawOrder
from transforms.order_kinds import normalize_customers, yes_no_text

_BY_NAME = {s.name: s for s in SHEETS}


@dataclass
class NormalizedOrder:
    """Every sheet of §3 as a frame (empty when absent): canonical keys (all str), ``_row`` (Excel row),
    ``_account_key``; Locations also has ``country`` and ``_sheet`` ('Locations' or 'Customers' for E911
    taken from the customer's Notes, with the customer's row)."""

    sheets: dict[str, pd.DataFrame]
    present: set[str]
    findings: list[Finding] = field(default_factory=list)  # ingest + normalize findings
    raw: RawOrder | None = None
    # what ``transforms.ahead``'s ``then`` made of a sheet in its reader thread: name -> (the frame, result)
    ahead: dict[str, tuple[pd.DataFrame, Any]] = field(default_factory=dict, repr=False, compare=False)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.sheets[name]

    def prepared(self, sheet: str) -> Any | None:
        """The ahead result for ``sheet`` if it was made from the very frame the order holds now (a sheet
        replaced since, as Locations is by E911 taken from Customers.Notes, is checked again)."""
        got = self.ahead.get(sheet)
        return got[1] if got is not None and got[0] is self.sheets.get(sheet) else None


def account_key(s: pd.Series) -> pd.Series:
    """Account name casefolded, whitespace collapsed: how accounts are matched across sheets and batches."""
    if not isinstance(s.array, pd.arrays.ArrowStringArray) or s.hasnans:
        return map_text(s, _key_of)
    # Once per distinct name, in Arrow for the ASCII ones (all of a usual book): there ``casefold`` is
    # ``lower``, and Python's ``\s`` and ``strip()`` mean exactly these characters. Other names go through
    # ``_key_of`` itself.
    encoded = pc.dictionary_encode(pa.chunked_array(s.array.__arrow_array__()).combine_chunks())
    remember(s, np.asarray(encoded.indices.to_numpy(zero_copy_only=False)), encoded.dictionary)  # the names'
    names = encoded.dictionary
    keys = pc.utf8_trim(_collapse_spaces(pc.utf8_lower(names)), " ")
    other = np.flatnonzero(~np.asarray(pc.string_is_ascii(names).to_numpy(zero_copy_only=False), dtype=bool))
    if len(other):
        fixed = keys.to_pylist()
        for i in other.tolist():
            fixed[i] = _key_of(names[i].as_py())
        keys = pa.array(fixed, type=names.type)
    if not keeps(len(s)):
        out = pc.take(keys, encoded.indices)
        return pd.Series(pd.array(out, dtype="str"), index=s.index, name=s.name)
    # a long column's keys are kept encoded too (``distinct.remember``): the distinct keys (several
    # spellings of a name make one key) and per row its key's position, as ``pd.factorize`` gives them
    again = pc.dictionary_encode(keys)
    codes = np.asarray(again.indices.to_numpy(zero_copy_only=False))[
        np.asarray(encoded.indices.to_numpy(zero_copy_only=False))]
    made = pd.Series(pd.array(pc.take(again.dictionary, pa.array(codes)), dtype="str"), index=s.index, name=s.name)
    remember(made, codes, again.dictionary)
    return made


_ASCII_SPACES = r"[\t\n\x0b\x0c\r\x1c-\x1f ]+"
_CONTROL_SPACES = np.zeros(256, dtype=bool)
_CONTROL_SPACES[[*range(0x09, 0x0E), *range(0x1C, 0x20)]] = True  # in UTF-8 these bytes are only themselves


def _collapse_spaces(names: pa.Array) -> pa.Array:
    """``replace_substring_regex(names, _ASCII_SPACES, " ")``, run only over the names it can change: those
    with two spaces in a row or one of the other characters (an RE2 replace costs about 1 µs a name, 0.1 s
    per 100k names; most names hold single spaces only, which it leaves as they are)."""
    need = pc.match_substring(names, "  ")
    data = names.buffers()[2]
    if data is not None and bool(_CONTROL_SPACES[np.frombuffer(data, dtype=np.uint8)].any()):
        need = pc.or_(need, pc.match_substring_regex(names, r"[\t\n\x0b\x0c\r\x1c-\x1f]"))
    need = pc.fill_null(need, False)
    if not pc.any(need).as_py():
        return names
    fixed = pc.replace_substring_regex(pc.filter(names, need), _ASCII_SPACES, " ")
    return pc.replace_with_mask(names, need, fixed)


_key_of = core_account_key  # the one account key (core.keys), mapped over a column above


_SPACES = re.compile(r"\s+")


def empty_frame(sheet: Sheet) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {c.key: pd.Series([], dtype="str") for c in sheet.columns}
    cols["_row"] = pd.Series([], dtype="int64")
    frame = pd.DataFrame(cols)
    frame["_account_key"] = pd.Series([], dtype="str")
    return frame


class _Ctx:
    def __init__(self, sheet: Sheet, frame: pd.DataFrame, findings: list[Finding]) -> None:
        self.sheet, self.frame, self.findings = sheet, frame, findings

    def apply(self, key: str, fn: Parser) -> None:
        vals, reps = map_distinct_sparse(self.frame[key], fn)
        self._repairs(key, reps)
        self.frame[key] = vals

    def apply_pair(self, key: str, other: str, fn: Callable[[str, str], V.Result]) -> None:
        vals, reps = map_pairs_sparse(self.frame[key], self.frame[other], fn)
        self._repairs(key, reps)
        self.frame[key] = vals

    def _repairs(self, key: str, reps: pd.Series | None) -> None:
        if reps is None:  # nothing repaired
            return
        hit = reps.notna()
        if not hit.any():
            return
        label = self.sheet.column(key).label
        f = self.frame[hit]
        for row, acct, val, msg in zip(f["_row"], f["account_name"], f[key], reps[hit], strict=True):
            self.findings.append(Finding.of("VALUE_REPAIRED", self.sheet.name, row, label,
                                            f"{label}: {msg}. Check it, and format the column as Text.", acct, val))

    def quantity(self, default_from: pd.Series | None = None) -> None:
        q = self.frame["quantity"]
        blank = q.eq("")
        if default_from is not None:  # DIDs: blank Quantity with specific Numbers = how many numbers
            counted = blank & default_from.gt(0)
            q = q.mask(counted, default_from.astype("str"))
            blank = blank & ~counted
        f = self.frame[blank]
        for row, acct in zip(f["_row"], f["account_name"], strict=True):
            self.findings.append(Finding.of("QUANTITY_DEFAULTED", self.sheet.name, row, "Quantity",
                                            "Quantity is blank: 1 was ordered. Enter the quantity if it is not 1.",
                                            acct, ""))
        self.frame["quantity"] = q.mask(blank, "1")
        self.apply("quantity", V.quantity)


def normalize(raw: RawOrder, catalog: Catalog) -> tuple[NormalizedOrder, list[Finding]]:
    findings: list[Finding] = raw.findings()
    sheets: dict[str, pd.DataFrame] = {}
    big = max(SHEETS, key=lambda s: len(raw.sheets.get(s.name, ())))
    # The biggest sheet (1M package lines) is normalized on a side thread beside the others: each sheet has
    # its own frame and findings (joined in sheet order below), and Arrow's kernels leave the GIL.
    done = {s.name: got for s in SHEETS if (got := raw.prepared(s.name, catalog)) is not None}  # transforms.ahead
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="normalize") as side:
        aside = side.submit(normalize_sheet, big, raw, catalog) if big.name not in done else None
        done |= {s.name: normalize_sheet(s, raw, catalog) for s in SHEETS if s is not big and s.name not in done}
        done[big.name] = aside.result() if aside is not None else done[big.name]
    later: dict[str, tuple[pd.DataFrame, Any]] = {}
    for sheet in SHEETS:
        frame, found, *then = done[sheet.name]  # a third item: what ``transforms.ahead``'s ``then`` made of it
        sheets[sheet.name] = frame
        findings += found
        if then:
            later[sheet.name] = (frame, then[0])
    sheets["Locations"] = _with_notes_e911(sheets["Locations"], sheets["Customers"], findings)
    # the raw frames are not kept: a 1M-line book's raw text would stay alive beside the normalized one
    order = NormalizedOrder(sheets, {s for s in raw.sheets if find_sheet(s)}, findings, ahead=later)
    return order, findings


def normalize_sheet(sheet: Sheet, raw: RawOrder, catalog: Catalog) -> tuple[pd.DataFrame, list[Finding]]:
    src = raw.sheets.get(sheet.name)
    if src is None or src.empty:
        return empty_frame(sheet), []
    found: list[Finding] = []
    frame = src.copy(deep=False)  # copy-on-write: every column set below is a new one; the raw sheet stays
    # Account Name first: a big sheet's account keys (hashing 1M names: Arrow, without the GIL) are made on a
    # side thread while its other columns are stripped and normalized; taken only if the normalizer left
    # Account Name as it was.
    keys_first = sorted(sheet.columns, key=lambda c: c.key != "account_name")
    _strip(frame, keys_first[0].key)
    names = frame["account_name"]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="account-keys") as side:
        keying = side.submit(account_key, names) if len(frame) >= SIDE_KEYS_ROWS else None
        for c in keys_first[1:]:
            _strip(frame, c.key)
        ctx = _Ctx(sheet, frame, found)
        _NORMALIZERS[sheet.name](ctx, catalog)
        frame = ctx.frame
        same = keying is not None and frame["account_name"].array is names.array
        frame["_account_key"] = keying.result() if same and keying is not None else account_key(frame["account_name"])
    return frame, found


SIDE_KEYS_ROWS = 200_000  # below this the keys cost less than a thread's start


def _strip(frame: pd.DataFrame, key: str) -> None:
    # a column added to the contract later may be absent from a hand-made frame
    frame[key] = strip_text(frame[key]) if key in frame.columns else pd.Series("", index=frame.index, dtype="str")


def _address(ctx: _Ctx) -> None:
    ctx.apply("state", V.state)
    ctx.apply_pair("zip", "state", V.zip_code)


def _customers(ctx: _Ctx, catalog: Catalog) -> None:
    f = ctx.frame
    _address(ctx)
    ctx.apply_pair("country", "state", V.country)
    f["company"] = f["company"].mask(f["company"].eq(""), f["account_name"])
    ctx.apply("main_number", V.phone)
    ctx.apply("email", V.email_list)
    ctx.apply("default_domain", V.domain)
    ctx.apply("time_zone", V.time_zone)
    ctx.apply("billing_start_date", V.date_text)
    ctx.apply("billing_type", V.billing_type)
    _create_admin_text(ctx)
    normalize_customers(f)


def _create_admin_text(ctx: _Ctx) -> None:
    """Create Admin must say yes or no (blank = no): other text is INVALID_FORMAT before it becomes a bool."""
    f = ctx.frame
    bad = f[~yes_no_text(f["create_admin"])]
    for row, acct, v in zip(bad["_row"], bad["account_name"], bad["create_admin"], strict=True):
        ctx.findings.append(Finding.of("INVALID_FORMAT", "Customers", row, "Create Admin",
                                       f"Create Admin '{v}' must be yes or no (blank = no): it says whether the new "
                                       "group gets a customer administrator login of its own.", acct, v))


def _locations(ctx: _Ctx, catalog: Catalog) -> None:
    _address(ctx)
    ctx.frame["country"], _ = map_distinct(ctx.frame["state"], lambda s: V.country("", s))
    ctx.apply("main_number", V.phone)
    ctx.frame["_sheet"] = "Locations"


def _packages(ctx: _Ctx, catalog: Catalog) -> None:
    def ot(v: str) -> V.Result:
        o = catalog.order_type(v)
        return (o.name if o else v), None

    def pkg(v: str, order_type: str) -> V.Result:
        p = catalog.package(order_type, v)
        return (p.name if p else v), None

    ctx.apply("order_type", ot)
    ctx.apply_pair("package", "order_type", pkg)
    ctx.quantity()
    ctx.apply("effective_date", V.date_text)


def _dids(ctx: _Ctx, catalog: Catalog) -> None:
    f = ctx.frame
    for k in ("npa", "nxx"):
        f[k] = f[k].str.replace(r"^(\d{3})\.0+$", r"\1", regex=True)
    ctx.apply("numbers", V.phone_list)
    ok = ctx.frame["numbers"].str.fullmatch(r"(\+1\d{10})(,\+1\d{10})*")
    count = ctx.frame["numbers"].str.count(",").add(1).where(ok, 0)
    ctx.quantity(default_from=count)
    ctx.apply("purpose", V.purpose)
    ctx.apply("fax_email", V.email_list)


def _porting(ctx: _Ctx, catalog: Catalog) -> None:
    ctx.apply("number", V.phone)
    ctx.apply("btn", V.phone)
    ctx.apply("requested_date", V.date_text)


def _toll_free(ctx: _Ctx, catalog: Catalog) -> None:
    ctx.apply("action", V.toll_free_action)
    ctx.apply("toll_free_number", V.phone)
    ctx.apply("ring_to", V.phone)
    ctx.apply("required_date", V.date_text)


def _numbers(ctx: _Ctx, catalog: Catalog) -> None:
    ctx.apply("number", V.phone)
    ctx.apply("purpose", V.purpose)


_NORMALIZERS: dict[str, Callable[[_Ctx, Catalog], None]] = {
    "Customers": _customers, "Locations": _locations, "Packages": _packages, "DIDs": _dids,
    "Porting": _porting, "Toll Free": _toll_free, "Numbers": _numbers,
}


def _with_notes_e911(locations: pd.DataFrame, customers: pd.DataFrame, findings: list[Finding]) -> pd.DataFrame:
    """E911 entries of Customers.Notes become Locations rows with ``_sheet='Customers'`` and the customer's row."""
    if "country" not in locations.columns:
        locations = locations.assign(country=pd.Series([], dtype="str"), _sheet=pd.Series([], dtype="str"))
    has = customers["notes"].str.contains(r"(?i)\bE-?911\b", regex=True) if len(customers) else None
    if has is None or not has.any():
        return locations
    rows: list[dict[str, object]] = []
    for rec in customers[has].to_dict("records"):
        for e in parse_notes_e911(str(rec["notes"])):
            rows.append({"account_name": rec["account_name"], "location_name": "E911 (Notes)",
                         "address_1": e.address_1, "address_2": e.address_2, "city": e.city, "state": e.state,
                         "zip": e.zip, "main_number": e.main_number or rec["main_number"], "_row": rec["_row"]})
    if not rows:
        return locations
    extra = pd.DataFrame(rows).astype({k: "str" for k in rows[0] if k != "_row"})
    notes_findings: list[Finding] = []
    ctx = _Ctx(_BY_NAME["Locations"], extra, notes_findings)
    _locations(ctx, None)  # type: ignore[arg-type]
    extra = ctx.frame
    extra["_sheet"] = "Customers"
    extra["_account_key"] = account_key(extra["account_name"])
    # A repair inside the notes is reported at Customers.Notes, the cell the partner wrote it in.
    findings += [Finding.of(f.code, "Customers", f.row, "Notes", f"E911 in Notes: {f.message}", f.account, f.value)
                 for f in notes_findings]
    out = pd.concat([locations, extra[locations.columns]], ignore_index=True)
    out["_row"] = out["_row"].astype("int64")
    return out

