"""The Notes rules (validators.notes) and the reading of Notes they share with the tickets (transforms.notes)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from data.catalog import Catalog
from tests.cases.build_cases import CLEAN, _add, _set, variant, write_xlsx
from tests.validators.test_cases import TODAY
from transforms import notes as N
from transforms.ingest import read_order
from transforms.normalize import normalize
from validators import validate_order


@pytest.mark.parametrize(("text", "want"), [
    ("Port 800-555-0199 from Old Telco by 2027-01-20", N.TollFreeNote("Port", "+18005550199")),
    ("port (888) 555 0123", N.TollFreeNote("Port", "+18885550123")),
    ("RespOrg change for 1-877-555-0100", N.TollFreeNote("RespOrg Change", "+18775550100")),
    ("New toll-free number, needed by March", N.TollFreeNote("New", "")),
    ("toll free order has been ordered, required 2/1", N.TollFreeNote("New", "")),
    ("see email from Bob", None),
    ("", None),
    ("port 512-555-0100", None),  # not a toll-free number
])
def test_toll_free_request(text: str, want: N.TollFreeNote | None) -> None:
    assert N.toll_free_request(text) == want


def test_record_numbers_read_the_line_then_the_customers_recording_clause() -> None:
    assert N.record_numbers("Record 512-555-0100, (512) 555 0101 and +1 512.555.0102") == [
        "+15125550100", "+15125550101", "+15125550102"]
    e911_only = "E911: 1 Main St, Austin, TX 78701; Main 512-555-0100"
    assert N.record_numbers("", e911_only) == []  # an E911 main number is not a number to record
    assert N.record_numbers("", e911_only + "; Smart Record: 512-555-0190, 512-555-0191") == [
        "+15125550190", "+15125550191"]
    assert N.record_numbers("all users", "record calls of 512-555-0190.\nGate code 1234") == ["+15125550190"]
    assert N.record_numbers("", "Smart Record: 512-555-0190; 512-555-0191. E911: 1 Main St, Austin, TX 78701; "
                                "Main 512-555-0100") == ["+15125550190", "+15125550191"]
    assert N.record_numbers("", "512-555-0190 (smart record)") == []  # say which numbers after the word


def _validate(tmp_path: Path, catalog: Catalog, changes: list) -> set[tuple[str, int, str | None, str]]:  # type: ignore[type-arg]
    path = tmp_path / "case.xlsx"
    write_xlsx(variant(changes), path)
    order, _ = normalize(read_order(path), catalog)
    r = validate_order(order, catalog, today=TODAY)
    return {(f.sheet, f.row, f.column, f.code) for f in r.findings}


def test_fax_info_missing_only_for_ip_fax(tmp_path: Path, catalog: Catalog) -> None:
    # ATA lines need no e-mail, nor does a Fax DID of a customer whose fax lines are all ATA lines
    ata = [_set("Packages", 6, "Package", "Virtual Fax ATA Unlimited"), _set("Packages", 6, "Notes", ""),
           _set("DIDs", 3, "Fax Email", "")]
    assert _validate(tmp_path, catalog, ata) == set()
    # an IP-fax line whose e-mail is on the line itself covers the customer's Fax DID
    ip = [_set("Packages", 6, "Notes", "to efax@mapleclinic.ca"), _set("DIDs", 3, "Fax Email", "")]
    assert _validate(tmp_path, catalog, ip) == set()
    # a Fax DID of a customer with no fax line at all is IP fax: it needs its e-mail
    bare = [_add("DIDs", ["Acme Dental", "512", "555", 1, "", "Fax", "", ""])]
    assert _validate(tmp_path, catalog, bare) == {("DIDs", 4, "Fax Email", "FAX_INFO_MISSING")}


def test_a_toll_free_request_written_the_seeds_way_passes(tmp_path: Path, catalog: Catalog) -> None:
    for notes in ("Port 800-555-0199, required by 2025-08-01", "toll free order has been ordered; needed 8/1"):
        assert _validate(tmp_path, catalog, [_set("Packages", 4, "Notes", notes)]) == set()
    assert _validate(tmp_path, catalog, [_set("Packages", 4, "Notes", "ASAP")]) == {
        ("Packages", 4, "Notes", "TOLL_FREE_NOTE_MISSING")}


def test_toll_free_required_date_is_a_date(tmp_path: Path, catalog: Catalog) -> None:
    header = ["Account Name", "Action", "Toll Free Number", "Ring To", "Required Date", "Notes"]
    good = _validate(tmp_path, catalog, [lambda s: s.update({"Toll Free": [
        header, ["Acme Dental", "New", "", "512-555-0100", "02/01/2026", ""]]})])
    assert good == set()
    bad = _validate(tmp_path, catalog, [lambda s: s.update({"Toll Free": [
        header, ["Acme Dental", "New", "", "512-555-0100", "first of Feb", ""]]})])
    assert bad == {("Toll Free", 2, "Required Date", "INVALID_FORMAT")}


def test_unknown_sheets_of_a_csv_folder_and_our_own_sheets(tmp_path: Path, catalog: Catalog) -> None:
    from tests.cases.build_cases import write_csv_folder

    folder = tmp_path / "book"
    write_csv_folder({**CLEAN, "Site Survey": [["Account Name", "Cabling"], ["Acme Dental", "Cat6"]]}, folder)
    order, _ = normalize(read_order(folder), catalog)
    r = validate_order(order, catalog, today=TODAY)
    ((f),) = [f for f in r.findings if f.code == "UNKNOWN_SHEET"]
    assert (f.sheet, f.row, f.column, f.severity) == ("site_survey", 1, None, "warning")
    assert "site_survey" in f.message and r.totals.valid == 2
    # a re-upload of our own error workbook or template brings its Errors / Lists sheets: not unknown
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name in ("Errors", "Errors (2)", "Lists", *CLEAN):
        ws = wb.create_sheet(name)
        for row in CLEAN.get(name, [["x"]]):
            ws.append(row)
    path = tmp_path / "again.xlsx"
    wb.save(path)
    order, _ = normalize(read_order(path), catalog)
    assert not [f for f in validate_order(order, catalog, today=TODAY).findings if f.code == "UNKNOWN_SHEET"]



def test_our_template_has_no_unknown_sheet_and_names_the_required_date(tmp_path: Path) -> None:
    from reports.template import write_template

    path = write_template(tmp_path / "template.xlsx", "test")
    assert "Lists" in load_workbook(path, read_only=True).sheetnames  # the template's own hidden sheet ...
    assert read_order(path).unknown_sheets == []  # ... is not an unknown sheet
    assert "Required Date" in [str(c.value) for c in load_workbook(path, read_only=True)["Toll Free"][1]]
