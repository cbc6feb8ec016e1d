"""The nightly finance workbook (DESIGN §8).

Sheets: ``Summary`` (meta, expected vs billed MRC/NRC per partner with a bar chart of the MRC, and the
row count of every other sheet), ``New Accounts``, ``Expected vs Billed``, ``First Invoices``,
``Exceptions``, ``Changes``. Frames are written as given (cell kinds per ``reports.tables``); the
columns the flow is expected to pass:

* new_accounts: partner, account, order (New Customer | New Group | Add Services), billing_account_id,
  billing_type, billing_start, mrc, nrc;
* expected_vs_billed (required: partner, expected_mrc, billed_mrc; optional billing_type, expected_nrc,
  billed_nrc): one row per partner and billing type;
* first_invoices: partner, account, billing_account_id, invoicer, first_invoice_date, mrc;
* exceptions: partner, account, kind (the UPPER_SNAKE codes of ``reports.compare``: PROVISIONED_NOT_BILLED,
  BILLED_NOT_PROVISIONED, NOT_PROVISIONED, AUTO_PACKAGE_MISSING, PACKAGE_MISMATCH, ...), detail;
* changes: metric, previous, current, change.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference

from reports.excel_safe import user_text
from reports.tables import header_cells, make_cell, write_frame, write_meta

REQUIRED = ("partner", "expected_mrc", "billed_mrc")


def per_partner(expected_vs_billed: pd.DataFrame) -> pd.DataFrame:
    """Expected and billed MRC/NRC summed per partner, with the MRC difference (billed - expected)."""
    missing = [c for c in REQUIRED if c not in expected_vs_billed.columns]
    if missing:
        raise ValueError(f"expected_vs_billed lacks columns {missing}")
    money = [c for c in ("expected_mrc", "billed_mrc", "expected_nrc", "billed_nrc") if c in expected_vs_billed]
    frame = expected_vs_billed[["partner", *money]].copy()
    frame["partner"] = frame["partner"].astype("string").fillna("")
    for c in money:
        frame[c] = pd.to_numeric(frame[c], errors="coerce").fillna(0.0)
    totals = frame.groupby("partner", sort=True, dropna=False)[money].sum().reset_index()
    totals["mrc_difference"] = totals["billed_mrc"] - totals["expected_mrc"]
    return totals


def write_nightly(
    out: Path,
    *,
    new_accounts: pd.DataFrame,
    expected_vs_billed: pd.DataFrame,
    first_invoices: pd.DataFrame,
    exceptions: pd.DataFrame,
    changes: pd.DataFrame,
    meta: Mapping[str, str],
) -> Path:
    """Write the nightly finance workbook to ``out``; return ``out``."""
    totals = per_partner(expected_vs_billed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Summary")
    ws.column_dimensions["A"].width = 28
    for letter in "BCDEF":
        ws.column_dimensions[letter].width = 16
    top = write_meta(ws, "Nightly finance", meta)
    labels = {"partner": "Partner", "expected_mrc": "Expected MRC", "billed_mrc": "Billed MRC",
              "expected_nrc": "Expected NRC", "billed_nrc": "Billed NRC", "mrc_difference": "MRC difference"}
    ws.append(header_cells(ws, [labels[c] for c in totals.columns]))
    header_row = top + 1
    for rec in totals.itertuples(index=False, name=None):
        ws.append([user_text(WriteOnlyCell(ws), rec[0]), *(make_cell(ws, "money", v) for v in rec[1:])])
    last = header_row + len(totals)
    ws.append([])
    counts = (("New accounts", new_accounts), ("First invoices", first_invoices), ("Exceptions", exceptions),
              ("Changes", changes))
    for label, frame in counts:
        ws.append([user_text(WriteOnlyCell(ws), label), make_cell(ws, "int", len(frame))])
    if len(totals):
        chart = BarChart()
        chart.type = "col"
        chart.title = "Expected vs billed MRC per partner"
        chart.y_axis.title = "MRC"
        chart.x_axis.title = "Partner"
        data = Reference(ws, min_col=2, max_col=3, min_row=header_row, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=header_row + 1, max_row=last))
        chart.width, chart.height = 18, 9
        ws.add_chart(chart, f"H{header_row}")
    write_frame(wb, "New Accounts", new_accounts)
    write_frame(wb, "Expected vs Billed", expected_vs_billed)
    write_frame(wb, "First Invoices", first_invoices)
    write_frame(wb, "Exceptions", exceptions)
    write_frame(wb, "Changes", changes)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
