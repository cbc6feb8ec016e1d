"""Sheets normalized in their reader threads (transforms.ahead) give exactly what normalize gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from data.catalog import load_catalog
from data.sheets import Sheet
from transforms.ahead import normalize_ahead
from transforms.ingest import Ahead, InputError, RawOrder, read_order, read_order_of
from transforms.normalize import normalize
from validators.check import check_order

CASES = sorted((Path(__file__).resolve().parents[1] / "cases").glob("*.xlsx"))


def _read(path: Path, ahead: Ahead | None) -> RawOrder | str:
    try:
        return read_order(path, ahead=ahead)
    except InputError as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_same_findings_and_frames_with_and_without_ahead(path: Path) -> None:
    plain, early = _read(path, None), _read(path, normalize_ahead())
    if isinstance(plain, str) or isinstance(early, str):
        assert plain == early  # the same error, raised in the same sheet order
        return
    catalog = load_catalog()
    used = [s for s in early.sheets if early.prepared(s, catalog) is not None]
    assert "Customers" in used  # the reader threads did normalize (else this test compares a path with itself)
    assert plain.ahead == {}
    a, b = normalize(plain, catalog)[0], normalize(early, catalog)[0]
    for name, frame in a.sheets.items():
        pd.testing.assert_frame_equal(frame, b.sheets[name], check_like=False)
    assert [f.__dict__ for f in a.findings] == [f.__dict__ for f in b.findings]
    one = check_order(plain, existing=None, inventory=None, fingerprints=False).findings
    two = check_order(early, existing=None, inventory=None, fingerprints=False).findings
    pd.testing.assert_frame_equal(one, two)


def test_a_result_is_used_only_for_its_own_frame_and_catalog(tmp_path: Path) -> None:
    raw = read_order(Path(__file__).resolve().parents[1] / "cases" / "clean.xlsx", ahead=normalize_ahead())
    catalog = load_catalog()
    assert raw.prepared("Customers", catalog) is not None
    assert raw.prepared("Customers", object()) is None  # another catalog: normalized again
    raw.sheets["Customers"] = raw.sheets["Customers"].copy()  # a caller changed the sheet after reading
    assert raw.prepared("Customers", catalog) is None


def test_a_failing_ahead_leaves_the_sheet_to_normalize() -> None:
    def boom(sheet: Sheet, scratch: RawOrder) -> tuple[object, object]:
        raise RuntimeError("not now")

    path = Path(__file__).resolve().parents[1] / "cases" / "clean.xlsx"
    raw = read_order(path, ahead=Ahead(boom))
    assert raw.ahead == {}
    catalog = load_catalog()
    got = normalize(raw, catalog)[0]
    want = normalize(read_order(path), catalog)[0]
    pd.testing.assert_frame_equal(got.sheets["Customers"], want.sheets["Customers"])


def test_the_biggest_sheet_is_read_first(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Customers"
    ws.append(["Account Name"])
    ws.append(["Acme"])
    big = wb.create_sheet("Packages")
    big.append(["Account Name", "Package"])
    for i in range(300):
        big.append(["Acme", f"Seat {i}"])
    wb.create_sheet("Locations").append(["Account Name", "City"])
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert read_order_of(path, ["Customers", "Locations", "Packages"]) == ["Packages", "Customers", "Locations"]
    csv = tmp_path / "customers.csv"
    csv.write_text("Account Name\nAcme\n", encoding="utf-8")
    assert read_order_of(csv, ["Customers"]) == ["Customers"]  # not a workbook: sheet order
