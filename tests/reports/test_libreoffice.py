"""Our workbooks open in LibreOffice: each converts to a PDF with pages (skipped only without soffice)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reports.error_workbook import write_error_workbook
from reports.nightly import write_nightly
from reports.reconciliation import write_reconciliation
from reports.template import write_template
from tests.reports.helpers import HELD, findings_frame
from tests.reports.test_finance_reports import META, SUMMARY, recon_frames
from tests.support.libreoffice import convert_to_pdf, pdf_pages, soffice_path

pytestmark = pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")


def _error_workbook(tmp: Path, source: Path) -> Path:
    return write_error_workbook(source, findings_frame(), tmp / "order.errors.xlsx", held_accounts=HELD)[0]


def _reconciliation(tmp: Path, source: Path) -> Path:
    return write_reconciliation(tmp / "recon.xlsx", summary=SUMMARY, meta=META, **recon_frames())


def _nightly(tmp: Path, source: Path) -> Path:
    evb = pd.DataFrame({"partner": ["p1", "p2"], "expected_mrc": [10.0, 20.0], "billed_mrc": [10.0, 15.0]})
    empty = pd.DataFrame({"account": pd.Series([], dtype="string")})
    return write_nightly(tmp / "nightly.xlsx", new_accounts=empty, expected_vs_billed=evb, first_invoices=empty,
                         exceptions=empty, changes=empty, meta={"date": "2025-06-01"})


def _template(tmp: Path, source: Path) -> Path:
    return write_template(tmp / "template.xlsx", "2026.11")  # dependent dropdowns (INDIRECT over names)


@pytest.mark.parametrize("make", [_error_workbook, _reconciliation, _nightly, _template],
                         ids=lambda f: f.__name__.strip("_"))
def test_converts_to_pdf(make, source: Path, tmp_path: Path) -> None:
    xlsx = make(tmp_path, source)
    pdf = convert_to_pdf(xlsx, tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    assert pdf_pages(pdf) > 0


def test_held_back_converts_too(source: Path, tmp_path: Path) -> None:
    _, held = write_error_workbook(source, findings_frame(), tmp_path / "o.xlsx", held_accounts=HELD)
    assert pdf_pages(convert_to_pdf(held, tmp_path / "pdf")) > 0
