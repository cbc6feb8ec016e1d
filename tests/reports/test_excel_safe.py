from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from reports.excel_safe import (
    MASK,
    generated_text,
    guard,
    mask_password,
    message_text,
    reguard,
    set_text,
    text_cell,
    unguard,
    user_cell,
)
from tests.reports.helpers import CORPUS


@pytest.mark.parametrize("evil", CORPUS)
def test_guard_prefixes_every_trigger(evil: str) -> None:
    assert guard(evil) == "'" + evil


@pytest.mark.parametrize("plain", ["Acme Corp", "07042", "a@b.test", "O'Brien", "x=1"])
def test_guard_leaves_ordinary_text(plain: str) -> None:
    assert guard(plain) == plain


def test_guard_keeps_a_leading_apostrophe_through_the_ingest_rule() -> None:
    # the partner really typed an apostrophe first: one is added, the ingest drops one
    assert unguard(guard("'quoted")) == "'quoted"
    assert guard(None) is None and guard(float("nan")) is None and guard("") is None


def test_reguard_never_stacks_apostrophes() -> None:
    once = guard("=SUM(1)")
    assert reguard(once) == once
    assert unguard(reguard("=SUM(1)")) == "=SUM(1)"


def test_guard_drops_characters_a_sheet_cannot_hold() -> None:
    assert guard("a\x00b\x07c") == "abc"
    assert guard("x" * 40_000) == "x" * 32_767


def test_mask_password_hides_length_keeps_blank() -> None:
    assert mask_password("hunter2") == MASK == mask_password("a-much-longer-password")
    assert mask_password(None) is None and mask_password("") is None


def test_round_trip_through_openpyxl(tmp_path: Path) -> None:
    """Written guarded, read back, one apostrophe dropped (the ingest's rule) -> the original text."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("S")
    ws.append([user_cell(ws, v) for v in CORPUS])
    ws.append([text_cell(ws, "+15125550100"), text_cell(ws, "07042"), text_cell(ws, "=1+1"), user_cell(ws, "#N/A")])
    wb.save(tmp_path / "g.xlsx")
    back = load_workbook(tmp_path / "g.xlsx")["S"]
    first = list(back[1])
    assert [c.data_type for c in first] == ["s"] * len(CORPUS)
    assert [unguard(c.value) for c in first] == list(CORPUS)
    phone, zip_, formula, na = back[2][:4]
    assert (phone.value, phone.data_type, phone.quotePrefix) == ("+15125550100", "s", True)
    assert (zip_.value, zip_.quotePrefix) == ("07042", True)
    assert formula.data_type == "s" and formula.value == "'=1+1"  # an id column can still carry input
    assert na.data_type == "s" and na.value == "#N/A"  # not an error value


def test_set_text_on_an_ordinary_sheet_is_never_a_formula(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    set_text(ws["A1"], "=raw")  # set_text trusts its caller: but even then it is a string cell
    generated_text(ws["A2"], "-5")
    wb.save(tmp_path / "o.xlsx")
    back = load_workbook(tmp_path / "o.xlsx").active
    assert back is not None
    assert back["A1"].data_type == "s" and back["A1"].value == "=raw"
    assert back["A2"].value == "-5" and back["A2"].quotePrefix


@pytest.mark.parametrize("evil", CORPUS)
def test_message_text_guards_triggers(evil: str) -> None:
    cell = message_text(Workbook().active.cell(row=1, column=1), evil)  # type: ignore[union-attr]
    assert cell.value == "'" + evil and cell.data_type == "s"


def test_message_text_never_doubles_a_leading_apostrophe() -> None:
    ws = Workbook().active
    assert message_text(ws.cell(row=1, column=1), "'Acme' requests DIDs").value == "'Acme' requests DIDs"  # type: ignore[union-attr]
    assert message_text(ws.cell(row=2, column=1), None).value is None  # type: ignore[union-attr]
    assert MASK == "********" and mask_password("x") == MASK
