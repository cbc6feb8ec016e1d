"""The template a clerk can fill alone (issue 16): instructions, example customer, red required headers with
a legend, strict dependent Package dropdown, no overwrite without force."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from data.catalog import load_catalog
from data.sheets import (
    DOCUMENTATION_SHEETS,
    EXAMPLE_SHEET,
    INSTRUCTIONS_SHEET,
    SHEETS,
    find_sheet,
    is_documentation_sheet,
)
from reports.template import TemplateExistsError, package_list_name, write_template
from reports.template_guide import RED, example_start
from transforms.ingest import read_order
from transforms.normalize import normalize
from validators import validate_order

TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("g") / "order-template.xlsx", "2026.11", today=TODAY)


def _text(ws: Any) -> str:
    return "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def test_instructions_come_first_and_cover_what_a_clerk_needs(template: Path) -> None:
    wb = load_workbook(template)
    assert wb.sheetnames[0] == INSTRUCTIONS_SHEET and wb.active.title == INSTRUCTIONS_SHEET
    text = _text(wb[INSTRUCTIONS_SHEET])
    for sheet in SHEETS:  # what each sheet is for
        assert f"{sheet.name}: " in text
    assert "E911" in text and "Locations" in text and "Main 512-555-0100" in text  # the E911 rule
    assert "one DID per seat" in text and "Additional DID's" in text and "DID Add-On - UC" in text  # allowance
    assert ".held-back.xlsx" in text and "PASSWORD_MASKED" in text  # how to send corrections
    assert EXAMPLE_SHEET in text
    assert "billing portal" in text and "not the BroadWorks login" in text  # which password is which


def test_colour_legend_matches_the_headers(template: Path) -> None:
    wb = load_workbook(template)
    legend = {c.value: c for c in wb[INSTRUCTIONS_SHEET]["A"] if c.value}
    req, opt = legend["Account Name"], legend["Notes"]
    assert req.font.color.rgb.endswith(RED) and req.border.left.color.rgb.endswith(RED)
    assert opt.font.color is None or not opt.font.color.rgb.endswith(RED)
    assert legend["Error"].fill.fgColor.rgb.endswith("FFC7CE") and legend["Warning"].fill.fgColor.rgb.endswith("FFEB9C")
    for spec in SHEETS:  # every required header is red and outlined; no optional one is
        ws = wb[spec.name]
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=i)
            is_red = cell.font.color is not None and str(cell.font.color.rgb).endswith(RED)
            assert is_red == col.required, (spec.name, col.label)
            assert (cell.border.left.style == "medium") == col.required, (spec.name, col.label)


def test_password_comment_says_what_it_sets(template: Path) -> None:
    ws = load_workbook(template)["Customers"]
    head = next(c for c in ws[1] if c.value == "Password")
    assert "billing portal" in head.comment.text and "Not the BroadWorks login" in head.comment.text
    customers = find_sheet("Customers")
    assert customers is not None and "Billing Portal Password" in customers.column("password").aliases


def _example_order(template: Path, out: Path) -> Path:
    """Copy the Example sheet's blocks to the order sheets of a fresh workbook, as a clerk would."""
    ws = load_workbook(template)[EXAMPLE_SHEET]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    i = 0
    while i < len(rows):
        first = rows[i][0]
        spec = find_sheet(str(first)) if first and not any(rows[i][1:]) else None
        if spec is None:
            i += 1
            continue
        target = wb.create_sheet(spec.name)
        i += 1
        while i < len(rows) and any(v is not None for v in rows[i]):
            target.append(rows[i])
            i += 1
    wb.save(out)
    return out


def test_example_customer_is_a_complete_valid_order(template: Path, tmp_path: Path) -> None:
    order_file = _example_order(template, tmp_path / "example-order.xlsx")
    assert set(load_workbook(order_file).sheetnames) >= {"Customers", "Locations", "Packages", "DIDs"}
    catalog = load_catalog()
    order, _ = normalize(read_order(order_file), catalog)
    result = validate_order(order, catalog, today=TODAY)
    assert result.findings == []
    assert result.totals.as_dict() == {"total": 1, "valid": 1, "held": 0, "skipped": 0}
    assert example_start(TODAY) == "2027-01-01" and example_start(date(2026, 12, 5)) == "2027-02-01"


def test_the_blank_template_is_never_an_order(template: Path) -> None:
    """The example sheet is documentation: an uploaded blank template has no customers (NO_CUSTOMERS)."""
    assert all(is_documentation_sheet(n) for n in load_workbook(template).sheetnames if find_sheet(n) is None)
    assert set(DOCUMENTATION_SHEETS) - {"Errors"} <= set(load_workbook(template).sheetnames)
    catalog = load_catalog()
    order, _ = normalize(read_order(template), catalog)
    result = validate_order(order, catalog, today=TODAY)
    assert [(f.code, f.sheet, f.row) for f in result.findings] == [("NO_CUSTOMERS", "Customers", 1)]
    assert result.totals.total == 0


def test_order_type_and_package_dropdowns_refuse_a_wrong_entry(template: Path) -> None:
    wb = load_workbook(template)
    by_col = {rng.coord.split(":")[0].rstrip("0123456789"): dv for dv in wb["Packages"].data_validations.dataValidation
              for rng in dv.sqref.ranges}
    for letter in ("B", "C"):
        assert by_col[letter].errorStyle in (None, "stop"), letter  # None is openpyxl's default: stop
        assert by_col[letter].showErrorMessage
    assert "Order Type" in by_col["C"].error
    tz = {rng.coord[:1]: dv for dv in wb["Customers"].data_validations.dataValidation for rng in dv.sqref.ranges}
    assert any(dv.errorStyle == "warning" for dv in tz.values())  # time zones and states take aliases: warn


def test_every_orderable_type_has_a_legal_list_name() -> None:
    cat = load_catalog()
    for ot in {o.name for o in cat.order_types.values() if o.status == "orderable"}:
        assert package_list_name(ot) == "pk_" + ot.replace(" ", "_")
    with pytest.raises(ValueError):
        package_list_name("DID's")


def test_template_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "mine.xlsx"
    out.write_bytes(b"a partner's filled workbook")
    with pytest.raises(TemplateExistsError, match="--force"):
        write_template(out, "2026.11")
    assert out.read_bytes() == b"a partner's filled workbook"
    write_template(out, "2026.11", force=True)
    assert load_workbook(out).sheetnames[0] == INSTRUCTIONS_SHEET
    fresh = write_template(tmp_path / "new" / "t.xlsx", "2026.11")  # a new path needs no force
    assert fresh.exists()


def _filled_template(template: Path, out: Path, edits: dict[tuple[str, int, str], str]) -> Path:
    """The template itself, with the example's rows typed into its order sheets (and ``edits`` applied)."""
    example = load_workbook(_example_order(template, out.with_suffix(".example.xlsx")))
    wb = load_workbook(template)
    for ws in example.worksheets:
        target = wb[ws.title]
        labels = [c.value for c in target[1]]
        for r, row in enumerate(ws.iter_rows(min_row=2, values_only=True), start=2):
            head = [c.value for c in ws[1]]
            for label, value in zip(head, row, strict=True):
                value = edits.get((ws.title, r, str(label)), value)
                target.cell(row=r, column=labels.index(label) + 1).value = value
    wb.save(out)
    return out


def test_filled_template_round_trip_through_the_error_workbook(template: Path, tmp_path: Path) -> None:
    """Template -> clerk fills it (a package typo) -> error workbook -> corrected copy uploaded again."""
    from reports.error_workbook import write_error_workbook
    from tests.support.libreoffice import convert_to_pdf, pdf_pages, soffice_path

    catalog = load_catalog()
    filled = _filled_template(template, tmp_path / "filled.xlsx", {("Packages", 2, "Package"): "Enterprise Standrad"})
    order, _ = normalize(read_order(filled), catalog)
    first = validate_order(order, catalog, today=TODAY)
    typo = [f for f in first.findings if f.code == "UNKNOWN_PACKAGE"]
    assert typo and "Did you mean 'Enterprise Standard'?" in typo[0].message
    assert first.held == {"example dental group"}
    annotated, _ = write_error_workbook(filled, first.findings_frame(), tmp_path / "filled.errors.xlsx",
                                        held_accounts=set(first.held))
    wb = load_workbook(annotated)
    assert wb.sheetnames[0] == "Errors" and INSTRUCTIONS_SHEET in wb.sheetnames
    assert wb["Packages"].data_validations.dataValidation  # the dropdowns survive the annotated copy
    pk = wb["Packages"]
    for row in pk.iter_rows(min_row=2):
        if row[2].value == "Enterprise Standrad":
            row[2].value = "Enterprise Standard"  # the partner fixes the typo in the annotated copy
    wb.save(tmp_path / "fixed.xlsx")
    order2, _ = normalize(read_order(tmp_path / "fixed.xlsx"), catalog)
    again = validate_order(order2, catalog, today=TODAY)
    assert [(f.code, f.column) for f in again.findings if f.severity == "error"] == [("PASSWORD_MASKED", "Password")]
    if soffice_path() is not None:  # the annotated copy of a template opens without repair
        assert pdf_pages(convert_to_pdf(annotated, tmp_path / "pdf")) > 0
