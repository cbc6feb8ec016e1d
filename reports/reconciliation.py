"""The batch reconciliation workbook (DESIGN §8): control totals that tie out, then the detail.

Sheets: ``Summary`` (meta, then the control totals ordered -> valid -> provisioned -> billed: each row
shows how many dropped since the previous total, how many exceptions are listed for that step and
whether the two agree), ``Customers``, ``DIDs``, ``Tickets``, ``Exceptions``. Frames are written as
given, column by column (see ``reports.tables`` for how a column's cell kind is chosen); the
columns the flow is expected to pass:

* customers: account, partner, enterprise_id, group_id, billing_owner_account_id, billing_account_id,
  broadworks, billing, tickets, mail (status per system), billing_start (date), mrc, nrc;
* dids: account, number, npa, nxx, purpose, status;
* tickets: account, kind, external_id, ticket_id, status;
* exceptions: account, stage (the summary label the customer dropped out before, e.g. "Provisioned"),
  system, code, message.

Read back from the systems (the flow gathers that into staging), not only from our ledger.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from reports.excel_safe import set_text, user_text
from reports.tables import fit_to_width, header_cells, make_cell, write_frame, write_meta

SUMMARY_COLUMNS = ("Control total", "Count", "Dropped since previous", "Exceptions listed", "Ties out", "Note")


def tie_out(summary: Sequence[tuple[Any, ...]], exceptions: pd.DataFrame) -> list[tuple[Any, ...]]:
    """(label, count, dropped, listed, ties, note) per control total.

    A summary row is (label, count, note) and ties to the row before it, or (label, count, note, base)
    and ties to the row labelled ``base`` (provisioned and billed each tie to Valid: one system may hold
    a customer the other does not). ``listed`` counts the accounts with an exception whose ``stage`` names
    that label (a stage may name several, ``"Provisioned; Billed"``); None without a stage column.
    """
    staged: list[tuple[str, set[str]]] | None = None
    if "stage" in exceptions.columns:
        accounts = exceptions["account"] if "account" in exceptions.columns else pd.Series(range(len(exceptions)))
        staged = [(str(a), {p.strip().casefold() for p in str(st).split(";")})
                  for a, st in zip(accounts, exceptions["stage"].fillna(""), strict=True)]
    rows: list[tuple[Any, ...]] = []
    counts: dict[str, int] = {}
    prev: int | None = None
    for label, count, note, *rest in summary:
        base = counts.get(rest[0]) if rest and rest[0] else (None if rest else prev)
        dropped = None if base is None else base - count
        listed = None
        if staged is not None and base is not None:
            listed = len({a for a, st in staged if label.strip().casefold() in st})
        ties = None if dropped is None or listed is None else ("yes" if dropped == listed else "NO")
        rows.append((label, count, dropped, listed, ties, note))
        counts[label] = count
        prev = count
    return rows


def write_reconciliation(
    out: Path,
    *,
    summary: Sequence[tuple[Any, ...]],
    customers: pd.DataFrame,
    dids: pd.DataFrame,
    tickets: pd.DataFrame,
    exceptions: pd.DataFrame,
    meta: Mapping[str, str],
) -> Path:
    """Write the reconciliation workbook to ``out``; ``summary`` rows as ``tie_out`` takes them, in order."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Summary")
    fit_to_width(ws)
    for letter, width in zip("ABCDEF", (24, 12, 22, 18, 10, 60), strict=True):
        ws.column_dimensions[letter].width = width
    write_meta(ws, "Batch reconciliation", meta)
    ws.append(header_cells(ws, SUMMARY_COLUMNS))
    for label, count, dropped, listed, ties, note in tie_out(summary, exceptions):
        ws.append(
            [
                user_text(WriteOnlyCell(ws), label),
                make_cell(ws, "int", count),
                make_cell(ws, "int", dropped),
                make_cell(ws, "int", listed),
                set_text(WriteOnlyCell(ws), ties),
                user_text(WriteOnlyCell(ws), note),
            ]
        )
    for title, frame in (("Customers", customers), ("DIDs", dids), ("Tickets", tickets), ("Exceptions", exceptions)):
        write_frame(wb, title, frame)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
