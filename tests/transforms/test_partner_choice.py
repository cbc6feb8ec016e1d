"""The partner of an order from Customers.Partner ID: one value per file, whitespace aside, read per distinct value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from transforms.errors import InputError
from transforms.partner import choose_partner


@pytest.fixture
def partners_file(tmp_path: Path, isolated_home: Path) -> Path:
    p = tmp_path / "partners.csv"
    p.write_text("partner_id,name,notification_email\ndefault,Default,noc@partner.example\n"
                 "acme-telecom,Acme Telecom,noc@acme-telecom.example\nbeta,Beta,noc@beta.example\n", encoding="utf-8")
    return p


def _customers(ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"account_name": [f"A{i}" for i in range(len(ids))], "partner_id": ids}, dtype="str")


def test_one_partner_repeated_with_blanks_and_spaces(partners_file: Path) -> None:
    got = choose_partner(_customers(["acme-telecom", " acme-telecom\u00a0", "", "acme-telecom"] * 3000), None,
                         partners_file)
    assert got.partner_id == "acme-telecom"


def test_several_partners_are_refused_naming_each_once(partners_file: Path) -> None:
    with pytest.raises(InputError) as exc:
        choose_partner(_customers(["beta", "acme-telecom ", "beta", "\tacme-telecom"]), None, partners_file)
    assert "holds several partners (acme-telecom, beta)" in str(exc.value)
