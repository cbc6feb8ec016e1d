from __future__ import annotations

from pathlib import Path

import fastexcel
import pytest
from openpyxl import load_workbook

from data.catalog import load_catalog
from data.sheets import BILLING_TYPES, SHEETS, find_sheet, header_key
from reports.template import VERSION_PROPERTY, write_template


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_template(tmp_path_factory.mktemp("t") / "order-template.xlsx", "2025.06")


def test_reader_conventions_find_every_sheet_and_column(template: Path) -> None:
    """As the ingest reads: sheet names via find_sheet, header on row 1 via header_key, all text, no rows."""
    reader = fastexcel.read_excel(str(template))
    order_sheets = [n for n in reader.sheet_names if find_sheet(n) is not None]
    assert [find_sheet(n) for n in order_sheets] == list(SHEETS)
    for name in order_sheets:
        spec = find_sheet(name)
        assert spec is not None
        sheet = reader.load_sheet(name, header_row=0)
        cols = [c.name for c in sheet.available_columns()]
        assert [header_key(c) for c in cols] == [header_key(c.label) for c in spec.columns]
        assert sheet.height == 0


def test_version_in_properties_never_above_the_header(template: Path) -> None:
    wb = load_workbook(template)
    assert wb.properties.version == "2025.06"
    assert {p.name: p.value for p in wb.custom_doc_props.props}[VERSION_PROPERTY] == "2025.06"
    for spec in SHEETS:
        ws = wb[spec.name]
        assert [c.value for c in ws[1]] == [c.label for c in spec.columns]
        assert ws.max_row == 1 and ws.freeze_panes == "A2"


def _validations(ws) -> dict[str, str]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            out[rng.coord.split(":")[0].rstrip("0123456789")] = dv.formula1
    return out


def _named_list(wb, name: str) -> list[str]:
    ref = wb.defined_names[name].attr_text
    sheet, cells = ref.split("!")
    return [c.value for (c,) in wb[sheet][cells.replace("$", "")]]


def test_dropdowns(template: Path) -> None:
    wb = load_workbook(template)
    assert wb["Lists"].sheet_state == "hidden"
    cust = _validations(wb["Customers"])
    labels = {c.label: i for i, c in enumerate(SHEETS[0].columns)}
    from openpyxl.utils import get_column_letter

    def col(label: str) -> str:
        return get_column_letter(labels[label] + 1)

    assert all(t in cust[col("Billing Type")] for t in BILLING_TYPES)
    assert "America/Chicago" in _named_list(wb, cust[col("Time Zone")])
    states = _named_list(wb, cust[col("State")])
    assert {"TX", "NY", "ON", "QC"} <= set(states)
    pk = _validations(wb["Packages"])
    order_types = _named_list(wb, pk["B"])
    assert "Hosted PBX" in order_types and "SIP Trunking" not in order_types
    # The Package list is the Order Type's own (dependent dropdown): evaluate the INDIRECT name per type.
    assert pk["C"] == 'INDIRECT("pk_"&SUBSTITUTE($B2," ","_"))'
    cat = load_catalog()
    offered = set()
    for ot in order_types:
        listed = _named_list(wb, "pk_" + ot.replace(" ", "_"))
        assert listed == list(dict.fromkeys(p.name for p in cat.packages_of(ot))), ot
        offered |= set(listed)
    assert offered == {p.name for p in cat.lines if p.order_type in order_types}
    assert "Fax" in _validations(wb["DIDs"])["F"] and "RespOrg Change" in _validations(wb["Toll Free"])["B"]


def test_text_columns_comments(template: Path) -> None:
    wb = load_workbook(template)
    for spec in SHEETS:
        ws = wb[spec.name]
        for i, c in enumerate(spec.columns, start=1):
            head = ws.cell(row=1, column=i)
            letter = head.column_letter
            assert (ws.column_dimensions[letter].number_format == "@") == c.text, (spec.name, c.label)
            if c.required:
                assert head.comment is not None and "Required" in head.comment.text
    assert "migration" in wb["Numbers"]["A1"].comment.text.casefold()
