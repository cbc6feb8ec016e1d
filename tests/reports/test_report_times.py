"""Timestamps in every report in ONBOARD_TIMEZONE, with the zone named (issue 16)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from reports import clock
from reports.reconciliation import write_reconciliation
from reports.tables import write_frame
from tests.reports.test_finance_reports import SUMMARY, recon_frames

INSTANT = dt.datetime(2026, 11, 30, 15, 41, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _no_configured_zone() -> Iterator[None]:
    clock.configure(None)
    yield
    clock.configure(None)


def test_default_zone_is_new_york_and_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONBOARD_TIMEZONE", raising=False)
    assert clock.stamp(INSTANT) == "2026-11-30 10:41 America/New_York"
    assert clock.stamp("2026-11-30 15:41:00.123+00:00") == "2026-11-30 10:41 America/New_York"  # str(Timestamp)
    assert clock.stamp("2026-11-30T15:41:00Z") == "2026-11-30 10:41 America/New_York"
    assert clock.stamp("2026-11-30") == "2026-11-30" and clock.stamp("Acme") == "Acme"  # not instants


def test_environment_and_configure_choose_the_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONBOARD_TIMEZONE", "America/Chicago")
    assert clock.stamp(pd.Timestamp(INSTANT)) == "2026-11-30 09:41 America/Chicago"
    clock.configure("America/Los_Angeles")
    assert clock.stamp(INSTANT) == "2026-11-30 07:41 America/Los_Angeles"
    monkeypatch.setenv("ONBOARD_TIMEZONE", "Not/AZone")
    clock.configure(None)
    assert clock.zone_name() == clock.DEFAULT_ZONE


def test_datetime_columns_are_converted_and_their_header_names_the_zone(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONBOARD_TIMEZONE", "America/Denver")
    wb = Workbook(write_only=True)
    frame = pd.DataFrame({"account": ["Acme"], "updated_at": pd.Series([INSTANT]).dt.tz_convert("UTC"),
                          "billing_start": [dt.date(2027, 1, 1)]})
    write_frame(wb, "Ledger", frame)
    wb.save(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["Ledger"]
    assert [c.value for c in ws[1]] == ["Account", "Updated At (America/Denver)", "Billing Start"]
    assert ws["B2"].value == dt.datetime(2026, 11, 30, 8, 41)  # 15:41 UTC is 08:41 in Denver
    assert ws["C2"].value.date() == dt.date(2027, 1, 1)  # a date is not an instant: unchanged, no zone


def test_reconciliation_meta_received_in_the_report_zone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ONBOARD_TIMEZONE", raising=False)
    # As flows/reconcile.py passes it today: str() of the TIMESTAMPTZ read from staging.
    meta = {"Batch": "0123456789abcdef", "Received": str(pd.Timestamp(INSTANT))}
    out = write_reconciliation(tmp_path / "r.xlsx", summary=SUMMARY, meta=meta, **recon_frames())
    ws = load_workbook(out)["Summary"]
    values = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}
    assert values["Received"] == "2026-11-30 10:41 America/New_York"
