"""Generate order books: the shipped demo sample and large synthetic books (bench, tests).

``python -m data.samples.generate`` rewrites ``data/samples/orders-sample.xlsx``.
"""

from __future__ import annotations

import random
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from data.sheets import CUSTOMERS, DIDS, LOCATIONS, NUMBERS, PACKAGES, PORTING, TOLL_FREE, Sheet

HERE = Path(__file__).parent
SAMPLE = HERE / "orders-sample.xlsx"

CITIES = [
    ("Austin", "TX", "78701", "512", "America/Chicago"),
    ("New York", "NY", "10001", "212", "America/New_York"),
    ("San Francisco", "CA", "94105", "415", "America/Los_Angeles"),
    ("Chicago", "IL", "60601", "312", "America/Chicago"),
    ("Miami", "FL", "33101", "305", "America/New_York"),
]
SEATS = ["Enterprise Standard", "Enterprise Premium", "Power User", "Traditional User", "Enterprise Basic"]
FEATURES = [("AlaCarte Features", "Auto Attendant"), ("AlaCarte Features", "Hunt Group"),
            ("AlaCarte Features", "Music On Hold"), ("AlaCarte Features", "Voice Mail Add On"),
            ("Call Recording", "Smart Record")]
WORDS = ["Acme", "Blue", "Cedar", "Delta", "Everest", "Falcon", "Granite", "Harbor", "Ivy", "Juniper", "Kestrel",
         "Lumen", "Maple", "Nimbus", "Orchid", "Pioneer", "Quartz", "Redwood", "Summit", "Tidal", "Union", "Vista"]
TRADES = ["Dental", "Law Group", "Realty", "Logistics", "Bakery", "Clinic", "Architects", "Motors", "Insurance", "Studio"]


@dataclass
class Book:
    rows: dict[str, list[list[object]]] = field(default_factory=lambda: {s.name: [] for s in SHEETS})


SHEETS: tuple[Sheet, ...] = (CUSTOMERS, LOCATIONS, PACKAGES, DIDS, PORTING, TOLL_FREE)


def _customer(i: int, rng: random.Random, *, start: str, partner: str = "") -> tuple[list[object], tuple[str, ...]]:
    city, state, zip_, npa, tz = CITIES[i % len(CITIES)]
    name = f"{WORDS[i % len(WORDS)]} {TRADES[(i // len(WORDS)) % len(TRADES)]}" + (f" {i // 220 + 1}" if i >= 220 else "")
    domain = name.lower().replace(" ", "") + ".example.com"
    first, last = rng.choice(["Ana", "Ben", "Chloe", "Dev", "Ema", "Finn"]), rng.choice(["Ortiz", "Ng", "Shah", "Lee"])
    billing = "Multi-Group - Bill Enterprise" if i % 3 else "Multi-Group - Bill Group"
    main = f"{npa}555{1000 + i % 9000:04d}"
    row: list[object] = [partner, name, "", first, last, f"Pw!{rng.randrange(10**8):08d}x", f"{100 + i} Main St", "",
                         city, state, zip_, "US", f"billing@{domain}", domain, tz, start, billing, main, ""]
    return row, (name, city, state, zip_, npa, main)


def sample_rows(n: int = 24, *, seed: int = 7, start: str = "2027-01-01", invalid: bool = True) -> Book:
    """The demo book: ``n`` customers, the last few wrong on purpose when ``invalid``."""
    rng = random.Random(seed)
    book = Book()
    for i in range(n):
        crow, (name, city, state, zip_, npa, main) = _customer(i, rng, start=start)
        book.rows["Customers"].append(crow)
        book.rows["Locations"].append([name, "HQ", f"{100 + i} Main St", "", city, state, zip_, main])
        seat = SEATS[i % len(SEATS)]
        qty = 2 + i % 4
        book.rows["Packages"].append([name, "Hosted PBX", seat, str(qty), ""])
        ot, feat = FEATURES[i % len(FEATURES)]
        # Smart Record needs the numbers to record (SMART_RECORD_INFO_MISSING otherwise): on the line's Notes
        record = f"Record {npa}-555-{1000 + i % 9000:04d} and {npa}-555-{2000 + i:04d}" if feat == "Smart Record" else ""
        book.rows["Packages"].append([name, ot, feat, "1", record])
        if i % 4 == 0:
            book.rows["DIDs"].append([name, npa, "555", str(min(qty, 2)), "", "Voice", "", ""])
        if i % 5 == 1:
            book.rows["Porting"].append([name, f"{npa}867{5300 + i:04d}", "Old Telco", main, "2027-01-15"])
        if i % 7 == 3:
            book.rows["Packages"].append([name, "Toll Free Service", "Toll Free Number", "1", "new toll free number ordered"])
            book.rows["Toll Free"].append([name, "New", "", main, "2027-01-15", ""])
    if n >= 8:
        # Canadian customer with province and postal code
        book.rows["Customers"][1][8:12] = ["Toronto", "ON", "M5V 2T6", "CA"]
        book.rows["Customers"][1][14] = "America/Toronto"
        book.rows["Locations"][1][4:7] = ["Toronto", "ON", "M5V 2T6"]
        # a backorder: more numbers asked in 737-555 than the inventory holds (a warning, not an error)
        book.rows["DIDs"].append([book.rows["Customers"][4][1], "737", "555", "6", "", "Voice", "", ""])
        book.rows["Packages"].append([book.rows["Customers"][4][1], "DID", "Additional DID's", "6", ""])
        # a fax line with its fax e-mail
        fax_name = book.rows["Customers"][2][1]
        book.rows["Packages"].append([fax_name, "Fax Service", "Virtual Fax ATA Basic", "1", ""])
        book.rows["DIDs"].append([fax_name, "415", "555", "1", "", "Fax", "fax@" + str(book.rows["Customers"][2][13]), ""])
        # a blank quantity: taken as 1 with a warning
        book.rows["Packages"].append([book.rows["Customers"][6][1], "AlaCarte Features", "Call Me Now", "", ""])
    if n >= 12:
        _notes_that_reach_tickets(book)
    if invalid and n >= 20:
        c = book.rows["Customers"]
        c[-1][12] = ""  # REQUIRED_MISSING: Email
        c[-2][13] = "https://www." + str(c[-2][13])  # DOMAIN_HAS_SCHEME
        c[-3][14] = "Mars Standard Time"  # TIMEZONE_UNKNOWN
        book.rows["Packages"].append([c[-4][1], "Hosted PBX", "Enterprise Platinum", "2", ""])  # UNKNOWN_PACKAGE
        book.rows["Packages"].append([c[-5][1], "SIP Trunking", "SIP Trunk", "4", ""])  # TRUNKING_NOT_SUPPORTED
        book.rows["DIDs"].append([c[-6][1], "305", "555", "40", "", "Voice", "", ""])  # DID_QUOTA_EXCEEDED
    return book


def _notes_that_reach_tickets(book: Book) -> None:
    """Notes written the seed's way, each of which must reach a ticket (issue 12: nothing is lost)."""
    c, pk, dids, locs = (book.rows[s] for s in ("Customers", "Packages", "DIDs", "Locations"))
    # special provisioning information in Customers.Notes, and a second E911 location there (E911 ticket)
    c[0][18] = "Install after 8am; gate code 4411. E911: 9 Dock Rd, Austin, TX 78702; Main 512-555-0177"
    # a second E911 location on the Locations sheet
    locs.append([c[5][1], "Warehouse", "77 Harbor Way", "Unit 4", c[5][8], c[5][9], c[5][10], str(c[5][17])[:-4] + "0178"])
    # IP fax: the delivery e-mail written on the Fax Service line's Notes, the Fax DID without Fax Email
    pk.append([c[7][1], "Fax Service", "Virtual Fax Desktop Unlimited", "1", "IP fax, deliver to efax@" + str(c[7][13])])
    dids.append([c[7][1], str(c[7][17])[:3], "555", "1", "", "Fax", "", "fax line for the front desk"])
    # Smart Record numbers written in Customers.Notes instead of the line
    pk.append([c[8][1], "Call Recording", "Smart Record Pro", "1", ""])
    c[8][18] = f"Smart Record: {str(c[8][17])[:3]}-555-0190; {str(c[8][17])[:3]}-555-0191"
    # a toll-free port asked for only in the Toll Free Service line's Notes (no Toll Free sheet row)
    pk.append([c[11][1], "Toll Free Service", "Toll Free Number", "1",
               "Port 800-555-0142 from Old Telco, required by 2027-01-20"])


def write_xlsx(book: Book, path: Path, *, sheets: Sequence[Sheet] = SHEETS) -> Path:
    wb = Workbook(write_only=True)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        ws.append([c.label for c in sheet.columns])
        for row in book.rows.get(sheet.name, []):
            ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def big_book_rows(
    customers: int, lines_per_customer: int = 10, *, seed: int = 1, start: str = "2027-01-01"
) -> Iterator[tuple[str, list[object]]]:
    """Rows of a migration book, streamed (sheet name, row): customers, locations, packages, own numbers.

    Account names, domains and main numbers are unique across the book (own numbers may not repeat)."""
    rng = random.Random(seed)
    # A migrated book's lines carry no Notes: Smart Record (which needs the numbers to record) is left out.
    feats = [f for f in FEATURES if f[1] != "Smart Record"] + [("Call Recording", "Smart Listen Unlimited")]
    for i in range(customers):
        crow, (name, city, state, zip_, npa, _main) = _customer(i, rng, start=start)
        name = f"{name} {i:06d}"
        main = f"{npa}{200 + i // 10000:03d}{i % 10000:04d}"  # NXX 200..999: unique for 800k customers per NPA
        crow[1], crow[13], crow[17] = name, f"c{i:06d}." + str(crow[13]), main
        crow[12] = f"billing@{crow[13]}"
        yield "Customers", crow
        yield "Locations", [name, "HQ", f"{100 + i} Main St", "", city, state, zip_, main]
        seats = 3 + i % 5
        yield "Packages", [name, "Hosted PBX", SEATS[i % len(SEATS)], str(seats), ""]
        for j in range(lines_per_customer - 1):
            ot, feat = feats[j % len(feats)]
            yield "Packages", [name, ot, feat, "1", ""]
        yield "Numbers", [name, main, "Voice"]


BIG_SHEETS: tuple[Sheet, ...] = (CUSTOMERS, LOCATIONS, PACKAGES, NUMBERS)


def write_big_book(path: Path, customers: int, lines_per_customer: int = 10, *, start: str = "2027-01-01") -> Path:
    """A migration book written straight as SpreadsheetML (inline strings): a 1M-line book in seconds,
    where openpyxl takes minutes. Every cell is text, as partners' sheets formatted as Text are."""
    sheets = BIG_SHEETS
    tmp = {s.name: path.with_name(f".{path.name}.{i}.xml") for i, s in enumerate(sheets)}
    path.parent.mkdir(parents=True, exist_ok=True)
    files = {name: p.open("w", encoding="utf-8") for name, p in tmp.items()}
    counts = dict.fromkeys(files, 1)
    try:
        for s in sheets:
            files[s.name].write(_SHEET_HEAD + _xml_row(1, [c.label for c in s.columns]))
        for sheet, row in big_book_rows(customers, lines_per_customer, start=start):
            counts[sheet] += 1
            files[sheet].write(_xml_row(counts[sheet], row))
        for f in files.values():
            f.write(_SHEET_TAIL)
    finally:
        for f in files.values():
            f.close()
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            names = [s.name for s in sheets]
            z.writestr("[Content_Types].xml", _content_types(len(names)))
            z.writestr("_rels/.rels", _ROOT_RELS)
            z.writestr("xl/workbook.xml", _workbook(names))
            z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(names)))
            for i, name in enumerate(names, start=1):
                z.write(tmp[name], f"xl/worksheets/sheet{i}.xml")
    finally:
        for p in tmp.values():
            p.unlink(missing_ok=True)
    return path


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}"><sheetData>'
_SHEET_TAIL = "</sheetData></worksheet>"
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)


def _xml_row(r: int, values: Sequence[object]) -> str:
    cells = "".join(
        f'<c r="{_col(i)}{r}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>'
        for i, v in enumerate(values) if v is not None and str(v) != ""
    )
    return f'<row r="{r}">{cells}</row>'


def _col(i: int) -> str:
    return get_column_letter(i + 1)  # 0 -> "A"


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{sheets}</Types>"
    )


def _workbook(names: Sequence[str]) -> str:
    sheets = "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" xmlns:r="{_REL_NS}">'
            f"<sheets>{sheets}</sheets></workbook>")


def _workbook_rels(n: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')


if __name__ == "__main__":
    write_xlsx(sample_rows(), SAMPLE)
    print(SAMPLE)
