"""Encodings kept beside long text columns (transforms.distinct): every look-up gives what it gives without
them, and the validation finds the same.

The threshold is lowered here (a 1M-line book is not a test case), so that every case takes that path."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from data.catalog import load_catalog
from data.samples.generate import SAMPLE
from transforms import distinct as D
from transforms.ingest import InputError, RawOrder, read_order
from transforms.normalize import account_key, normalize
from validators.check import check_order
from validators.sheet_checks import check_ahead

CASES = Path(__file__).resolve().parents[1] / "cases"
BOOKS = [*sorted(CASES.glob("*.xlsx")), SAMPLE]

NAMES = ["Acme Corp", "ACME  corp", " acme corp ", "Zeta Ltd", "Bäckerei Müller", "BÄCKEREI MÜLLER",
         "Omega\tInc", "omega inc", "Solo"]


@pytest.fixture
def encode_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(D, "ENCODE_ROWS", 1)


def _column(n: int, seed: int = 7) -> pd.Series:
    rng = np.random.default_rng(seed)
    return pd.Series([NAMES[i] for i in rng.integers(0, len(NAMES), n)], dtype="str")


def test_account_keys_keep_their_encoding_as_pandas_factorizes_them(encode_all: None) -> None:
    keys = account_key(_column(500))
    got = D.encoding(keys)
    assert got is not None
    codes, uniques = pd.factorize(keys)
    assert got[0].tolist() == codes.tolist()
    assert got[1].to_pylist() == list(uniques)
    frame = pd.DataFrame({"k": keys})  # pandas keeps the Arrow data: the frame's column is still known
    assert D.encoding(frame["k"]) is not None and D.encoding(frame.copy(deep=False)["k"]) is not None
    assert D.encoding(keys[keys.ne("acme corp")]) is None  # a new column is not


def test_look_ups_are_the_same_with_and_without_the_encoding(encode_all: None) -> None:
    keys = account_key(_column(2_000))
    wanted = pd.Series(["acme corp", "solo", "nobody"], dtype="str")
    encoded = (D.positions(keys, wanted), D.isin(keys, wanted).tolist(), D.isin(keys, ["zeta ltd"]).tolist(),
               D.isin(keys, D.value_set(wanted)).tolist(), D.distinct_values(keys), D.factorize_pairs(keys, keys))
    assert D.encoding(keys) is not None
    D._ENCODINGS.clear()
    assert D.encoding(keys) is None
    plain = (D.positions(keys, wanted), D.isin(keys, wanted).tolist(), D.isin(keys, ["zeta ltd"]).tolist(),
             D.isin(keys, D.value_set(wanted)).tolist(), D.distinct_values(keys), D.factorize_pairs(keys, keys))
    assert encoded[0] is not None and plain[0] is not None
    assert encoded[0].tolist() == plain[0].tolist()
    assert encoded[1:5] == plain[1:5]
    assert encoded[5][0].tolist() == plain[5][0].tolist() and encoded[5][1] == plain[5][1]
    assert sum(encoded[1]) > 0 and not all(encoded[1])  # the look-up finds some and misses some


def test_an_encoding_goes_with_its_column(encode_all: None) -> None:
    before = len(D._ENCODINGS)
    keys = account_key(_column(100))
    assert len(D._ENCODINGS) == before + 1
    del keys
    gc.collect()
    assert len(D._ENCODINGS) == before


def _read(path: Path, ahead: Any) -> RawOrder | str:
    try:
        return read_order(path, ahead=ahead)
    except InputError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("migration", [False, True], ids=["order", "migration"])
@pytest.mark.parametrize("path", BOOKS, ids=[p.name for p in BOOKS])
def test_encoded_columns_find_what_the_plain_path_finds(path: Path, migration: bool,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    plain = _read(path, None)  # the threshold as shipped: no column of a test case is encoded
    monkeypatch.setattr(D, "ENCODE_ROWS", 1)
    encoded = _read(path, check_ahead())
    if isinstance(plain, str) or isinstance(encoded, str):
        assert plain == encoded
        return
    catalog = load_catalog()
    a, b = normalize(plain, catalog)[0], normalize(encoded, catalog)[0]
    for name, frame in a.sheets.items():
        pd.testing.assert_frame_equal(frame, b.sheets[name])
        if len(frame) and name != "Locations":  # (Locations with E911 from Notes is a new frame)
            assert D.encoding(b.sheets[name]["_account_key"]) is not None
    assert a.findings == b.findings
    want = check_order(plain, existing=None, inventory=None, fingerprints=False, migration=migration).findings
    got = check_order(encoded, existing=None, inventory=None, fingerprints=False, migration=migration).findings
    pd.testing.assert_frame_equal(want, got)
