from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from data.catalog import load_catalog
from data.sheets import CUSTOMERS
from transforms import values as V
from transforms.ingest import RawOrder, read_order
from transforms.normalize import normalize

CAT = load_catalog()


def test_clean_order_frames(cases: Path) -> None:
    order, findings = normalize(read_order(cases / "clean.xlsx"), CAT)
    assert findings == []
    c = order["Customers"]
    assert c["company"].tolist() == ["Acme Dental", "Maple Clinic Inc"]  # defaults to the account name
    assert c["main_number"].tolist() == ["+15125550100", "+14165550100"]
    assert c["billing_start_date"].tolist() == ["2025-07-01", "2025-07-15"]
    assert c["time_zone"].tolist() == ["America/Chicago", "America/Toronto"]
    assert c["email"].tolist() == ["billing@acmedental.com", "ap@mapleclinic.ca;it@mapleclinic.ca"]
    assert c["_account_key"].tolist() == ["acme dental", "maple clinic"]
    assert order["Porting"]["requested_date"].tolist() == ["2025-06-20"]
    assert order["Numbers"].empty and "Numbers" not in order.present
    assert list(order["Numbers"].columns) == ["account_name", "number", "purpose", "_row", "_account_key"]


def test_e911_from_notes_becomes_a_location_row(cases: Path) -> None:
    order, _ = normalize(read_order(cases / "clean.xlsx"), CAT)
    loc = order["Locations"]
    assert loc[["_sheet", "_row", "_account_key"]].values.tolist() == [
        ["Locations", 2, "acme dental"], ["Customers", 3, "maple clinic"]]
    maple = loc.iloc[1]
    assert (maple["address_1"], maple["city"], maple["state"], maple["zip"], maple["main_number"], maple["country"]) \
        == ("1 Bay St", "Toronto", "ON", "M5J 2T3", "+14165550100", "CA")


def test_csv_and_xlsx_normalize_alike(cases: Path) -> None:
    a, _ = normalize(read_order(cases / "clean.xlsx"), CAT)
    b, _ = normalize(read_order(cases / "clean_csv"), CAT)
    for sheet in ("Customers", "Locations", "Packages", "DIDs", "Porting"):
        pd.testing.assert_frame_equal(a[sheet].reset_index(drop=True), b[sheet].reset_index(drop=True),
                                      check_dtype=False)


def _raw(rows: list[dict[str, str]]) -> RawOrder:
    frame = pd.DataFrame([{c.key: r.get(c.key, "") for c in CUSTOMERS.columns} for r in rows], dtype="str")
    frame["_row"] = range(2, len(rows) + 2)
    return RawOrder({"Customers": frame}, [Path("x.xlsx")])


def test_repairs_and_catalog_spelling() -> None:
    order, findings = normalize(_raw([{"account_name": " Acme  Co ", "zip": "7042", "state": "new jersey",
                                       "main_number": "2125550100.0", "country": "", "time_zone": "EST"}]), CAT)
    c = order["Customers"].iloc[0]
    assert (c["zip"], c["state"], c["country"], c["main_number"], c["time_zone"], c["_account_key"]) == \
        ("07042", "NJ", "US", "+12125550100", "America/New_York", "acme co")
    assert sorted((f.column, f.code) for f in findings) == [("Main Number", "VALUE_REPAIRED"), ("Zip", "VALUE_REPAIRED")]
    assert V.zip_code("7042", "TX") == ("7042", None)  # ambiguous outside 0-ZIP states: left for INVALID_FORMAT
    assert V.country("", "QC") == ("CA", None)


def test_package_names_to_catalog_spelling() -> None:
    frame = pd.DataFrame({"account_name": ["A", "A"], "order_type": ["call recording", "UC One"],
                          "package": ["smart capture", "did addon - uc"], "quantity": ["", "3.0"], "notes": ["", ""],
                          "_row": [2, 3]}, dtype="object").astype({"_row": "int64"})
    raw = _raw([{"account_name": "A"}])
    raw.sheets["Packages"] = frame.astype({k: "str" for k in frame.columns if k != "_row"})
    order, findings = normalize(raw, CAT)
    p = order["Packages"]
    assert p[["order_type", "package", "quantity"]].values.tolist() == [
        ["Call Recording", "Smarat Capture", "1"], ["Hosted UC One", "DID Add-On - UC", "3"]]
    assert [(f.row, f.code) for f in findings] == [(2, "QUANTITY_DEFAULTED")]


texts = st.text(alphabet=st.sampled_from("0123456789 -().+abcxyzABC@;,/'\t"), max_size=18)
zips = st.from_regex(r"\A0\d{4}(-\d{4})?\Z", fullmatch=True)
phones = st.from_regex(r"\A\+1[2-9]\d{2}[2-9]\d{6}\Z", fullmatch=True)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(texts, texts, texts, texts, texts), min_size=1, max_size=6))
def test_normalize_is_idempotent(rows: list[tuple[str, str, str, str, str]]) -> None:
    keys = ("zip", "main_number", "email", "billing_start_date", "time_zone")
    raw = _raw([{"account_name": f"A{i}", **dict(zip(keys, r, strict=True))} for i, r in enumerate(rows)])
    once, _ = normalize(raw, CAT)
    base = once["Customers"].drop(columns=["_account_key"])
    twice, _ = normalize(RawOrder({"Customers": base}, raw.sources), CAT)
    pd.testing.assert_frame_equal(once["Customers"], twice["Customers"], check_dtype=False)


@settings(max_examples=30, deadline=None)
@given(zips, phones, st.sampled_from(["NJ", "TX", "", "ON"]))
def test_leading_zeros_never_lost(z: str, p: str, state: str) -> None:
    order, _ = normalize(_raw([{"account_name": "A", "zip": z, "main_number": p[2:], "state": state}]), CAT)
    c = order["Customers"].iloc[0]
    assert c["zip"] == z and c["main_number"] == p
