"""Shared material for the report tests (fixtures in conftest.py): the injection corpus, a partner workbook, read-back helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook

from reports.excel_safe import TRIGGERS, set_text, unguard

CORPUS = (
    '=HYPERLINK("http://x","y")',
    "@SUM(1+1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "\tTabbed Corp",
    "\rCarriage Corp",
    "\nLinefeed Corp",
)

CUSTOMERS_HEADER = ["Customer Name", "First Name", "Last Name", "Password", "Zip Code", "Email", "Notes", "Fav Color"]
PACKAGES_HEADER = ["Account Name", "Order Type", "Package", "Qty"]


def customer_rows() -> list[list[Any]]:
    rows: list[list[Any]] = [["Acme Corp", "Ann", "Lee", "acme-pw-1", "07042", "a@acme.test", "fine", "blue"]]
    for i, evil in enumerate(CORPUS):
        rows.append([evil, "Eve", f"N{i}", f"evil-pw-{i}", "78701", "e@evil.test", evil, None])
    return rows


def package_rows() -> list[list[Any]]:
    rows: list[list[Any]] = [["acme corp ", "Hosted PBX", "Hosted PBX Seat", "2"]]  # key matches "Acme Corp"
    rows += [[evil, "Hosted PBX", "Hosted PBX Seat", None] for evil in CORPUS]
    return rows


def write_source(path: Path) -> Path:
    """A partner workbook as Excel saves typed text: every value a text cell (formula-like ones too)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customer Information"  # an alias of Customers
    for r, row in enumerate([CUSTOMERS_HEADER, *customer_rows()], start=1):
        for c, v in enumerate(row, start=1):
            set_text(ws.cell(row=r, column=c), v)
    ws2 = wb.create_sheet("Packages")
    for r, row in enumerate([PACKAGES_HEADER, *package_rows()], start=1):
        for c, v in enumerate(row, start=1):
            set_text(ws2.cell(row=r, column=c), v)
    wb.save(path)
    return path


def write_csv_source(folder: Path) -> Path:
    import csv

    folder.mkdir()
    for name, header, rows in (
        ("customers.csv", CUSTOMERS_HEADER, customer_rows()),
        ("packages.csv", PACKAGES_HEADER, package_rows()),
    ):
        with (folder / name).open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(header)
            w.writerows([["" if v is None else v for v in row] for row in rows])
    return folder


def findings_frame() -> pd.DataFrame:
    """Findings on the source above (Excel rows: Acme is row 2, the corpus customers rows 3..9)."""
    evil = CORPUS[0]
    return pd.DataFrame(
        [
            dict(sheet="Customers", row=2, column="Zip", code="VALUE_REPAIRED", severity="warning",
                 message="ZIP repaired to 07042", account="Acme Corp", value="07042"),
            dict(sheet="Customers", row=3, column="Password", code="INVALID_FORMAT", severity="error",
                 message="password too short", account=evil, value="evil-pw-0"),
            dict(sheet="Customers", row=3, column="Email", code="INVALID_FORMAT", severity="error",
                 message="not an email", account=evil, value="e@evil.test"),
            dict(sheet="Customers", row=4, column=None, code="NO_PACKAGES", severity="error",
                 message="orders nothing", account=CORPUS[1], value=None),
            dict(sheet="Customers", row=1, column="Fav Color", code="UNKNOWN_COLUMN", severity="warning",
                 message="unknown column Fav Color", account=None, value=None),
            dict(sheet="Packages", row=3, column="Quantity", code="QUANTITY_DEFAULTED", severity="warning",
                 message="blank quantity taken as 1", account=evil, value=None),
        ]
    )


HELD = {'=hyperlink("http://x","y")', "@sum(1+1)"}  # account keys of CORPUS[0] and CORPUS[1]


def cells(path: Path) -> Iterator[tuple[str, Any]]:
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                yield ws.title, cell


def assert_inert(path: Path, *, expect_corpus: bool = True) -> None:
    """No formula anywhere; any text starting with a trigger is quote-prefixed; the corpus is there, guarded."""
    seen = set()
    for title, cell in cells(path):
        assert cell.data_type != "f", f"{path.name}!{title}!{cell.coordinate} is a formula: {cell.value!r}"
        if isinstance(cell.value, str):
            assert cell.data_type == "s"
            if cell.value.startswith(TRIGGERS):
                assert cell.quotePrefix, f"{title}!{cell.coordinate} starts with a trigger: {cell.value!r}"
            seen.add(cell.value)
    if expect_corpus:
        missing = [c for c in CORPUS if "'" + c not in seen]
        assert not missing, f"{path.name}: corpus not written guarded: {missing}"


def ingest_view(value: Any) -> Any:
    return unguard(value) if isinstance(value, str) else value
