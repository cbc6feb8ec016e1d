"""validators.rules.account_findings against a plain-Python reading of its rules, over every case workbook
and a few edited ones (the Arrow look-ups: one ``positions`` pass over Packages serving two rules)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from data.catalog import load_catalog
from transforms.distinct import isin, positions, value_set
from transforms.ingest import InputError, read_order
from transforms.normalize import NormalizedOrder, normalize
from transforms.order_kinds import ADD_SERVICES
from validators.order_kinds import keys_of_kind
from validators.rules import CHILD_SHEETS, account_findings

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.xlsx"))


def _reference(order: NormalizedOrder) -> set[tuple[str, str, int]]:
    cust = order.sheets["Customers"]
    named = {k for k in cust["_account_key"] if k}
    out = set()
    for sheet in CHILD_SHEETS:
        f = order.sheets[sheet]
        for row, key, where in zip(f["_row"], f["_account_key"],
                                   f["_sheet"] if "_sheet" in f.columns else [sheet] * len(f), strict=True):
            if where == sheet and key and key not in named:
                out.add(("UNKNOWN_ACCOUNT", sheet, int(row)))
    ordered = set(order.sheets["Packages"]["_account_key"]) | (
        set(order.sheets["DIDs"]["_account_key"]) & keys_of_kind(order, ADD_SERVICES))
    for row, key in zip(cust["_row"], cust["_account_key"], strict=True):
        if key and key not in ordered:
            out.add(("NO_PACKAGES", "Customers", int(row)))
    return out


def _order(path: Path) -> NormalizedOrder | None:
    try:
        return normalize(read_order(path), load_catalog())[0]
    except InputError:
        return None


def _found(order: NormalizedOrder) -> set[tuple[str, str, int]]:
    return {(f.code, f.sheet, int(f.row or 0)) for f in account_findings(order) if f.code != "DUPLICATE_ACCOUNT"}


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_as_the_plain_rules_say(path: Path) -> None:
    order = _order(path)
    if order is None:
        return
    assert _found(order) == _reference(order)


def test_duplicated_names_and_unknown_lines(tmp_path: Path, cases: Path) -> None:
    """Two rows of one name (one with package lines, by name), a package line naming nobody, a customer
    without lines: each rule still says what the plain reading says."""
    wb = load_workbook(cases / "clean.xlsx")
    cust, pk = wb["Customers"], wb["Packages"]
    name_col = [c.value for c in cust[1]].index("Account Name") + 1
    first = cust.cell(row=2, column=name_col).value
    cust.cell(row=3, column=name_col).value = f"  {str(first).upper()} "  # the same account key
    pk_col = [c.value for c in pk[1]].index("Account Name") + 1
    pk.cell(row=2, column=pk_col).value = "Nobody At All"
    wb.save(tmp_path / "edited.xlsx")
    order = _order(tmp_path / "edited.xlsx")
    assert order is not None
    found = _found(order)
    assert found == _reference(order)
    assert ("UNKNOWN_ACCOUNT", "Packages", 2) in found


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d", "", "é", "a "]), max_size=30),
       st.lists(st.sampled_from(["a", "b", "c", "x", "", "é"]), max_size=12))
def test_lookups_match_pandas(rows: list[str], keys: list[str]) -> None:
    s, k = pd.Series(rows, dtype="str"), pd.Series(keys, dtype="str")
    want = np.array([keys.index(v) if v in keys else -1 for v in rows], dtype=np.int64)
    got = positions(s, k)
    assert got is not None and got.tolist() == want.tolist()
    assert isin(s, k).tolist() == [v in keys for v in rows]
    made = value_set(k)
    assert made is not None and isin(s, made).tolist() == [v in keys for v in rows]
