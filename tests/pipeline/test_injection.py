"""Formula injection end to end: hostile account names and notes appear in every report as inert text."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from data.samples.generate import sample_rows, write_xlsx
from onboard import commands
from pipeline.batch import run_file
from pipeline.nightly import report_nightly
from pipeline.stage import RunOptions
from tests.pipeline.conftest import Sims, settings_for

CORPUS = ['=HYPERLINK("http://evil.example","click")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "\tTabbed Co"]


def _hostile_book(path: Path) -> Path:
    book = sample_rows(len(CORPUS), invalid=False)
    renames = {}
    for row, evil in zip(book.rows["Customers"], CORPUS, strict=True):
        renames[row[1]] = evil
        row[1] = evil
        row[18] = evil  # notes
    for sheet, rows in book.rows.items():
        if sheet != "Customers":
            for r in rows:
                r[0] = renames.get(r[0], r[0])
    write_xlsx(book, path)
    # openpyxl would store "=..." as a formula; a partner's typed text is a string cell.
    wb = load_workbook(path)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    wb.save(path)
    return path


def _cells_with_corpus(path: Path) -> list[tuple[str, str, str]]:
    found = []
    for ws in load_workbook(path):
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and any(e.strip() in cell.value for e in CORPUS):
                    found.append((ws.title, cell.coordinate, cell.data_type))
    return found


def test_hostile_text_is_inert_in_every_report(sims: Sims, isolated_home: Path, tmp_path: Path, monkeypatch) -> None:
    book = _hostile_book(tmp_path / "hostile.xlsx")
    settings = settings_for(isolated_home, sims)
    result = run_file(settings, book, RunOptions())
    assert result["customers"]["valid"] == len(CORPUS)
    for var, value in (("ONBOARD_BROADWORKS_URL", settings.broadworks_url), ("ONBOARD_BILLING_URL", settings.billing_url),
                       ("ONBOARD_TICKETS_URL", settings.tickets_url)):
        monkeypatch.setenv(var, str(value))
    nightly = report_nightly(settings, None)
    checked = commands.validate(book, None, False, tmp_path / "errors.xlsx")
    reports = [Path(result["report"]), Path(nightly["workbook"]), Path(checked["errors_out"])]
    for report in reports:
        cells = _cells_with_corpus(report)
        assert cells, f"no hostile text found in {report.name}"
        formulas = [c for c in cells if c[2] != "s"]
        assert not formulas, f"{report.name}: formula cells {formulas}"
