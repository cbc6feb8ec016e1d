"""Customers.Order / Enterprise Account / Create Admin and Packages.Effective Date through ingest and
normalize (issue 19): header aliases, the kinds, the yes/no flag, the ISO date."""

from __future__ import annotations

from pathlib import Path

import pytest

from data.catalog import load_catalog
from transforms.ingest import read_order
from transforms.normalize import normalize
from transforms.order_kinds import order_kind, yes


def _folder(tmp_path: Path, customers: str, packages: str) -> Path:
    d = tmp_path / "book"
    d.mkdir()
    (d / "customers.csv").write_text(customers, encoding="utf-8")
    (d / "packages.csv").write_text(packages, encoding="utf-8")
    return d


@pytest.mark.parametrize(("order_h", "ent_h", "eff_h"), [("Order", "Enterprise Account", "Effective Date"),
                                                         ("Order Kind", "Enterprise", "Effective"),
                                                         ("order type (customer)", "ENTERPRISE ACCOUNT", "effective")])
def test_headers_and_values(tmp_path: Path, order_h: str, ent_h: str, eff_h: str) -> None:
    book = _folder(
        tmp_path,
        f"Account Name,{order_h},{ent_h},Create Admin\n"
        "Acme Dental,,,\n"
        "Acme Dental - Round Rock, new group ,  Acme Dental ,Y\n"
        "Maple Clinic,ADD SERVICES,,no\n",
        f"Account Name,Order Type,Package,Quantity,{eff_h}\n"
        "Maple Clinic,Hosted PBX,Enterprise Standard,1,2026-09-01\n"
        "Maple Clinic,Hosted PBX,Enterprise Basic,1,\n",
    )
    raw = read_order(book)
    assert not raw.unknown_columns
    order, _ = normalize(raw, load_catalog())
    cust = order.sheets["Customers"]
    assert cust["order_kind"].tolist() == ["new_customer", "new_group", "add_services"]
    assert cust["enterprise_account"].tolist() == ["", "Acme Dental", ""]
    assert cust["create_admin"].tolist() == [False, True, False] and cust["create_admin"].dtype == bool
    assert order.sheets["Packages"]["effective_date"].tolist() == ["2026-09-01", ""]


def test_unknown_text_stays_as_written() -> None:
    assert order_kind("  Upgrade ") == "Upgrade"  # validation answers INVALID_FORMAT at Customers.Order
    assert [yes(v) for v in ("yes", "TRUE", "y", "no", "", "maybe")] == [True, True, True, False, False, False]
