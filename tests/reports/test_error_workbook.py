from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

import reports.error_workbook as ew
from reports.error_workbook import write_error_workbook
from reports.excel_safe import MASK
from reports.partner_source import account_key
from tests.reports.helpers import (
    CORPUS,
    CUSTOMERS_HEADER,
    HELD,
    PACKAGES_HEADER,
    assert_inert,
    customer_rows,
    findings_frame,
    ingest_view,
    package_rows,
    write_csv_source,
)

RED, AMBER = "00FFC7CE", "00FFEB9C"


def fill(cell: object) -> str | None:
    f = cell.fill  # type: ignore[attr-defined]
    return f.fgColor.rgb if f is not None and f.fill_type == "solid" else None


def test_held_keys_match_the_corpus_accounts() -> None:
    assert {account_key(CORPUS[0]), account_key(CORPUS[1])} == HELD
    assert account_key("  ACME   corp ") == account_key("'Acme Corp") == "acme corp"


@pytest.fixture(params=["copy", "stream"])
def written(request: pytest.FixtureRequest, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    if request.param == "stream":  # the path big workbooks take
        monkeypatch.setattr(ew, "FAITHFUL_MAX_BYTES", 0)
    return write_error_workbook(source, findings_frame(), tmp_path / "out" / "order.errors.xlsx", held_accounts=HELD)


def test_offending_cells_are_filled_and_commented(written: tuple[Path, Path]) -> None:
    annotated, _ = written
    ws = load_workbook(annotated)["Customer Information"]
    assert fill(ws["E2"]) == AMBER and "VALUE_REPAIRED" in ws["E2"].comment.text  # Zip Code
    assert fill(ws["D3"]) == RED and "password too short" in ws["D3"].comment.text  # Password
    assert fill(ws["F3"]) == RED and "INVALID_FORMAT: not an email" in ws["F3"].comment.text
    assert fill(ws["A4"]) == RED and "NO_PACKAGES" in ws["A4"].comment.text  # whole row -> Account Name
    assert fill(ws["H1"]) == AMBER and "UNKNOWN_COLUMN" in ws["H1"].comment.text  # header as written
    assert fill(ws["B2"]) is None and ws["B2"].comment is None
    pk = load_workbook(annotated)["Packages"]
    assert fill(pk["D3"]) == AMBER and "QUANTITY_DEFAULTED" in pk["D3"].comment.text


def test_errors_sheet_lists_every_finding_first(written: tuple[Path, Path]) -> None:
    annotated, _ = written
    wb = load_workbook(annotated)
    assert wb.sheetnames[0] == "Errors"
    ws = wb["Errors"]
    assert [c.value for c in ws[1]] == ["Sheet", "Row", "Column", "Value", "Code", "Severity", "Message", "Account"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:H{len(findings_frame()) + 1}"
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert len(rows) == len(findings_frame())
    by_code = {(r[4], r[2]): r for r in rows}
    pw = by_code[("INVALID_FORMAT", "Password")]
    assert pw[0] == "Customer Information" and pw[1] == 3 and pw[3] == MASK and pw[7] == "'" + CORPUS[0]
    assert by_code[("QUANTITY_DEFAULTED", "Quantity")][0] == "Packages"
    link = ws.cell(row=2, column=1).hyperlink
    assert link is not None and link.location.startswith("'Customer Information'!")


def test_passwords_masked_in_the_copy_as_typed_in_held_back(written: tuple[Path, Path]) -> None:
    annotated, held = written
    copy = load_workbook(annotated)["Customer Information"]
    assert {c.value for c in copy["D"][1:]} == {MASK}
    back = load_workbook(held)["Customer Information"]
    assert [c.value for c in back["D"][1:]] == ["evil-pw-0", "evil-pw-1"]
    assert not any("pw" in str(c.value) for _, c in _all(annotated))


def test_masked_password_header_says_to_re_enter(written: tuple[Path, Path]) -> None:
    annotated, held = written
    head = load_workbook(annotated)["Customer Information"]["D1"]
    assert head.value == "Password" and head.comment is not None
    assert "type each password again" in head.comment.text and "PASSWORD_MASKED" in head.comment.text
    assert load_workbook(held)["Customer Information"]["D1"].comment is None  # passwords as typed there


def _all(path: Path):
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                yield ws.title, c


def test_held_back_holds_only_held_rows_and_rereads_unchanged(written: tuple[Path, Path]) -> None:
    _, held = written
    wb = load_workbook(held)
    assert wb.sheetnames == ["Customer Information", "Packages"]
    cust = [[ingest_view(c.value) for c in r] for r in wb["Customer Information"].iter_rows()]
    assert cust[0] == CUSTOMERS_HEADER
    expected = [r for r in customer_rows() if account_key(r[0]) in HELD]
    assert cust[1:] == expected
    pk = [[ingest_view(c.value) for c in r] for r in wb["Packages"].iter_rows()]
    assert pk[0] == PACKAGES_HEADER
    assert pk[1:] == [r for r in package_rows() if account_key(r[0]) in HELD]
    # the marks travel with the rows: the Packages quantity of the first held customer is now row 2
    assert fill(wb["Packages"]["D2"]) == AMBER


def test_every_cell_is_inert(written: tuple[Path, Path]) -> None:
    annotated, held = written
    assert_inert(annotated)
    assert_inert(held, expect_corpus=False)
    heldvals = {c.value for _, c in _all(held)}
    assert {"'" + CORPUS[0], "'" + CORPUS[1]} <= heldvals
    assert "'" + CORPUS[2] not in heldvals  # not held


def test_annotating_an_annotated_copy_replaces_errors_and_keeps_text(source: Path, tmp_path: Path) -> None:
    first, _ = write_error_workbook(source, findings_frame(), tmp_path / "a.xlsx", held_accounts=HELD)
    second, held = write_error_workbook(first, findings_frame(), tmp_path / "b.xlsx", held_accounts=HELD)
    wb = load_workbook(second)
    assert [t for t in wb.sheetnames if t.startswith("Errors")] == ["Errors"]
    names = [ingest_view(c.value) for c in wb["Customer Information"]["A"][1:]]
    assert names == [r[0] for r in customer_rows()]  # no apostrophes stacked by the second pass
    assert [ingest_view(c.value) for c in load_workbook(held)["Packages"]["A"][1:]] == [CORPUS[0], CORPUS[1]]


def test_csv_folder_source_with_ingest_row_numbers(tmp_path: Path) -> None:
    folder = write_csv_source(tmp_path / "book")
    # the ingest numbered the customers' records 2, 4, 5, ... (say a record spanned two lines)
    nums = [2, *range(4, 4 + len(CORPUS))]
    f = findings_frame()
    f.loc[f["sheet"] == "Customers", "row"] = f.loc[f["sheet"] == "Customers", "row"].map(
        lambda r: r if r <= 2 else r + 1
    )
    annotated, held = write_error_workbook(folder, f, tmp_path / "book.errors.xlsx", held_accounts=HELD,
                                           sheet_rows={"Customers": nums})
    wb = load_workbook(annotated)
    assert wb.sheetnames == ["Errors", "customers", "packages"]
    ws = wb["customers"]
    assert fill(ws["D3"]) == RED and "password too short" in ws["D3"].comment.text  # record 2 -> Excel row 3
    assert ws["D3"].value == MASK
    assert fill(ws["E2"]) == AMBER
    errors = [[c.value for c in r] for r in wb["Errors"].iter_rows(min_row=2)]
    assert errors[[e[4] for e in errors].index("INVALID_FORMAT")][:3] == ["customers", 3, "Password"]
    assert_inert(annotated)
    hb = load_workbook(held)
    assert [ingest_view(c.value) for c in hb["customers"]["A"][1:]] == [CORPUS[0], CORPUS[1]]
    assert hb["customers"]["E2"].value == "78701"  # CSV text stays text


def test_continuation_sheets_past_the_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import Workbook

    import reports.tables as tables

    monkeypatch.setattr(tables, "MAX_ROWS", 4)
    wb = Workbook(write_only=True)
    sheets = tables.write_frame(wb, "Customers", pd.DataFrame({"account": [f"a{i}" for i in range(7)]}))
    wb.save(tmp_path / "c.xlsx")
    back = load_workbook(tmp_path / "c.xlsx")
    assert [s.title for s in sheets] == back.sheetnames == ["Customers", "Customers (2)", "Customers (3)"]
    assert [back[t].max_row for t in back.sheetnames] == [4, 4, 2]
    assert [c.value for c in back["Customers (2)"]["A"]] == ["Account", "a3", "a4", "a5"]
    assert back["Customers (3)"].auto_filter.ref == "A1:A2"
