"""Each row's customer as a number: the position of its account key among the Customers sheet's named keys
(in sheet order, each once), -1 where the row names no listed customer (a blank name, or one not on
Customers).

The cross-sheet rules (``validators.rules.account_findings``: unknown accounts, customers without package
lines) and the plan inputs (``pipeline.plan_inputs``: each row's customer position) asked the same question
of the same columns, and each answer hashed 100k keys again: on the 100k-customer book 0.05 s of CPU per
look-up, eight of them after the read, where both cores are busy (issue 18 a). A sheet's codes are now made
once and kept beside its key column, keyed by the identity of the Arrow data as ``transforms.distinct``'s
encodings are (same caveat: pandas keeps that identity through frames and column picks; a column it does
not keep is simply computed again). Two threads asking for the same column at once (the validation and the
plan inputs run side by side) wait for one computation."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from transforms import distinct


@dataclass(frozen=True)
class Listed:
    """The Customers sheet's named account keys in sheet order, each once, and per Customers row the
    position of its key there (-1: a blank name)."""

    keys: pa.Array
    own: np.ndarray
    series: pd.Series  # ``keys`` as text, to look other columns up in (no copy)

    def __len__(self) -> int:
        return len(self.keys)


T = TypeVar("T")
# re-entrant: a weakref callback (an entry whose column was freed) may run in a thread that holds it
_LOCK = threading.RLock()
_BUSY: dict[tuple[int, int], threading.Lock] = {}
_KEPT: dict[tuple[int, int], tuple[weakref.ref[pa.ChunkedArray], weakref.ref[pa.ChunkedArray], object]] = {}


def listed(customer_keys: pd.Series) -> Listed:
    """The named keys of a Customers ``_account_key`` column (one dictionary encoding of it)."""
    return _kept(customer_keys, customer_keys, lambda: _listed(customer_keys))


def codes(keys: pd.Series, customer_keys: pd.Series) -> np.ndarray:
    """Per row of ``keys`` (any sheet's ``_account_key``), its customer's position in ``listed(customer_keys)``,
    -1 where it names none. Int64; a new array the caller may change."""
    data = distinct.own_data(keys)
    if keys is customer_keys or (data is not None and data is distinct.own_data(customer_keys)):
        return listed(customer_keys).own.copy()
    return _kept(keys, customer_keys, lambda: _codes(keys, listed(customer_keys))).copy()


def _listed(customer_keys: pd.Series) -> Listed:
    arr = _arrow(customer_keys)
    enc = pc.dictionary_encode(arr)
    dictionary = enc.dictionary
    own = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    blank = pc.index(dictionary, pa.scalar("", dictionary.type)).as_py()
    if blank >= 0:  # a blank name is no customer: taken out of the list, its rows -1
        dictionary = pa.concat_arrays([dictionary.slice(0, blank), dictionary.slice(blank + 1)])
        at_blank = own == blank
        own = own - (own > blank)
        own[at_blank] = -1
    dictionary = dictionary.cast(pa.large_string())
    return Listed(dictionary, own, pd.Series(pd.array(dictionary, dtype="str")))


def _codes(keys: pd.Series, names: Listed) -> np.ndarray:
    if len(keys) == 0:
        return np.zeros(0, dtype=np.int64)
    aligned = _in_customer_order(keys, names)
    if aligned is not None:
        return aligned
    at = distinct.positions(keys, names.series)
    if at is not None:
        return at
    # not Arrow text without gaps (a small frame built in a test, an object column): the same answer, in Arrow
    found = pc.index_in(_arrow(keys), value_set=names.keys)
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _in_customer_order(keys: pd.Series, names: Listed) -> np.ndarray | None:
    """The codes without a hash look-up when the sheet lists its customers as Customers does: each customer's
    rows together, the customers in Customers' order from the first (a book exported customer by customer).
    Two vectorized comparisons decide it (0.002-0.02 s for 1M lines; the look-up costs 0.05 s per 100k keys);
    anything else (a blank or unknown name, another order) is None and looked up."""
    kept = distinct.encoding(keys)  # 1M package lines: their distinct keys are already in order of appearance
    if kept is not None:
        codes, uniques = kept
        return codes.astype(np.int64) if _prefix(uniques, names) else None
    arr = _arrow(keys)
    if arr.null_count:
        return None
    n = len(arr)
    new = np.ones(n, dtype=bool)  # a row whose key differs from the row above starts a customer's run
    if n > 1:
        new[1:] = np.asarray(pc.not_equal(arr.slice(1), arr.slice(0, n - 1)).to_numpy(zero_copy_only=False), dtype=bool)
    starts = np.flatnonzero(new)
    if not _prefix(arr.take(pa.array(starts)), names):
        return None
    return np.cumsum(new, dtype=np.int64) - 1


def _prefix(heads: pa.Array, names: Listed) -> bool:
    """Whether ``heads`` are the first ``len(heads)`` listed customers, in that order."""
    m = len(heads)
    if m > len(names) or heads.null_count:
        return False
    same = pc.equal(heads.cast(pa.large_string()), names.keys.slice(0, m))
    return bool(pc.all(same).as_py()) if m else True


def _arrow(s: pd.Series) -> pa.Array:
    """A key column as one Arrow text array (nulls where pandas has missing values)."""
    data = distinct.own_data(s)
    if data is not None:
        return data.combine_chunks().cast(pa.large_string())
    return pa.array([v if isinstance(v, str) else None for v in s.tolist()], pa.large_string())


def _kept(keys: pd.Series, customer_keys: pd.Series, make: Callable[[], T]) -> T:
    """``make()`` once per (column, Customers column) pair, for as long as both columns live."""
    a, b = distinct.own_data(keys), distinct.own_data(customer_keys)
    if a is None or b is None:  # nothing to keep it beside
        return make()
    key = (id(a), id(b))

    def current() -> T | None:
        got = _KEPT.get(key)
        return got[2] if got is not None and got[0]() is a and got[1]() is b else None  # type: ignore[return-value]

    with _LOCK:
        value = current()
        if value is not None:
            return value
        busy = _BUSY.setdefault(key, threading.Lock())
    with busy:  # another thread making the same answer: wait for it
        with _LOCK:
            value = current()
        if value is not None:
            return value
        try:
            value = make()
        finally:
            with _LOCK:
                _BUSY.pop(key, None)

        def gone(ref: weakref.ref[pa.ChunkedArray]) -> None:  # either column freed: the entry goes with it
            with _LOCK:
                got = _KEPT.get(key)
                if got is not None and (got[0] is ref or got[1] is ref):
                    _KEPT.pop(key, None)

        refs = [weakref.ref(a, gone), weakref.ref(b, gone)]
        with _LOCK:
            _KEPT[key] = (refs[0], refs[1], value)
    return value
