"""Issue 18 (a): the vectorized paths give exactly what the per-value rules they replace give.

Each fast path is compared, on generated text (controls, non-ASCII, separators, digits of other scripts),
with the plain Python rule it stands for; a difference is a changed finding, row or message.
"""

from __future__ import annotations

import contextlib
import importlib
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.catalog import Catalog, load_catalog
from validators.dids import _qty, package_totals
from validators.limits import _BAD_RE, has_bad

N = importlib.import_module("transforms.normalize")  # the package re-exports a function of that name
D = importlib.import_module("transforms.distinct")  # where the shortcuts live

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
    # the same over columns in several Arrow chunks (each chunk's dictionary encoded on its own)
    cut = len(pairs) // 2
    split = [pd.Series(pd.array(pa.chunked_array([pa.array(v[:cut], pa.large_string()),
                                                  pa.array(v[cut:], pa.large_string())]), dtype="str"))
             for v in ([p[0] for p in pairs], [p[1] for p in pairs])]
    codes, distinct = N.factorize_pairs(*split)
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


def test_package_totals_from_a_kept_encoding_are_the_plain_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys staging keeps encoded (a 1M-line sheet) are summed by those codes, in the order
    ``pd.factorize(sort=True)`` gives (code points: upper case, then lower, then accents, CJK, emoji)."""
    catalog = load_catalog()
    seat = next((o, p.name) for o in catalog.order_type_names() for p in catalog.packages_of(o) if p.seat)
    keys = ["zeta", "Alpha", "é", "alpha", "中", "a b", "😀", "zeta", "é", "Alpha", ""]
    n = len(keys)
    pk = pd.DataFrame({"_account_key": texts(keys), "order_type": texts([seat[0]] * n),
                       "package": texts([seat[1]] * (n - 1) + ["Nope"]), "quantity": texts([str(i + 1) for i in range(n)])})
    order = N.NormalizedOrder({"Packages": pk}, {"Packages"})
    plain = package_totals(order, catalog)
    monkeypatch.setattr(D, "ENCODE_ROWS", 1)
    enc = pa.chunked_array([pa.array(keys, pa.large_string())]).dictionary_encode().combine_chunks()
    D.remember(pk["_account_key"], enc.indices.to_numpy(zero_copy_only=False), enc.dictionary)
    assert D.encoding(pk["_account_key"]) is not None  # the encoded path is the one taken below
    encoded = package_totals(order, catalog)
    assert encoded.index.tolist() == plain.index.tolist() == sorted(set(keys))
    assert encoded.equals(plain) and encoded.loc["zeta", "seats"] == 1 + 8 and encoded.loc["", "seats"] == 0


# The Arrow shortcuts of ``normalize.map_distinct`` (phones, e-mails) and of the schema checks only start
# above 1,000 distinct values: the generated values ride on 1,001 plain ones so that the shortcut is taken.
_FILLER = [f"user{i}.x@Example{i % 13}.COM" for i in range(1001)]
EMAIL_PARTS = st.tuples(st.text(alphabet=st.sampled_from([*"aZ09._+-%'é"]), min_size=0, max_size=70),
                        st.sampled_from(["@", "", "@@"]),
                        st.text(alphabet=st.sampled_from([*"aZ09.-é"]), min_size=0, max_size=12),
                        st.sampled_from(["", ".com", ".TEST", ".Local", ".c", ".abcdefghijklmnopqrstuvwxyz", ".onion"]))
@contextlib.contextmanager
def _taken(parser: object) -> Iterator[None]:
    """Assert that the shortcut of ``parser`` ran (else the comparison would only test the parser with itself)."""
    fast = D._FAST[parser]
    calls: list[int] = []

    def spy(arr: pa.Array) -> pa.Array:
        calls.append(len(arr))
        return fast(arr)

    D._FAST[parser] = spy
    try:
        yield
    finally:
        D._FAST[parser] = fast
    assert calls, "the Arrow shortcut was not taken"


PHONEISH = st.text(alphabet=st.sampled_from([*"0123456789()+-. ", "\uff10", "\u0663", "x"]), max_size=16)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(EMAIL_PARTS.map("".join), TEXT), max_size=30))
def test_email_shortcut_is_the_parser(values: list[str]) -> None:
    from transforms import values as V
    from validators.schemas import EMAILS

    s = texts(values + _FILLER + values)
    with _taken(V.email_list):
        got, reps = N.map_distinct(s, V.email_list)
    ref = [V.email_list(v) for v in s.tolist()]
    assert got.tolist() == [r[0] for r in ref]
    assert [None if isinstance(r, float) else r for r in reps.tolist()] == [r[1] or None for r in ref]
    assert EMAILS(s).tolist() == [v == "" or not V.bad_emails(v) for v in s.tolist()]
    # the check's shortcut is certain of exactly the values the normalizer's is certain of
    arr = pa.array(s.tolist(), pa.large_string())
    assert D.valid_emails(arr).is_valid().to_pylist() == D.fast_emails(arr).is_valid().to_pylist()


_LONG_DOMAIN = ".".join(["d" * 61] * 4) + ".com"  # 251 characters, every label within 63
EMAIL_EDGES = ["a" * 64 + "@x.com", "a" * 65 + "@x.com", "bb@" + _LONG_DOMAIN, "bbb@" + _LONG_DOMAIN,
               "x@a.test", "x@a.TEST", "x@a.Local", "x@a.xlocal", "x@local.com", "x@a.onion", "x@a.home", "x@a.lan",
               "x@a.internal", "x@a.arpa", "x@a.invalid", "x@a.localhost", "x@a.testing", "x@a.c", "x.y@a.co",
               ".x@a.com", "x..y@a.com", "x@-a.com", "x@a-.com", "a@b@c.com", "é@a.com", "x@a.com;y@b.com", "",
               "x@a.com ", "X@A.COM", "x+tag@sub.a.io", "x@a." + "z" * 24, "x@a." + "z" * 25]


def test_email_check_shortcut_at_its_edges() -> None:
    """Lengths at and over the limits, every special-use top-level domain in both cases, near misses."""
    from transforms import values as V
    from validators.schemas import EMAILS

    arr = pa.array(EMAIL_EDGES, pa.large_string())
    certain = D.valid_emails(arr).is_valid().to_pylist()
    assert certain == D.fast_emails(arr).is_valid().to_pylist()
    verdict = dict(zip(EMAIL_EDGES, certain, strict=True))
    assert certain[:4] == [True, False, True, False]  # local part <= 64, whole address <= 254
    assert not any(verdict[v] for v in EMAIL_EDGES[4:17] if v not in ("x@a.xlocal", "x@local.com", "x@a.testing"))
    assert verdict["x@a.xlocal"] and verdict["x@local.com"] and verdict["x@a.testing"]  # ordinary domains
    s = texts(EMAIL_EDGES + _FILLER)  # over 1000 distinct values: the shortcut is taken
    assert EMAILS(s).tolist() == [v == "" or not V.bad_emails(v) for v in s.tolist()]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(PHONEISH, TEXT), max_size=30))
def test_phone_shortcut_is_the_parser(values: list[str]) -> None:
    from transforms import values as V

    s = texts(values + [f"512{i:07d}"[:10] for i in range(2000000, 2001001)] + values)
    with _taken(V.phone):
        got, reps = N.map_distinct(s, V.phone)
    ref = [V.phone(v) for v in s.tolist()]
    assert got.tolist() == [r[0] for r in ref]
    assert [None if isinstance(r, float) else r for r in reps.tolist()] == [r[1] or None for r in ref]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["1", "01", "0", "00", "", "x", "1.0", "12", "999999999", "1000000000", " 2", "٣"]),
                min_size=1, max_size=12))
def test_checks_over_distinct_values_are_the_checks(values: list[str]) -> None:
    from validators.schemas import _isin, _pattern, _whole

    s = texts((values * (10_000 // len(values) + 1))[:10_050])  # long and repetitive: the distinct path
    whole = s.str.fullmatch(r"[0-9]{1,9}").fillna(False).astype(bool) & ~s.str.fullmatch(r"0+").fillna(False)
    assert _whole(s).tolist() == whole.tolist()
    assert _pattern(r"[2-9]\d{2}")(s).tolist() == (s.eq("") | s.str.fullmatch(r"[2-9]\d{2}").fillna(False)).tolist()
    assert _isin(("1", "x"))(s).tolist() == (s.eq("") | s.isin(["1", "x"])).tolist()


@settings(max_examples=40, deadline=None)
@given(st.lists(TEXT, max_size=30))
def test_domain_shortcut_is_the_parser(values: list[str]) -> None:
    from transforms import values as V

    s = texts(values + [f"C{i}.Example.COM" for i in range(1001)] + values)
    with _taken(V.domain):
        got, _ = N.map_distinct(s, V.domain)
    assert got.tolist() == [V.domain(v)[0] for v in s.tolist()]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["7042", "07042", "78701", "K1A 0B1", "k1a0b1", "", "1234", "x\x00y"]),
                          st.sampled_from(["NJ", "TX", "ON", "", "tx", "Ontario", "\x00"])), max_size=30))
def test_map_pairs_is_the_parser_per_row(pairs: list[tuple[str, str]]) -> None:
    from transforms import values as V

    a, b = texts([p[0] for p in pairs]), texts([p[1] for p in pairs])
    got, reps = N.map_pairs(a, b, V.zip_code)
    ref = [V.zip_code(x, y) for x, y in pairs]
    assert got.tolist() == [r[0] for r in ref]
    assert [None if isinstance(r, float) else r for r in reps.tolist()] == [r[1] or None for r in ref]


def _totals_by_groupby(order: N.NormalizedOrder, catalog: Catalog) -> pd.DataFrame:
    """What package_totals computed before it summed through integer codes (the reference)."""
    pk = order.sheets["Packages"]
    got = [catalog.package(o, p) for o, p in zip(pk["order_type"], pk["package"], strict=True)]
    q = _qty(pk["quantity"]).to_numpy()
    seat = np.array([bool(x and x.seat) for x in got], dtype=bool)
    per_seat = np.array([x.dids_included if x else 0 for x in got], dtype="int64")
    adds = np.array([bool(x and x.adds_dids) for x in got], dtype=bool)
    frame = pd.DataFrame({"_account_key": pk["_account_key"].to_numpy(), "seats": np.where(seat, q, 0),
                          "included": np.where(seat, q * per_seat, 0), "adds": np.where(adds, q, 0)})
    return frame.groupby("_account_key")[["seats", "included", "adds"]].sum()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["b", "a", "", "é", "B", "a "]), st.integers(0, 4),
                          st.sampled_from(["1", "2", "x", "", "12", "0"])), min_size=1, max_size=40))
def test_package_totals_match_a_groupby(lines: list[tuple[str, int, str]]) -> None:
    catalog = load_catalog()
    every = [(o, p) for o in catalog.order_type_names() for p in catalog.packages_of(o)]
    # a seat package, a DID add-on, two others and an unknown pair: every branch of the sums
    picks = [next(x for x in every if x[1].seat), next(x for x in every if x[1].adds_dids), *every[:2]]
    known = [*[(o, p.name) for o, p in picks], ("Nope", "Nope")]
    pk = pd.DataFrame({"_account_key": texts([k for k, _, _ in lines]),
                       "order_type": texts([known[i][0] for _, i, _ in lines]),
                       "package": texts([known[i][1] for _, i, _ in lines]),
                       "quantity": texts([q for _, _, q in lines])})
    order = N.NormalizedOrder({"Packages": pk}, {"Packages"})
    pd.testing.assert_frame_equal(package_totals(order, catalog), _totals_by_groupby(order, catalog))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["Acme  Dental", "acme dental", " Acme\tDental ", "Acme\x1cDental", "ACME DENTAL",
                                 "Acme \n Dental", "Ärzte  GmbH", "x", "  ", "\t"]), min_size=1, max_size=30))
def test_account_key_collapses_only_where_needed(values: list[str]) -> None:
    plain = [f"Customer {i}" for i in range(50)]  # most names need no collapsing: the masked path
    s = pd.Series(plain + values + plain, dtype="str")
    assert N.account_key(s).tolist() == [_key_reference(v) for v in plain + values + plain]
