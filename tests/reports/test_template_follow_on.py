"""The template's follow-on columns (issue 19): Customers.Order (dropdown), Enterprise Account, Create Admin,
Packages.Effective Date, their comments, the per-kind required notes and the Instructions sheet; a filled
New Group row reads back as one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from data.catalog import load_catalog
from data.sheets import CUSTOMERS, PACKAGES, Sheet
from reports.template import write_template
from transforms.ingest import read_order
from transforms.normalize import normalize


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("t") / "order-template.xlsx", "2026.11")


def _letter(sheet: Sheet, label: str) -> str:
    return get_column_letter([c.label for c in sheet.columns].index(label) + 1)


def _validation(ws: Any, letter: str) -> Any:
    for dv in ws.data_validations.dataValidation:
        if any(r.coord.split(":")[0] == f"{letter}2" for r in dv.sqref.ranges):
            return dv
    return None


def test_order_columns_and_dropdowns(template: Path) -> None:
    wb = load_workbook(template)
    ws = wb["Customers"]
    header = [c.value for c in ws[1]]
    assert {"Order", "Enterprise Account", "Create Admin"} <= set(header)
    assert "Effective Date" in [c.value for c in wb["Packages"][1]]
    order = _validation(ws, _letter(CUSTOMERS, "Order"))
    assert order is not None and order.formula1 == '"New Customer,New Group,Add Services"'
    assert order.errorStyle == "stop" and order.allow_blank  # blank = New Customer
    admin = _validation(ws, _letter(CUSTOMERS, "Create Admin"))
    assert admin is not None and admin.formula1 == '"yes,no"' and admin.errorStyle == "stop"
    assert _validation(ws, _letter(CUSTOMERS, "Enterprise Account")) is None  # free text: an account name


def test_comments_say_what_each_kind_needs(template: Path) -> None:
    wb = load_workbook(template)
    ws = wb["Customers"]

    def note(label: str) -> str:
        c = ws[f"{_letter(CUSTOMERS, label)}1"].comment
        assert c is not None, label
        return str(c.text)

    assert all(k in note("Order") for k in ("New Customer", "New Group", "Add Services"))
    assert "New Group only" in note("Enterprise Account") and "New Group only" in note("Create Admin")
    assert "Required for a New Customer." in note("Billing Type") and "New Group" not in note("Billing Type").split(
        ".")[0]
    assert "Required for a New Customer and a New Group." in note("Default Domain")
    assert "Add Services: leave blank" in note("Time Zone")
    assert note("Account Name").startswith("Required.")
    eff = wb["Packages"][f"{_letter(PACKAGES, 'Effective Date')}1"].comment
    assert eff is not None and "blank = the date we receive the order" in eff.text


def test_instructions_explain_follow_on_orders(template: Path) -> None:
    text = "\n".join(str(c.value) for row in load_workbook(template)["Instructions"].iter_rows() for c in row
                     if c.value)
    assert "Order: new customers, new groups, added services" in text
    for phrase in ("Enterprise Account", "Create Admin", "Effective Date", "ENTERPRISE_NOT_FOUND",
                   "CUSTOMER_NOT_FOUND", "BILLING_TYPE_MISMATCH", "already has plus the new ones"):
        assert phrase in text, phrase


def test_a_filled_new_group_row_reads_back(template: Path, tmp_path: Path) -> None:
    wb = load_workbook(template)
    ws = wb["Customers"]
    for label, value in {"Account Name": "Acme Dental - Round Rock", "Order": "New Group",
                         "Enterprise Account": " Acme Dental ", "Create Admin": "yes"}.items():
        ws[f"{_letter(CUSTOMERS, label)}2"] = value
    pk = wb["Packages"]
    for label, value in {"Account Name": "Acme Dental - Round Rock", "Order Type": "Hosted PBX",
                         "Package": "Enterprise Standard", "Effective Date": "09/01/2026"}.items():
        pk[f"{_letter(PACKAGES, label)}2"] = value
    filled = tmp_path / "filled.xlsx"
    wb.save(filled)
    order, _ = normalize(read_order(filled), load_catalog())
    cust = order.sheets["Customers"]
    assert cust[["order_kind", "enterprise_account"]].iloc[0].tolist() == ["new_group", "Acme Dental"]
    assert bool(cust["create_admin"].iloc[0]) is True
    assert order.sheets["Packages"]["effective_date"].tolist() == ["2026-09-01"]
