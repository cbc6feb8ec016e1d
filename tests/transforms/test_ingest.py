from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

from transforms import InputError, read_order


def test_reads_every_sheet_as_text_with_excel_rows(cases: Path) -> None:
    raw = read_order(cases / "clean.xlsx")
    assert set(raw.sheets) == {"Customers", "Locations", "Packages", "DIDs", "Porting"}
    c = raw.sheets["Customers"]
    assert c["_row"].tolist() == [2, 3]
    assert c["zip"].tolist() == ["78701", "M5J 2T3"]
    assert c["billing_start_date"].iloc[0].startswith("2025-07-01")
    assert raw.sheets["Packages"]["quantity"].tolist() == ["5", "2", "1", "3", "1"]  # numbers read as text
    assert raw.headers["Customers"][1] == "Account Name" and raw.unknown_columns == []


def test_header_aliases_and_sheet_aliases(cases: Path) -> None:
    raw = read_order(cases / "aliases.xlsx")
    assert raw.sheet_names == {"Customers": "Customer Information", "Locations": "E911", "Packages": "Packages",
                               "DIDs": "new dids", "Porting": "Porting"}
    assert raw.columns["Customers"]["account_name"] == "CUSTOMER NAME"  # as written (trimmed)
    assert raw.columns["Customers"]["zip"] == "Zip Code"
    assert raw.sheets["Customers"]["account_name"].tolist() == ["Acme Dental", "Maple Clinic"]


def test_csv_folder(cases: Path) -> None:
    raw = read_order(cases / "clean_csv")
    assert raw.sheets["Customers"]["billing_start_date"].tolist() == ["07/01/2025", "07/15/2025"]
    assert raw.sheets["Packages"]["_row"].tolist() == [2, 3, 4, 5, 6]
    assert raw.sheet_names["Customers"] == "customers.csv"


def test_unknown_column_kept_aside(cases: Path) -> None:
    raw = read_order(cases / "code_UNKNOWN_COLUMN.xlsx")
    assert [(u.sheet, u.header) for u in raw.unknown_columns] == [("Customers", "Sales Rep")]
    assert raw.extras["Customers"]["Sales Rep"].tolist() == ["Kim", "Lou"]
    (f,) = raw.findings()
    assert (f.sheet, f.row, f.column, f.code, f.severity) == ("Customers", 1, "Sales Rep", "UNKNOWN_COLUMN", "warning")


def test_blank_rows_dropped_apostrophe_and_numbers_sheet(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customers"
    ws.append(["Account Name", "Notes", "Zip"])
    ws.append(["A", "'=cmd|x", "  07042 "])
    ws.append([None, None, None])
    ws.append(["B", "''twice", None])
    wb.create_sheet("Numbers").append(["Account Name", "Number", "Purpose"])
    wb["Numbers"].append(["A", "512-555-0100", "Voice"])
    wb.save(tmp_path / "o.xlsx")
    raw = read_order(tmp_path / "o.xlsx")
    c = raw.sheets["Customers"]
    assert c["_row"].tolist() == [2, 4]
    assert c["notes"].tolist() == ["=cmd|x", "'twice"]
    assert c["zip"].tolist() == ["  07042 ", ""]  # ingest keeps text; normalize trims
    assert raw.sheets["Numbers"]["number"].tolist() == ["512-555-0100"]
    assert c["email"].tolist() == ["", ""]  # missing template columns come back blank


@pytest.mark.parametrize(("name", "words"), [
    ("not_a_workbook.xlsx", "not an Excel workbook"),
    ("no_customers.xlsx", "no Customers sheet"),
    ("duplicate_header.xlsx", "appears twice"),
    ("no_header.xlsx", "no header in row 1"),
    ("missing.xlsx", "no such file"),
])
def test_input_errors(cases: Path, name: str, words: str) -> None:
    with pytest.raises(InputError) as exc:
        read_order(cases / name)
    assert words in exc.value.message and "\n" not in exc.value.message


def test_a_misplaced_header_is_one_finding(tmp_path: Path) -> None:
    from tests.cases.hostile import build as B
    from transforms.ingest import HeaderError

    for make, words, rows in ((B.two_row_header, "spans rows 1 and 2", 2), (B.header_on_row_3, "on row 3", 2)):
        with pytest.raises(HeaderError) as exc:
            read_order(make(tmp_path))
        (f,) = exc.value.findings
        assert (f.sheet, f.row, f.column, f.code, f.severity) == ("Customers", 1, None, "HEADER_NOT_ON_ROW_1", "error")
        assert words in f.message and exc.value.customer_rows == rows


def test_a_data_row_with_header_words_is_data(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customers"
    ws.append(["Account Name", "City", "Notes"])
    ws.append(["City", "Austin", "Notes"])  # a customer "City" with the note "Notes": still a customer row
    wb.save(tmp_path / "o.xlsx")
    raw = read_order(tmp_path / "o.xlsx")
    assert raw.sheets["Customers"]["account_name"].tolist() == ["City"]
