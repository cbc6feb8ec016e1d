"""Per-distinct-value work over text columns (split from ``transforms.normalize``): a parser runs once per
distinct value, never per row, and the common spellings of the big columns take vectorized Arrow shortcuts.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms import values as V

Parser = Callable[[str], V.Result]

# Dictionary encodings of long text columns (1M package lines name 100k customers), kept beside the very
# Arrow data they encode: once a column is encoded (its account keys when they are made, Order Type and
# Package when normalize pairs them), each later look-up hashes its 100k distinct values and takes per row,
# instead of hashing 1M strings again (positions, isin, the distinct keys, the pairs of the validation).
# Keyed by the Arrow data's identity, which pandas keeps through frames, shallow copies and column picks
# (pandas 3's behaviour, checked by tests/transforms/test_encodings.py, not a documented promise: if it
# changes, no encoding is found and every look-up hashes as before); an entry goes with its data (weakref).
# Any new column (filtered, concatenated, changed) is simply not known.
ENCODE_ROWS = 200_000  # shorter columns are hashed directly: keeping them costs more than it spares
_ENCODINGS: dict[int, tuple[weakref.ref[pa.ChunkedArray], np.ndarray, pa.Array]] = {}


def keeps(rows: int) -> bool:
    """Whether a column of ``rows`` rows is worth an encoding kept beside it (``remember``)."""
    return rows >= ENCODE_ROWS


def remember(s: pd.Series, codes: np.ndarray, uniques: pa.Array) -> None:
    """Keep ``s``'s encoding: ``uniques`` (its distinct values in order of appearance, no nulls) and per
    row the position of its value there, as ``pd.factorize`` gives them."""
    data = own_data(s)
    if data is None or not keeps(len(data)):
        return
    key = id(data)

    def gone(ref: weakref.ref[pa.ChunkedArray], key: int = key) -> None:
        if _ENCODINGS.get(key, (None,))[0] is ref:
            _ENCODINGS.pop(key, None)

    _ENCODINGS[key] = (weakref.ref(data, gone), codes, uniques)


def encoding(s: pd.Series) -> tuple[np.ndarray, pa.Array] | None:
    """(codes, uniques) kept by ``remember`` for this very column, else None."""
    data = own_data(s)
    got = _ENCODINGS.get(id(data)) if data is not None else None
    return (got[1], got[2]) if got is not None and got[0]() is data else None


def distinct_values(s: pd.Series) -> list[str]:
    """The distinct values of a text column, in order of appearance."""
    got = encoding(s)
    if got is not None:
        return [str(v) for v in got[1].to_pylist()]
    return [str(v) for v in pc.unique(pa.array(s.astype("str").array)).to_pylist()]


def _by_distinct(s: pd.Series, kernel: Callable[[pa.Array], np.ndarray]) -> np.ndarray | None:
    """``kernel`` run over the distinct values of a known-encoded column, spread back over its rows."""
    got = encoding(s)
    if got is None:
        return None
    codes, uniques = got
    return kernel(uniques)[codes]


def map_text(s: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """``fn`` over a text column, once per distinct value (pandas runs a regex replace row by row)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    mapped = pd.array([fn(u) if isinstance(u, str) else u for u in uniques.tolist()], dtype="str")
    return pd.Series(mapped.take(codes), index=s.index, name=s.name)


def isin(s: pd.Series, values: Iterable[str] | pa.Array) -> pd.Series:
    """``s.isin(values)`` for text columns, in Arrow: pandas' Arrow-string isin boxes every value of the
    set one by one (about a second per 100k values), which a 1M-row book pays on every cross-sheet lookup.
    ``values`` may be ``value_set(series)``, made once for several look-ups into the same set."""
    if len(s) == 0:  # no set built for an empty sheet (100k keys hashed for nothing, 10 ms a sheet)
        return pd.Series(np.zeros(0, dtype=bool), index=s.index)
    if isinstance(s.array, pd.arrays.ArrowStringArray) and isinstance(values, pd.Series):
        made = value_set(values)
        if made is not None:
            values = made
    if isinstance(values, pa.Array) and isinstance(s.array, pd.arrays.ArrowStringArray):
        arr = pa.chunked_array(s.array.__arrow_array__())  # zero copy
        return _hits(s, arr, values.cast(arr.type))
    vals = values.to_pylist() if isinstance(values, pa.Array) else list(values)
    if not isinstance(s.array, pd.arrays.ArrowStringArray):
        return s.isin(vals)
    arr = pa.chunked_array(s.array.__arrow_array__())  # zero copy
    try:
        value_set_ = pa.array(vals, type=arr.type)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: pandas' own rules
        return s.isin(vals)
    return _hits(s, arr, value_set_)


def _hits(s: pd.Series, arr: pa.ChunkedArray, vs: pa.Array) -> pd.Series:
    """``is_in`` of ``s`` (its Arrow data ``arr``) in ``vs``: over its distinct values when it is encoded."""
    spread = _by_distinct(s, lambda u: np.asarray(pc.is_in(u, value_set=vs.cast(u.type)).to_numpy(
        zero_copy_only=False), dtype=bool))
    if spread is not None:
        return pd.Series(spread, index=s.index)
    hit = pc.is_in(arr, value_set=vs).to_numpy(zero_copy_only=False)
    return pd.Series(np.asarray(hit, dtype=bool), index=s.index)


def positions(s: pd.Series, keys: pd.Series) -> np.ndarray | None:
    """Per row of ``s``, the position in ``keys`` of the first value equal to it, -1 where none is (one
    Arrow hash look-up); None when either is not Arrow text without missing values."""
    arr, table_ = _arrow_text(s, nulls=True), _arrow_text(keys)
    if arr is None or table_ is None:
        return None
    table = table_.combine_chunks().cast(arr.type)
    spread = _by_distinct(s, lambda u: np.asarray(pc.fill_null(pc.index_in(u, value_set=table.cast(u.type)), -1)
                                                  .to_numpy(zero_copy_only=False), dtype=np.int64))
    if spread is not None:
        return spread
    at = pc.index_in(arr, value_set=table)
    return np.asarray(pc.fill_null(at, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def value_set(values: pd.Series) -> pa.Array | None:
    """A text column's distinct values as one Arrow array, to look up in (``isin``); None when it is not
    Arrow text without missing values. Its Arrow data are used as they are (not 100k values boxed into a
    list and back); a column longer than its distinct values (1M package lines of 100k customers) is made
    distinct first, which is cheaper than letting ``is_in`` build its table from every line."""
    arr = _arrow_text(values)
    if arr is None:
        return None
    return pc.unique(arr) if len(arr) > 100_000 else arr.combine_chunks()


def own_data(s: pd.Series) -> pa.ChunkedArray | None:
    """The column's own Arrow data object (the one its frame keeps), when it is Arrow text without nulls."""
    if not isinstance(s.array, pd.arrays.ArrowStringArray):
        return None
    data = s.array.__arrow_array__()
    return data if isinstance(data, pa.ChunkedArray) and data.null_count == 0 else None


def _arrow_text(s: pd.Series, *, nulls: bool = False) -> pa.ChunkedArray | None:
    """The column's Arrow data as they are (no copy) when it is Arrow text (without missing values unless
    ``nulls``); None for anything else, which the callers hand to pandas."""
    if not isinstance(s.array, pd.arrays.ArrowStringArray) or (not nulls and s.hasnans):
        return None
    return pa.chunked_array(s.array.__arrow_array__())


def map_distinct(s: pd.Series, fn: Parser) -> tuple[pd.Series, pd.Series]:
    """Apply ``fn`` once per distinct value: (values, repair messages or NaN)."""
    vals, reps = map_distinct_sparse(s, fn)
    return vals, reps if reps is not None else _no_reps(s)


def map_distinct_sparse(s: pd.Series, fn: Parser) -> tuple[pd.Series, pd.Series | None]:
    """``map_distinct``, with None when no value was repaired (most columns: 1M NaN messages spared), and
    the column itself when ``fn`` left every value as it was (a 1M-row take spared)."""
    # factorize + take: mapping through a dict costs more than the parsing itself on a 1M-row column.
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    fast = _FAST.get(fn)
    distinct = uniques.array if isinstance(uniques, pd.Index) else uniques  # a Series' uniques are an Index
    if fast is not None and len(distinct) > 1000 and isinstance(distinct, pd.arrays.ArrowStringArray):
        arr = pa.chunked_array(distinct.__arrow_array__()).combine_chunks()
        if arr.null_count == 0:
            return _map_fast(s, codes, arr, fn, fast(arr))
    values = uniques.tolist()
    res = [fn(u) for u in values]
    return _mapped(s, codes, res, values)


def _mapped(s: pd.Series, codes: np.ndarray, res: list[V.Result], values: list[object]) -> tuple[pd.Series, pd.Series | None]:
    if s.dtype == "str" and all(r[0] == v for r, v in zip(res, values, strict=True)):
        vals = s  # already as ``fn`` writes it (catalog spellings, ISO dates, plain quantities)
    else:
        vals = pd.Series(pd.array([r[0] for r in res], dtype="str").take(codes), index=s.index, name=s.name)
    if not any(r[1] for r in res):
        return vals, None
    reps_of = np.array([r[1] if r[1] else np.nan for r in res], dtype=object)
    return vals, _reps(reps_of, codes, s)


def _reps(per_distinct: np.ndarray, codes: np.ndarray, like: pd.Series) -> pd.Series:
    # dtype=object said, not inferred: pandas would scan 1M messages-or-NaN to guess a type (0.2 s per book)
    return pd.Series(per_distinct[codes], index=like.index, name=like.name, dtype=object)


def _no_reps(like: pd.Series) -> pd.Series:
    return pd.Series(np.full(len(like), np.nan, dtype=object), index=like.index, name=like.name, dtype=object)


def _map_fast(s: pd.Series, codes: np.ndarray, arr: pa.Array, fn: Parser,
              known: pa.Array) -> tuple[pd.Series, pd.Series | None]:
    """``known`` holds the certain results of the vectorized shortcut (null: ask ``fn``): only the
    values it leaves open go through Python, and the results stay Arrow strings end to end."""
    open_ = np.asarray(known.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    asked = np.flatnonzero(open_)
    res = [fn(u) for u in arr.take(pa.array(asked, type=pa.int64())).to_pylist()] if len(asked) else []
    out = pc.replace_with_mask(known, pa.array(open_), pa.array([r[0] for r in res], type=arr.type)) \
        if len(asked) else known
    vals = pd.Series(pd.array(pc.take(out, pa.array(codes, type=pa.int64())), dtype="str"), index=s.index,
                     name=s.name)
    if not any(r[1] for r in res):
        return vals, None
    reps_of = np.full(len(arr), np.nan, dtype=object)
    reps_of[asked] = np.array([r[1] if r[1] else np.nan for r in res], dtype=object)
    return vals, _reps(reps_of, codes, s)


# Vectorized shortcuts for the common spellings of the per-value parsers of big columns (100k distinct
# phones or e-mails): Arrow regexes pick the values whose result is certain and build that result (null:
# the parser decides). Each pattern is a strict subset of what the parser accepts, with the very same result.
_PHONE_10 = r"^[2-9][0-9]{2}[2-9][0-9]{6}$"  # 5125550100 -> +15125550100
_PHONE_E164 = r"^\+1[2-9][0-9]{2}[2-9][0-9]{6}$"  # already +1NXXNXXXXXX
_PHONE_DASHED = r"^\(?[2-9][0-9]{2}\)?[- ]?[2-9][0-9]{2}-[0-9]{4}$"  # (512) 555-0100, 512-555-0100
_EMAIL_ONE = (r"^[A-Za-z0-9_%+\-]+(\.[A-Za-z0-9_%+\-]+)*@([A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
              r"[A-Za-z]{2,24}$")


def _matches(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


def _fast_phone(arr: pa.Array) -> pa.Array:
    # the three shapes are disjoint (digits only / a leading + / a dash before the last four digits)
    plus1, null = pa.scalar("+1", arr.type), pa.scalar(None, arr.type)
    out = pc.if_else(_matches(arr, _PHONE_10), pc.binary_join_element_wise(plus1, arr, pa.scalar("", arr.type)), null)
    out = pc.if_else(_matches(arr, _PHONE_E164), arr, out)
    digits = pc.replace_substring_regex(arr, r"[^0-9]", "")  # the pattern admits ASCII digits and ( ) - space
    return pc.if_else(_matches(arr, _PHONE_DASHED), pc.binary_join_element_wise(plus1, digits, pa.scalar("", arr.type)), out)


_SPECIAL_TLD = r"(?i)\.(" + "|".join(sorted(V.SPECIAL_TLDS)) + r")$"


def _email_ok(arr: pa.Array) -> pa.Array:
    """Where ``one_email``'s fast path is certain: one ASCII address (``_EMAIL_ONE`` admits one '@', so the
    first '@' is at the local part's length, and the top-level domain is what follows the last dot) with a
    local part of at most 64, at most 254 in all, and no special-use top-level domain."""
    ok = _matches(arr, _EMAIL_ONE)
    ok = pc.and_(ok, pc.less_equal(pc.find_substring(arr, "@"), 64))
    ok = pc.and_(ok, pc.less_equal(pc.binary_length(arr), 254))
    return pc.and_(ok, pc.invert(_matches(arr, _SPECIAL_TLD)))


def fast_emails(arr: pa.Array) -> pa.Array:
    """``one_email``'s fast path over an Arrow array: local@domain.lower() where certain, else null.
    A match is ASCII, so ``casefold`` is ``lower``."""
    parts = pc.extract_regex(arr, r"^(?P<local>[^@]*)@(?P<dom>.*)$")
    local, dom = pc.struct_field(parts, [0]), pc.struct_field(parts, [1])
    joined = pc.binary_join_element_wise(local, pc.utf8_lower(dom), pa.scalar("@", arr.type))
    return pc.if_else(_email_ok(arr), joined, pa.scalar(None, arr.type))


def valid_emails(arr: pa.Array) -> pa.Array:
    """True where ``fast_emails`` is certain, else null: the same verdicts without building the normalized
    text, for checking a column normalize already wrote (the schema's e-mail rule: 100k addresses in 0.04 s
    instead of 0.1 s)."""
    return pc.if_else(_email_ok(arr), True, pa.scalar(None, pa.bool_()))


def _fast_domain(arr: pa.Array) -> pa.Array:
    # ``str.lower`` and Arrow's lower agree on ASCII; other text goes to the parser
    return pc.if_else(pc.string_is_ascii(arr), pc.ascii_lower(arr), pa.scalar(None, arr.type))


_FAST: dict[Parser, Callable[[pa.Array], pa.Array]] = {V.phone: _fast_phone, V.email_list: fast_emails,
                                                       V.domain: _fast_domain}


def factorize_pairs(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """(code per row, the distinct (a, b) pairs in order of appearance): exact for any text (no joined
    separator), and a few integer passes instead of building 1M joined strings or tuples."""
    ea, eb = _encoded(a), _encoded(b)
    if ea is not None and eb is not None:  # Arrow's dictionary encoding: half the time of pandas'
        (ca, ua), (cb, ub) = ea, eb
    else:
        ca, ua_ = pd.factorize(a, use_na_sentinel=False)
        cb, ub_ = pd.factorize(b, use_na_sentinel=False)
        ua, ub = ua_.tolist(), ub_.tolist()
    n = max(len(ub), 1)
    codes, combos = pd.factorize(ca.astype("int64") * n + cb, use_na_sentinel=False)
    return codes, [(ua[int(c) // n], ub[int(c) % n]) for c in combos.tolist()]


def _encoded(s: pd.Series) -> tuple[np.ndarray, list[str]] | None:
    """(code per row, distinct values in order of appearance), as ``pd.factorize`` gives them, for Arrow
    text without missing values; None for anything else."""
    got = encoding(s)
    if got is not None:
        return got[0], got[1].to_pylist()
    arr = _arrow_text(s)
    if arr is None:
        return None
    enc = pc.dictionary_encode(arr).combine_chunks()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    remember(s, codes, enc.dictionary)
    return codes, enc.dictionary.to_pylist()


def map_pairs(a: pd.Series, b: pd.Series, fn: Callable[[str, str], V.Result]) -> tuple[pd.Series, pd.Series]:
    """Like map_distinct over (a, b) pairs (e.g. ZIP with its state)."""
    vals, reps = map_pairs_sparse(a, b, fn)
    return vals, reps if reps is not None else _no_reps(a)


def map_pairs_sparse(a: pd.Series, b: pd.Series,
                     fn: Callable[[str, str], V.Result]) -> tuple[pd.Series, pd.Series | None]:
    """``map_pairs`` as ``map_distinct_sparse`` is to ``map_distinct``."""
    # integer codes per pair (``factorize_pairs``), not 1M joined strings hashed again
    codes, pairs = factorize_pairs(a, b)
    return _mapped(a, codes, [fn(x, y) for x, y in pairs], [x for x, _ in pairs])
