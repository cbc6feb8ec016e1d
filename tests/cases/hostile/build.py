"""The hostile-input corpus of issue 14, generated (never committed: some are bombs, all are cheap to make).

``python -m tests.cases.hostile.build OUT_DIR`` writes every case; the tests call the builders one by one.
Each builder returns the path it wrote. Bombs are scaled down where a limit can be lowered for the test
(``ONBOARD_MAX_UNZIPPED_MB``), so that the corpus builds in seconds; the shapes are those of the issue.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

from openpyxl import Workbook

from data.samples.generate import CUSTOMERS, LOCATIONS, PACKAGES, Book, sample_rows, write_xlsx

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '<Override PartName="/xl/worksheets/sheet1.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
         'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
       'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
       '<sheet name="Customers" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
         '2006/main">')


def _raw_book(path: Path, sheet_xml_parts: list[bytes] | bytes, extra: dict[str, bytes] | None = None) -> Path:
    """A minimal one-sheet workbook whose sheet XML is written as given (streamed when given in parts)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for part in sheet_xml_parts if isinstance(sheet_xml_parts, list) else [sheet_xml_parts]:
                fh.write(part)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def far_cell(folder: Path) -> Path:
    """One cell at XFD1048576 (Excel's last cell): the reader would allocate a 17-billion-cell grid."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customers"
    ws.append(["Account Name", "City"])
    ws["XFD1048576"] = "x"
    wb.save(folder / "far_cell.xlsx")
    return folder / "far_cell.xlsx"


def lying_dimension(folder: Path) -> Path:
    """The same far cell under a dimension that claims A1:B2 (a dimension is only what the file says)."""
    xml = (_HEAD + '<dimension ref="A1:B2"/><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Account Name</t>'
           '</is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
           "</sheetData></worksheet>")
    return _raw_book(folder / "lying_dimension.xlsx", xml.encode())


def shared_strings_bomb(folder: Path) -> Path:
    """A shared-strings part that declares uniqueCount=4000000000 (the reader reserves that many strings)."""
    xml = (_HEAD + '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>')
    sst = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
           'main" count="4000000000" uniqueCount="4000000000"><si><t>Account Name</t></si></sst>')
    return _raw_book(folder / "shared_strings_bomb.xlsx", xml.encode(), {"xl/sharedStrings.xml": sst.encode()})


def whitespace_bomb(folder: Path, mb: int = 256) -> Path:
    """About 0.3 MB on disk that inflates to ``mb`` MB of whitespace inside the sheet (issue: 1.1 MB -> 1.26 GB RSS)."""
    block = b" " * (1 << 20)
    parts = [(_HEAD + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Account Name</t></is></c></row>').encode()]
    parts += [block] * mb
    parts.append(b"</sheetData></worksheet>")
    return _raw_book(folder / "whitespace_bomb.xlsx", parts)


def many_rows(folder: Path, rows: int = 400_000) -> Path:
    """Real-looking rows, compressing like a real sheet (~10x): refused by the size limit alone when the test
    lowers ONBOARD_MAX_UNZIPPED_MB (the issue's 2.8 MB zip expanding to 44M rows, scaled down)."""
    parts = [(_HEAD + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Account Name</t></is></c></row>').encode()]
    chunk: list[str] = []
    for r in range(2, rows + 2):
        chunk.append(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>Customer {r:07d}</t></is></c></row>')
        if len(chunk) == 10_000:
            parts.append("".join(chunk).encode())
            chunk = []
    parts.append(("".join(chunk) + "</sheetData></worksheet>").encode())
    return _raw_book(folder / "many_rows.xlsx", parts)


def _valid_book(n: int = 3) -> Book:
    return sample_rows(n, invalid=False)


def control_characters(folder: Path) -> Path:
    """Control characters in names (a paste from a terminal): pass as text, then break the OCI-P builder."""
    book = _valid_book()
    book.rows["Customers"][0][3] = "Ana_x0007_"  # First Name with BEL, as Excel escapes it
    book.rows["Customers"][1][2] = "Blue_x001B_[31m Corp"  # Company with an ANSI escape
    return write_xlsx(book, folder / "control_characters.xlsx")


def long_names(folder: Path) -> Path:
    """An Account Name of 300 characters and a Company of 32,767 (Excel's cell limit)."""
    book = _valid_book()
    old = str(book.rows["Customers"][0][1])
    new = "Long " * 60  # 300 characters
    for sheet in ("Customers", "Locations", "Packages", "DIDs", "Porting", "Toll Free"):
        for r in book.rows[sheet]:
            if r[0 if sheet != "Customers" else 1] == old:
                r[0 if sheet != "Customers" else 1] = new.strip() + "x" * (300 - len(new.strip()))
    book.rows["Customers"][1][2] = "C" * 32_767
    return write_xlsx(book, folder / "long_names.xlsx")


def identical_accounts(folder: Path, n: int = 10_000) -> Path:
    """n Customers rows with the same Account Name, as a CSV folder (quick to write)."""
    out = folder / "identical_accounts"
    out.mkdir(parents=True, exist_ok=True)
    header = ",".join(c.label for c in CUSTOMERS.columns)
    row = ",Same Name LLC,,Ana,Ng,pw,1 Main St,,Austin,TX,78701,US,a@same.example.com,same.example.com,Central," \
          "2030-01-01,Multi-Group - Bill Group,5125550100,"
    (out / "customers.csv").write_text(header + "\n" + "\n".join([row] * n) + "\n", encoding="utf-8")
    (out / "locations.csv").write_text(",".join(c.label for c in LOCATIONS.columns) + "\n"
                                       "Same Name LLC,HQ,1 Main St,,Austin,TX,78701,5125550100\n", encoding="utf-8")
    (out / "packages.csv").write_text(",".join(c.label for c in PACKAGES.columns) + "\n"
                                      "Same Name LLC,Hosted PBX,Enterprise Standard,2,\n", encoding="utf-8")
    return out


def two_row_header(folder: Path) -> Path:
    """A header over two rows: group titles merged across row 1, column names on row 2."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customers"
    labels = [c.label for c in CUSTOMERS.columns]
    ws.append(["", "Account Name", "Contact", "", "", "", "Address", "", "", "", "", "", "Billing"] + [""] * 6)
    ws.append(["Partner ID", "", "Company", *labels[3:]])
    ws.merge_cells("B1:B2")
    ws.merge_cells("C1:F1")
    ws.merge_cells("G1:L1")
    book = _valid_book(2)
    for r in book.rows["Customers"]:
        ws.append(r)
    pk = wb.create_sheet("Packages")
    pk.append([c.label for c in PACKAGES.columns])
    for r in book.rows["Packages"]:
        pk.append(r)
    wb.save(folder / "two_row_header.xlsx")
    return folder / "two_row_header.xlsx"


def header_on_row_3(folder: Path) -> Path:
    """A title and a blank row above the column names."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customers"
    ws.append(["ACME order form v3"])
    ws.append([])
    ws.append([c.label for c in CUSTOMERS.columns])
    for r in _valid_book(2).rows["Customers"]:
        ws.append(r)
    wb.save(folder / "header_on_row_3.xlsx")
    return folder / "header_on_row_3.xlsx"


def malformed_csv(folder: Path) -> Path:
    """A CSV folder whose customers.csv has a row with more fields than the header (pandas' ParserError)."""
    out = folder / "malformed_csv"
    out.mkdir(parents=True, exist_ok=True)
    (out / "customers.csv").write_text("Account Name,City\nAcme,Austin\nBeta,Dallas,TX,extra,fields\n", encoding="utf-8")
    return out


def bad_utf8_csv(folder: Path) -> Path:
    out = folder / "bad_utf8_csv"
    out.mkdir(parents=True, exist_ok=True)
    (out / "customers.csv").write_bytes(b"Account Name,City\nAcme \xff\xfe Dental,Austin\n")
    return out


BUILDERS = (far_cell, lying_dimension, shared_strings_bomb, whitespace_bomb, many_rows, control_characters,
            long_names, identical_accounts, two_row_header, header_on_row_3, malformed_csv, bad_utf8_csv)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-corpus")
    target.mkdir(parents=True, exist_ok=True)
    for build in BUILDERS:
        print(build(target))
