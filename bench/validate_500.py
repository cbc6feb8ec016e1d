"""Benchmark: ingest + normalize + validate of a 500-customer order workbook vs a bare fastexcel read.

Run: .venv/bin/python -m bench.validate_500 [CUSTOMERS]   (target: well under 3 s for 500 customers)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import fastexcel
from openpyxl import Workbook

from data.catalog import load_catalog
from transforms.ingest import read_order
from transforms.normalize import normalize
from validators import validate_order

SEATS = [("Hosted PBX", "Enterprise Standard"), ("Hosted PBX", "Enterprise Basic"), ("Hosted PBX", "Power User"),
         ("Hosted UC One", "Select UC Extension - Phone Prime")]
EXTRAS = [("AlaCarte Features", "Auto Attendant"), ("AlaCarte Features", "Music On Hold"),
          ("DID", "Additional DID's"), ("Call Recording", "Smart Record"), ("AlaCarte Features", "Hunt Group")]
STATES = [("TX", "Austin", "787", "512"), ("NY", "New York", "100", "212"), ("NJ", "Newark", "071", "973"),
          ("CA", "San Jose", "951", "408"), ("IL", "Chicago", "606", "312")]


def build(path: Path, n: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    wb = Workbook()
    cust = wb.active
    assert cust is not None
    cust.title = "Customers"
    cust.append(["Partner ID", "Account Name", "Company", "First Name", "Last Name", "Password", "Address 1",
                 "Address 2", "City", "State", "Zip", "Country", "Email", "Default Domain", "Time Zone",
                 "Billing Start Date", "Billing Type", "Main Number", "Notes"])
    loc = wb.create_sheet("Locations")
    loc.append(["Account Name", "Location Name", "Address 1", "Address 2", "City", "State", "Zip", "Main Number"])
    pk = wb.create_sheet("Packages")
    pk.append(["Account Name", "Order Type", "Package", "Quantity", "Notes"])
    dids = wb.create_sheet("DIDs")
    dids.append(["Account Name", "NPA", "NXX", "Quantity", "Numbers", "Purpose", "Fax Email", "Notes"])
    for i in range(n):
        name = f"Customer {i:05d} LLC"
        st, city, z3, npa = rnd.choice(STATES)
        zip_code = f"{z3}{rnd.randrange(100):02d}"
        main = f"{npa}-555-{i % 10000:04d}"
        cust.append(["default", name, "", "Pat", f"Smith{i}", "pw", f"{i} Main St", "", city, st, zip_code, "US",
                     f"billing{i}@customer{i}.com", f"customer{i}.com", rnd.choice(["Eastern", "Central", "Pacific"]),
                     date(2030, 1, 1 + i % 28), "Multi-Group - Bill Enterprise", main, ""])
        loc.append([name, "HQ", f"{i} Main St", "", city, st, zip_code, main])
        seats = rnd.randint(2, 20)
        pk.append([name, *rnd.choice(SEATS), seats, ""])
        for ot, p in rnd.sample(EXTRAS, 4):
            pk.append([name, ot, p, rnd.randint(1, 3), ""])
        dids.append([name, npa, "555", rnd.randint(1, seats), "", "Voice", "", ""])
    wb.save(path)


def main(n: int = 500) -> None:
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"order_{n}.xlsx"
        build(path, n)
        t0 = time.perf_counter()
        reader = fastexcel.read_excel(path)
        for name in reader.sheet_names:
            reader.load_sheet(name, dtypes="string").to_pandas()
        bare = time.perf_counter() - t0
        t0 = time.perf_counter()
        raw = read_order(path)
        t1 = time.perf_counter()
        order, _ = normalize(raw, catalog)
        t2 = time.perf_counter()
        result = validate_order(order, catalog)
        t3 = time.perf_counter()
    total = t3 - t0
    print(f"{n} customers, {len(order['Packages'])} package lines, {len(result.findings)} findings "
          f"({result.totals.as_dict()})")
    print(f"ingest {t1 - t0:.3f} s, normalize {t2 - t1:.3f} s, validate {t3 - t2:.3f} s")
    print(f"wall {total:.3f} s; bare fastexcel read {bare:.3f} s; ratio {total / bare:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
