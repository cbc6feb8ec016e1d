"""Pandera schemas per sheet: the per-cell rules on normalized text (blank passes every format check;
REQUIRED_MISSING is its own check). Each check is named after the finding code it raises."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_

from data.sheets import BILLING_TYPES, DID_PURPOSES, SHEETS, TOLL_FREE_ACTIONS, Sheet
from transforms import values as V
from transforms.distinct import valid_emails
from transforms.order_kinds import ORDER_KINDS
from transforms.regions import CA_PROVINCES, US_STATES

STATES = frozenset(US_STATES) | frozenset(CA_PROVINCES)
E164 = V.NANP_E164.pattern[1:-1]
NUMBER_LIST = rf"{E164}(,{E164})*"
ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def _distinct(pred: Callable[[str], bool],
              surely: Callable[[pa_.Array], pa_.Array] | None = None) -> Callable[[pd.Series], pd.Series]:
    """A vectorized check that runs ``pred`` once per distinct value (blank passes); ``surely`` is a
    vectorized shortcut over the distinct values: non-null where the value is known to pass."""

    def check(s: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(s, use_na_sentinel=False)
        distinct = uniques.array if isinstance(uniques, pd.Index) else uniques  # a Series' uniques are an Index
        if surely is not None and len(distinct) > 1000 and isinstance(distinct, pd.arrays.ArrowStringArray):
            arr = pa_.chunked_array(distinct.__arrow_array__()).combine_chunks()
            ok = np.asarray(surely(arr).is_valid().to_numpy(zero_copy_only=False), dtype=bool)
            asked = np.flatnonzero(~ok)
            for i, u in zip(asked.tolist(), arr.take(pa_.array(asked)).to_pylist(), strict=True):
                ok[i] = u is None or u == "" or pred(u)
        else:
            values = uniques.tolist()
            ok = np.array([u == "" or pred(u) for u in values], dtype=bool)
        return pd.Series(ok[codes], index=s.index)

    return check


def _by_distinct(check: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """``check`` over the distinct values of a column that repeats them (the Quantity of 1M package
    lines holds a handful): one regex pass over the few instead of the many, the same answer per row."""

    def run(s: pd.Series) -> pd.Series:
        if len(s) < 10_000:
            return check(s)
        codes, uniques = pd.factorize(s, use_na_sentinel=False)
        if 4 * len(uniques) > len(s):
            return check(s)
        ok = np.asarray(check(pd.Series(uniques)).to_numpy(), dtype=bool)
        return pd.Series(ok[codes], index=s.index)

    return run


def _pattern(regex: str) -> Callable[[pd.Series], pd.Series]:
    return _by_distinct(lambda s: s.eq("") | s.str.fullmatch(regex).fillna(False).astype(bool))


def _isin(options: frozenset[str] | tuple[str, ...]) -> Callable[[pd.Series], pd.Series]:
    return _by_distinct(lambda s: s.eq("") | s.isin(list(options)))


def _valid_date(v: str) -> bool:
    return bool(pd.notna(v)) and len(v) == 10 and V.parse_date(v) is not None


@_by_distinct
def _whole(s: pd.Series) -> pd.Series:
    # 1..9 digits, not all zeros: the same as to_numeric(...) >= 1, without parsing 1M strings in Python
    return (s.str.fullmatch(r"[0-9]{1,9}").fillna(False).astype(bool)
            & ~s.str.fullmatch(r"0+").fillna(False).astype(bool))


FORMAT = "INVALID_FORMAT"
PHONE = _pattern(E164)
EMAILS = _distinct(lambda v: not V.bad_emails(v), valid_emails)

# key -> [(code, check)] per sheet (keys shared by several sheets are listed once).
_COMMON: dict[str, list[tuple[str, Callable[[pd.Series], pd.Series]]]] = {
    "zip": [(FORMAT, _pattern(f"{V.US_ZIP.pattern[1:-1]}|{V.CA_POSTAL.pattern[1:-1]}"))],
    "state": [(FORMAT, _isin(STATES))],
    "main_number": [(FORMAT, PHONE)],
}
_RULES: dict[str, dict[str, list[tuple[str, Callable[[pd.Series], pd.Series]]]]] = {
    "Customers": {
        **_COMMON,
        "country": [(FORMAT, _isin(("US", "CA")))],
        "email": [(FORMAT, EMAILS)],
        "default_domain": [
            ("DOMAIN_HAS_SCHEME", lambda s: ~s.str.contains(V.DOMAIN_SCHEME.pattern, case=False, regex=True)),
            (FORMAT, lambda s: s.eq("") | s.str.contains(V.DOMAIN_SCHEME.pattern, case=False, regex=True)
             | s.str.fullmatch(V.DOMAIN_OK.pattern[1:-1]).fillna(False).astype(bool)),
        ],
        "time_zone": [("TIMEZONE_UNKNOWN", _distinct(V.is_zone))],
        "billing_start_date": [(FORMAT, _distinct(_valid_date))],
        "billing_type": [("BILLING_TYPE_UNKNOWN", _isin(BILLING_TYPES))],
        "order_kind": [(FORMAT, _isin(ORDER_KINDS))],
    },
    "Locations": dict(_COMMON),
    "Packages": {"quantity": [("QUANTITY_INVALID", _whole)], "effective_date": [(FORMAT, _distinct(_valid_date))]},
    "DIDs": {
        "npa": [(FORMAT, _pattern(r"[2-9]\d{2}"))],
        "nxx": [(FORMAT, _pattern(r"[2-9]\d{2}"))],
        "quantity": [("QUANTITY_INVALID", _whole)],
        "numbers": [(FORMAT, _pattern(NUMBER_LIST))],
        "purpose": [(FORMAT, _isin(DID_PURPOSES))],
        "fax_email": [(FORMAT, EMAILS)],
    },
    "Porting": {"number": [(FORMAT, PHONE)], "btn": [(FORMAT, PHONE)],
                "requested_date": [(FORMAT, _distinct(_valid_date))]},
    "Toll Free": {"action": [(FORMAT, _isin(TOLL_FREE_ACTIONS))], "toll_free_number": [(FORMAT, PHONE)],
                  "ring_to": [(FORMAT, PHONE)], "required_date": [(FORMAT, _distinct(_valid_date))]},
    "Numbers": {"number": [(FORMAT, PHONE)], "purpose": [(FORMAT, _isin(DID_PURPOSES))]},
}


def _required(s: pd.Series) -> pd.Series:
    return s.ne("")


@lru_cache(maxsize=32)
def schema(sheet_name: str, migration: bool = False) -> pa.DataFrameSchema:
    """The schema of one sheet. Under migration the Billing Start Date may be blank (the cutover is used)."""
    sheet: Sheet = next(s for s in SHEETS if s.name == sheet_name)
    rules = _RULES.get(sheet.name, {})
    columns: dict[str, pa.Column] = {}
    for c in sheet.columns:
        checks = [pa.Check(fn, name=code) for code, fn in rules.get(c.key, [])]
        required = c.required and not (migration and c.key == "billing_start_date")
        if required:
            checks.insert(0, pa.Check(_required, name="REQUIRED_MISSING"))
        columns[c.key] = pa.Column(checks=checks, nullable=False, required=True, coerce=False)
    return pa.DataFrameSchema(columns, strict=False, name=sheet.name)
