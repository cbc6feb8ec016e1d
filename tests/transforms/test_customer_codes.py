"""Each row's customer as a number (transforms.customer_codes): the same answer as a plain Python look-up for
any keys, made once per column while the columns live, and once when two threads ask at the same time."""

from __future__ import annotations

import gc
import threading
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms import customer_codes as CC
from transforms import distinct as D
from transforms.normalize import account_key

KEYS = st.sampled_from(["", "acme corp", "bäckerei müller", "zeta", "ζήτα", "🙂 shop", "a", "A", "a "])


def _reference(keys: list[str | None], customers: list[str | None]) -> tuple[list[str], list[int], list[int]]:
    listed: list[str] = []
    for k in customers:
        if isinstance(k, str) and k and k not in listed:
            listed.append(k)
    at = {k: i for i, k in enumerate(listed)}
    own = [at.get(k, -1) if isinstance(k, str) else -1 for k in customers]
    return listed, own, [at.get(k, -1) if isinstance(k, str) else -1 for k in keys]


@settings(max_examples=150, deadline=None)
@given(customers=st.lists(KEYS, max_size=30), keys=st.lists(st.one_of(KEYS, st.just("unknown")), max_size=40),
       dtype=st.sampled_from(["str", "object"]))
def test_codes_are_the_plain_look_up(customers: list[str], keys: list[str], dtype: str) -> None:
    c, k = pd.Series(customers, dtype=dtype), pd.Series(keys, dtype=dtype)
    listed, own, want = _reference(keys, customers)
    names = CC.listed(c)
    assert names.keys.to_pylist() == listed
    assert names.series.tolist() == listed
    assert names.own.tolist() == own
    assert CC.codes(k, c).tolist() == want
    assert CC.codes(c, c).tolist() == own


def test_missing_values_name_no_customer() -> None:
    c = pd.Series(["a", None, "b", ""], dtype=object)
    k = pd.Series([None, "b", "", "a"], dtype=object)
    assert CC.listed(c).own.tolist() == [0, -1, 1, -1]
    assert CC.codes(k, c).tolist() == [-1, 1, -1, 0]


def test_a_long_encoded_column_gives_the_plain_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(D, "ENCODE_ROWS", 1)  # the Packages path: the column's kept encoding is used
    rng = np.random.default_rng(3)
    names = ["Acme Corp", "ACME  corp", "Zeta", "Bäckerei Müller", "BÄCKEREI MÜLLER", "Other", ""]
    cust = account_key(pd.Series([*names[:5], ""], dtype="str"))
    lines = account_key(pd.Series([names[i] for i in rng.integers(0, len(names), 500)], dtype="str"))
    assert D.encoding(lines) is not None
    listed, _, want = _reference(lines.tolist(), cust.tolist())
    assert CC.listed(cust).keys.to_pylist() == listed
    assert CC.codes(lines, cust).tolist() == want


def test_made_once_per_column_and_dropped_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real = CC._codes

    def counted(keys: pd.Series, names: CC.Listed) -> np.ndarray:
        made.append(len(keys))
        return real(keys, names)

    monkeypatch.setattr(CC, "_codes", counted)
    cust = pd.Series(["a", "b", "c"], dtype="str")
    frame = pd.DataFrame({"_account_key": pd.Series(["c", "x", "a"], dtype="str"), "other": [1, 2, 3]})
    first = CC.codes(frame["_account_key"], cust)
    first[:] = 99  # the caller's copy: the kept answer is not changed through it
    again = CC.codes(frame[["_account_key"]]["_account_key"], cust)  # the same column through another frame
    assert again.tolist() == [2, -1, 0] and made == [3]
    before = len(CC._KEPT)
    del frame, again
    gc.collect()
    assert len(CC._KEPT) == before - 1
    other = pd.Series(["c", "x", "a"], dtype="str")  # equal values, another column: made for it
    assert CC.codes(other, cust).tolist() == [2, -1, 0] and made == [3, 3]


def test_two_threads_at_once_make_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[int] = []
    real = CC._codes

    def slow(keys: pd.Series, names: CC.Listed) -> np.ndarray:
        made.append(1)
        time.sleep(0.2)  # long enough for the second thread to ask while the first makes it
        return real(keys, names)

    monkeypatch.setattr(CC, "_codes", slow)
    cust = pd.Series(["a", "b"], dtype="str")
    keys = pd.Series(["b", "z", "a"], dtype="str")
    got: list[list[int]] = []
    threads = [threading.Thread(target=lambda: got.append(CC.codes(keys, cust).tolist())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [[1, -1, 0], [1, -1, 0]] and made == [1]


@pytest.mark.parametrize("encoded", [False, True])
def test_a_sheet_in_customer_order_is_not_looked_up(monkeypatch: pytest.MonkeyPatch, encoded: bool) -> None:
    if encoded:
        monkeypatch.setattr(D, "ENCODE_ROWS", 1)

    def no_look_up(*_: object) -> None:
        raise AssertionError("looked up")

    cust = account_key(pd.Series(["Acme", "Zeta", "", "Omega", "Zeta"], dtype="str"))
    lines = account_key(pd.Series(["Acme", "acme", "Zeta", "ZETA", "zeta", "Omega"], dtype="str"))
    assert (D.encoding(lines) is not None) == encoded
    monkeypatch.setattr(D, "positions", no_look_up)
    assert CC.codes(lines, cust).tolist() == [0, 0, 1, 1, 1, 2]
    first_two = account_key(pd.Series(["Acme", "Zeta", "Zeta"], dtype="str"))  # the later customers have no rows
    assert CC.codes(first_two, cust).tolist() == [0, 1, 1]


@pytest.mark.parametrize("encoded", [False, True])
@pytest.mark.parametrize("names", [
    ["Acme", "Zeta", "Acme"],  # a customer's rows apart
    ["Zeta", "Acme"],  # not from the first customer
    ["Acme", "Omega"],  # a customer skipped
    ["Acme", "Zeta", ""],  # a blank name at the end
    ["", "Acme"],
    ["Acme", "Zeta", "Omega", "Nobody"],  # every customer, then an unknown one
    ["Acme", "Zeta", "Omega", "Omegas"],  # near the last one, not it
])
def test_almost_in_order_is_looked_up(monkeypatch: pytest.MonkeyPatch, encoded: bool, names: list[str]) -> None:
    if encoded:
        monkeypatch.setattr(D, "ENCODE_ROWS", 1)
    cust = account_key(pd.Series(["Acme", "Zeta", "Omega"], dtype="str"))
    keys = account_key(pd.Series(names, dtype="str"))
    assert (D.encoding(keys) is not None) == encoded
    assert CC.codes(keys, cust).tolist() == _reference(keys.tolist(), cust.tolist())[2]
