"""A migration's plan inputs: the per-sheet Arrow files and the one sealed token of portal passwords."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from cryptography.fernet import Fernet

from pipeline.plan_inputs import OLD_PASSWORDS, PASSWORDS, chunk_frames, load_passwords, save_plan_inputs
from staging.secrets import Vault


def _text(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str")


def _frames() -> dict[str, pd.DataFrame]:
    cust = pd.DataFrame({"account_name": _text(["Acme", "Beta", "", "Acme", "Gamma"]),
                         "password": _text(["pw-a", "pw-b", "pw-blank", "pw-a2", ""]),
                         "_row": [2, 3, 4, 5, 6],
                         "_account_key": _text(["acme", "beta", "", "acme", "gamma"])})
    packages = pd.DataFrame({"account_name": _text(["Gamma", "Acme", "Nobody", "", "Beta", "Acme"]),
                             "package": _text(["p1", "p2", "p3", "p4", "p5", "p6"]),
                             "_row": [2, 3, 4, 5, 6, 7],
                             "_account_key": _text(["gamma", "acme", "nobody", "", "beta", "acme"])})
    return {"Customers": cust, "Packages": packages}


def test_passwords_are_sealed_in_one_token_and_read_back_per_chunk(tmp_path: Path) -> None:
    vault = Vault(Fernet.generate_key())
    save_plan_inputs(tmp_path, _frames(), vault)
    token = (tmp_path / PASSWORDS).read_bytes()
    assert b"pw-a" not in token and b"acme" not in token  # sealed, not clear text
    assert not (tmp_path / OLD_PASSWORDS).exists()
    # the first row of a name gives its password; a blank name has none; a blank password stays blank
    assert load_passwords(tmp_path, ["acme", "beta", "gamma"], vault) == {"acme": "pw-a", "beta": "pw-b", "gamma": ""}
    assert load_passwords(tmp_path, ["beta"], vault) == {"beta": "pw-b"}
    assert load_passwords(tmp_path, ["zeta"], vault) == {}
    with pytest.raises(ValueError, match="ONBOARD_SECRET_KEY changed"):
        load_passwords(tmp_path, ["acme"], Vault(Fernet.generate_key()))


def test_a_work_folder_staged_before_keeps_its_json_token(tmp_path: Path) -> None:
    vault = Vault(Fernet.generate_key())
    (tmp_path / OLD_PASSWORDS).write_text(vault.seal(json.dumps({"acme": "old-pw", "beta": "b"})), encoding="utf-8")
    assert load_passwords(tmp_path, ["acme", "zeta"], vault) == {"acme": "old-pw"}
    assert load_passwords(tmp_path.parent / "nothing-here", ["acme"], vault) == {}


def test_rows_are_kept_by_customer_position_and_rows_without_a_customer_left_out(tmp_path: Path) -> None:
    vault = Vault(Fernet.generate_key())
    save_plan_inputs(tmp_path, _frames(), vault)
    got = chunk_frames(tmp_path, ["acme", "gamma"])
    pk = got["Packages"]
    # sorted by the customer's position in the book (acme, then gamma), sheet order within a customer
    assert pk["package"].tolist() == ["p2", "p6", "p1"]
    assert "password" not in got["Customers"].columns
    everyone = chunk_frames(tmp_path, ["acme", "beta", "gamma"])["Packages"]
    assert sorted(everyone["package"].tolist()) == ["p1", "p2", "p5", "p6"]  # 'Nobody' and a blank name: no customer


def test_a_book_in_customer_order_is_written_as_it_is(tmp_path: Path) -> None:
    frames = _frames()
    frames["Packages"] = frames["Packages"].iloc[[1, 5, 4, 0]].reset_index(drop=True)  # acme, acme, beta, gamma
    save_plan_inputs(tmp_path, frames, Vault(Fernet.generate_key()))
    assert chunk_frames(tmp_path, ["acme", "beta", "gamma"])["Packages"]["package"].tolist() == ["p2", "p6", "p5", "p1"]
