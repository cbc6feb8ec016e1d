"""Issue 18 (a): the vectorized paths give exactly what the per-value rules they replace give.

Each fast path is compared, on generated text (controls, non-ASCII, separators, digits of other scripts),
with the plain Python rule it stands for; a difference is a changed finding, row or message.
"""

from __future__ import annotations

import importlib
import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from data.catalog import load_catalog
from validators.dids import _qty, package_totals
from validators.limits import _BAD_RE, has_bad

N = importlib.import_module("transforms.normalize")  # the package re-exports a function of that name

TEXT = st.text(alphabet=st.sampled_from(
    [*"aZ09 .@+-_%;,'", "\t", "\n", "\r", "\x07", "\x0b", "\x1c", "\x7f", "\x85", "\x9f", "\xa0", "é", "ß",
                              "\u3000", "\ufffe", "\uffff", "\uff10", "\u0663", "İ"]), max_size=14)


def texts(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=40))
def test_has_bad_is_the_regex(values: list[str]) -> None:
    got = has_bad(texts(values)).tolist()
    assert got == [_BAD_RE.search(v) is not None for v in values]


def test_has_bad_clean_column_and_each_bad_character() -> None:
    clean = texts(["Acme Corp", "100 Main St\tSuite 2", "Zoë\u00a0Café", "line\r\nbreak", ""])
    assert not has_bad(clean).any()
    for ch in ["\x00", "\x08", "\x0b", "\x1f", "\x7f", "\x80", "\x9f", "\ufffe", "\uffff"]:
        assert has_bad(texts(["ok", f"a{ch}b"])).tolist() == [False, True], repr(ch)


def _key_reference(v: str) -> str:
    return re.sub(r"\s+", " ", v.casefold()).strip()


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, max_size=40))
def test_account_key_is_casefold_and_collapsed_spaces(values: list[str]) -> None:
    s = pd.Series(values, dtype="str", index=range(5, 5 + len(values)))
    got = N.account_key(s)
    assert got.index.equals(s.index)
    assert got.tolist() == [_key_reference(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(TEXT, st.sampled_from(["1", "007", "0", "123456789", "1234567890", "-1", "1.0"])),
                max_size=40))
def test_quantities_parse_as_to_numeric_did(values: list[str]) -> None:
    s = texts(values)
    reference = pd.to_numeric(s.where(s.str.fullmatch(r"\d{1,9}").fillna(False).astype(bool)),
                              errors="coerce").fillna(0).astype("int64")
    assert _qty(s).tolist() == reference.tolist()


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "a\x00b", "", "é"]), st.sampled_from(["", "x", "\x00", "b"])),
                max_size=30))
def test_factorize_pairs_is_exact(pairs: list[tuple[str, str]]) -> None:
    a = texts([p[0] for p in pairs])
    b = texts([p[1] for p in pairs])
    codes, distinct = N.factorize_pairs(a, b)
    assert distinct == list(dict.fromkeys(pairs))
    assert [distinct[c] for c in codes.tolist()] == pairs


def test_package_totals_per_account() -> None:
    catalog = load_catalog()
    seat = next((o, p.name) for o in catalog.order_type_names() for p in catalog.packages_of(o) if p.seat)
    pk = pd.DataFrame({"_account_key": texts(["a", "a", "b", "b"]),
                       "order_type": texts([seat[0], seat[0], seat[0], "Nope"]),
                       "package": texts([seat[1], seat[1], seat[1], "Nope"]),
                       "quantity": texts(["2", "x", "3", "5"])})
    order = N.NormalizedOrder({"Packages": pk}, {"Packages"})
    totals = package_totals(order, catalog)
    assert totals.loc["a", "seats"] == 2 and totals.loc["b", "seats"] == 3
    assert np.issubdtype(totals["seats"].dtype, np.integer)
