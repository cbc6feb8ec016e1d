from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from reports.excel_safe import MASK
from reports.nightly import per_partner, write_nightly
from reports.reconciliation import tie_out, write_reconciliation
from tests.reports.helpers import CORPUS, assert_inert

META = {"generated_at": "2025-06-01 02:00", "partner": CORPUS[2], "batch_id": "0123456789abcdef"}


def recon_frames() -> dict[str, pd.DataFrame]:
    n = len(CORPUS)
    customers = pd.DataFrame(
        {
            "account": list(CORPUS),
            "enterprise_id": [f"P1-E{i}" for i in range(n)],
            "billing_account_id": [f"{1000 + i}" for i in range(n)],
            "broadworks": ["done"] * n,
            "billing": ["done"] * (n - 1) + ["failed"],
            "billing_start": [dt.date(2025, 6, 1)] * n,
            "mrc": [25.5] * n,
            "password": ["secret"] * n,
        }
    )
    dids = pd.DataFrame({"account": [CORPUS[0]], "number": ["+15125550100"], "npa": ["512"], "status": ["assigned"]})
    tickets = pd.DataFrame({"account": [CORPUS[3]], "kind": ["lnp"], "external_id": ["p1:x:lnp"], "notes": [CORPUS[4]]})
    exceptions = pd.DataFrame(
        {"account": [CORPUS[5], CORPUS[6]], "stage": ["Valid", "Billed"], "code": ["E911_MISSING", "BILLING_REJECTED"],
         "message": [CORPUS[0], "rejected"]}
    )
    return {"customers": customers, "dids": dids, "tickets": tickets, "exceptions": exceptions}


SUMMARY = [("Ordered", 8, "rows in the file"), ("Valid", 7, ""), ("Provisioned", 7, ""), ("Billed", 5, "")]


def test_tie_out_counts_listed_exceptions() -> None:
    rows = tie_out(SUMMARY, recon_frames()["exceptions"])
    assert [r[2:5] for r in rows] == [(None, None, None), (1, 1, "yes"), (0, 0, "yes"), (2, 1, "NO")]


def test_reconciliation_workbook(tmp_path: Path) -> None:
    out = write_reconciliation(tmp_path / "r" / "recon.xlsx", summary=SUMMARY, meta=META, **recon_frames())
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Customers", "DIDs", "Tickets", "Exceptions"]
    s = wb["Summary"]
    col_a = [c.value for c in s["A"]]
    assert col_a[1:4] == ["Batch ID", "Partner", "Generated At"]
    assert s["B3"].value == "'" + CORPUS[2]
    start = col_a.index("Control total") + 1  # Excel row of the totals' header
    assert [c.value for c in s[start + 2]][:5] == ["Valid", 7, 1, 1, "yes"]
    assert [c.value for c in s[start + 4]][:5] == ["Billed", 5, 2, 1, "NO"]
    cust = wb["Customers"]
    assert [c.value for c in cust[1]] == ["Account", "Enterprise ID", "Billing Account ID", "Broadworks", "Billing",
                                          "Billing Start", "MRC", "Password"]
    assert cust.freeze_panes == "A2" and cust.auto_filter.ref == f"A1:H{len(CORPUS) + 1}"
    assert cust["C2"].value == "1000" and cust["C2"].quotePrefix  # an id stays text
    assert cust["F2"].is_date and cust["G2"].value == 25.5 and cust["G2"].number_format == "#,##0.00"
    assert {c.value for c in cust["H"][1:]} == {MASK}
    number = wb["DIDs"]["B2"]
    assert (number.value, number.data_type, number.quotePrefix) == ("+15125550100", "s", True)
    assert_inert(out)


def test_nightly_workbook_with_chart(tmp_path: Path) -> None:
    evb = pd.DataFrame(
        {
            "partner": ["p1", "p1", CORPUS[0]],
            "billing_type": ["Multi-Group - Bill Enterprise", "Multi-Group - Bill Group", "Multi-Group - Bill Group"],
            "expected_mrc": [100.0, 50.0, 10.0],
            "billed_mrc": [100.0, 40.0, 10.0],
        }
    )
    out = write_nightly(
        tmp_path / "nightly.xlsx",
        new_accounts=pd.DataFrame({"partner": ["p1"], "account": [CORPUS[1]], "billing_account_id": ["1001"]}),
        expected_vs_billed=evb,
        first_invoices=pd.DataFrame(
            {"account": [CORPUS[3]], "invoicer": [CORPUS[2]], "first_invoice_date": [pd.Timestamp("2025-07-01")]}
        ),
        exceptions=pd.DataFrame({"account": [CORPUS[4], CORPUS[5]], "kind": ["invoicer mismatch", CORPUS[6]]}),
        changes=pd.DataFrame({"metric": ["billed_mrc"], "previous": [140.0], "current": [150.0], "change": [10.0]}),
        meta={"date": "2025-06-01", "generated_at": "2025-06-02 02:00"},
    )
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "New Accounts", "Expected vs Billed", "First Invoices", "Exceptions", "Changes"]
    s = wb["Summary"]
    rows = [[c.value for c in r] for r in s.iter_rows()]
    head = next(i for i, r in enumerate(rows) if r[0] == "Partner")
    assert rows[head][:4] == ["Partner", "Expected MRC", "Billed MRC", "MRC difference"]
    assert sorted(rows[head + 1 : head + 3]) == sorted([["'" + CORPUS[0], 10.0, 10.0, 0.0], ["p1", 150.0, 140.0, -10.0]])
    assert ["Exceptions", 2] in [r[:2] for r in rows]
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
    # header on Excel row head+1, the two partners below it; the series are Expected and Billed MRC
    assert f"'Summary'!$B${head + 2}:$B${head + 3}" in xml and f"'Summary'!$C${head + 2}:$C${head + 3}" in xml
    assert "barChart" in xml
    assert_inert(out)


def test_nightly_needs_the_expected_vs_billed_columns() -> None:
    with pytest.raises(ValueError, match="billed_mrc"):
        per_partner(pd.DataFrame({"partner": ["p"], "expected_mrc": [1.0]}))
