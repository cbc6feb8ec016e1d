"""VALUE_TOO_LONG / INVALID_CHARACTERS: the limits are the systems' own (issue 14)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from lxml import etree

from tests.support.ocip_schema import schema_dir
from validators import limits as L

XS = "{http://www.w3.org/2001/XMLSchema}"


def _max_lengths() -> tuple[dict[str, int], dict[str, int]]:
    """maxLength of every named simple type, and of the inline StreetAddress elements, in the R25 schema."""
    named: dict[str, int] = {}
    street: dict[str, int] = {}
    for xsd in Path(schema_dir()).glob("*.xsd"):
        root = etree.parse(str(xsd)).getroot()
        for st in root.iter(f"{XS}simpleType"):
            m = st.find(f".//{XS}maxLength")
            if st.get("name") and m is not None:
                named[str(st.get("name"))] = int(str(m.get("value")))
        for ct in root.iter(f"{XS}complexType"):
            if ct.get("name") == "StreetAddress":
                for el in ct.iter(f"{XS}element"):
                    m = el.find(f".//{XS}maxLength")
                    if m is not None:
                        street[str(el.get("name"))] = int(str(m.get("value")))
    return named, street


def test_lengths_are_the_r25_schema_s() -> None:
    named, street = _max_lengths()
    assert L.BW_NAME == named["ServiceProviderName"] == named["GroupName"] == named["GroupCallingLineIdName"]
    assert L.BW_FIRST_LAST == named["FirstName"] == named["LastName"]
    assert named["NetAddress"] == L.BW_NET_ADDRESS and named["EmailAddress"] == L.BW_EMAIL
    assert L.BW_ADDRESS_LINE == street["addressLine1"] == street["addressLine2"] and street["city"] == L.BW_CITY
    # the plan derives ids of at most 30 bytes: the schema's ServiceProviderId / GroupId
    from transforms.plan import MAX_ID_BYTES

    assert named["ServiceProviderId"] >= MAX_ID_BYTES and named["GroupId"] >= MAX_ID_BYTES
    # billing: "<Account Name> Enterprise" must fit 100 characters
    account_limit, _ = L.LIMITS["Customers"]["account_name"]
    assert account_limit + len(L.ENTERPRISE_SUFFIX) <= L.BILLING_ACCOUNT_NAME


def test_bad_characters_found_in_arrow_and_object_columns() -> None:
    values = ["ok", "tab\tok", "bel\x07", "nul\x00", "c1\x85", "nonchar\ufffe", "line\nbreak", "é ü 中"]
    for s in (pd.Series(values, dtype="str"), pd.Series(values, dtype=object)):
        assert L.has_bad(s).tolist() == [False, False, True, True, True, True, False, False]


def test_shown_spells_out_and_cuts() -> None:
    assert L.shown("Ana\x07") == "Ana\\x07"
    assert len(L.shown("x" * 40_000)) == L.SHOWN + 3


def _too_long(col: str, values: list[str], dtype: str) -> list[int]:
    frame = pd.DataFrame({"account_name": pd.Series([f"c{i}" for i in range(len(values))], dtype=dtype),
                          col: pd.Series(values, dtype=dtype), "_row": range(2, len(values) + 2)})
    return [f.row for f in L.sheet_limit_findings("Customers", frame) if f.code == "VALUE_TOO_LONG"]


def test_lengths_are_characters_whatever_the_bytes() -> None:
    """The byte-length bound (Arrow's offsets) only ever skips columns no cell of which can be over."""
    n = L.BW_FIRST_LAST
    fits = ["é" * n, "中" * n, "a" * n, "🙂" * n]  # up to 4n bytes, n characters: none is over
    for dtype in ("str", "object"):
        assert _too_long("first_name", fits, dtype) == []
        assert _too_long("first_name", [*fits, "é" * (n + 1), "a" * (n + 1)], dtype) == [6, 7]
        # e-mail: per address; a cell of two addresses is longer than one may be
        two = "a" * 70 + "@x.com;" + "b" * 70 + "@y.com"
        assert _too_long("email", [two, "c" * 75 + "@x.com"], dtype) == [3]
        assert _too_long("email", [two], dtype) == []
