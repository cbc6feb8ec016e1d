"""``onboard partner add|token|revoke``: partners in the data home, tokens hashed, expiring, revocable."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from data.partners import PartnerError, load_partners, resolve_partner
from onboard.cli import app
from onboard.portal.tokens import DEFAULT_DAYS, TokenStore
from onboard.settings import load_settings

runner = CliRunner()


def onboard(*args: str) -> tuple[int, str, str]:
    res = runner.invoke(app, list(args))
    return res.exit_code, res.stdout, res.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_partner_add_lives_in_the_home_merged_with_the_base_file(isolated_home: Path) -> None:
    code, _, err = onboard("partner", "add", "bluebird", "--name", "Bluebird Voice", "--email", "ops@bluebird.example")
    assert code == 0, err
    path = isolated_home / "partners.csv"
    assert mode(path) == 0o600
    partners = load_partners(load_settings().partners_file)
    assert resolve_partner(partners, "bluebird").email == "ops@bluebird.example"
    assert resolve_partner(partners, "default").name == "Default Partner"  # the shipped file still counts
    # changing it again replaces, never duplicates
    assert onboard("partner", "add", "bluebird", "--name", "Bluebird", "--email", "noc@bluebird.example")[0] == 0
    assert [line.split(",")[0] for line in path.read_text().splitlines()[1:]] == ["bluebird"]
    assert resolve_partner(load_partners(load_settings().partners_file), "BLUEBIRD").name == "Bluebird"


def test_onboard_partners_env_is_the_base_file(isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = tmp_path / "mine.csv"
    base.write_text("partner_id,name,notification_email\ndefault,D,d@example.com\nonly-here,O,o@example.com\n")
    monkeypatch.setenv("ONBOARD_PARTNERS", str(base))
    assert onboard("partner", "add", "added", "--name", "A", "--email", "a@example.com")[0] == 0
    partners = load_partners(load_settings().partners_file)
    assert {"default", "only-here", "added"} <= set(partners)
    assert "acme-telecom" not in partners
    with pytest.raises(PartnerError):
        resolve_partner(partners, "acme-telecom")


def test_partner_add_refuses_a_bad_id_or_email_in_one_line() -> None:
    code, _, err = onboard("partner", "add", "../evil", "--name", "E", "--email", "e@example.com")
    assert code == 2 and "partner id" in err and "Traceback" not in err
    code, _, err = onboard("partner", "add", "fine", "--name", "E", "--email", "not-an-address")
    assert code == 2 and "e-mail" in err


def test_a_token_for_an_unknown_partner_is_refused(isolated_home: Path) -> None:
    code, _, err = onboard("partner", "token", "acme-telecom")
    assert code == 2 and "unknown partner 'acme-telecom'" in err
    assert not (isolated_home / "tokens").exists()


def test_token_is_printed_once_and_stored_only_hashed(isolated_home: Path) -> None:
    assert onboard("partner", "add", "acme-telecom", "--name", "Acme", "--email", "orders@acme.example")[0] == 0
    code, out, err = onboard("partner", "token", "acme-telecom")
    assert code == 0, err
    token = out.strip()
    assert token.startswith("ob_")
    tokens_file = isolated_home / "tokens"
    assert mode(tokens_file) == 0o600
    stored = tokens_file.read_text()
    assert token not in stored and token.split("_", 2)[2] not in stored  # the secret is never kept
    (rec,) = json.loads(stored)
    assert rec["partner_id"] == "acme-telecom" and rec["revoked_at"] is None
    expires = datetime.fromisoformat(rec["expires_at"]) - datetime.fromisoformat(rec["created_at"])
    assert expires == timedelta(days=DEFAULT_DAYS)
    who = TokenStore(isolated_home).check(token)
    assert who is not None and who.partner_id == "acme-telecom" and not who.operator
    assert TokenStore(isolated_home).check(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


def test_token_days_expiry_and_revoke(isolated_home: Path) -> None:
    assert onboard("partner", "add", "northwind", "--name", "Northwind", "--email", "noc@northwind.example")[0] == 0
    code, out, _ = onboard("partner", "token", "northwind", "--days", "2")
    assert code == 0
    token = out.strip()
    store = TokenStore(isolated_home)
    now = datetime.now(UTC)
    assert store.check(token, now=now + timedelta(days=1)) is not None
    assert store.check(token, now=now + timedelta(days=2, minutes=1)) is None  # expired
    token_id = token.split("_")[1]
    code, out, err = onboard("partner", "revoke", token_id)
    assert code == 0, err
    assert store.check(token) is None
    assert store.still_valid(token_id) is None  # a session naming it ends too
    code, _, err = onboard("partner", "revoke", "nope")
    assert code == 2 and "no token" in err


def test_operator_token_and_usage_errors(isolated_home: Path) -> None:
    code, out, err = onboard("partner", "token", "--operator")
    assert code == 0, err
    who = TokenStore(isolated_home).check(out.strip())
    assert who is not None and who.operator
    assert onboard("partner", "token")[0] == 2  # neither a partner nor --operator
    assert onboard("partner", "token", "acme-telecom", "--operator")[0] == 2
    code, _, err = onboard("partner", "token", "nobody")
    assert code == 2 and "unknown partner" in err


def test_a_partner_added_by_the_operator_can_get_a_token(isolated_home: Path) -> None:
    assert onboard("partner", "add", "newco", "--name", "NewCo", "--email", "x@newco.example")[0] == 0
    code, out, err = onboard("partner", "token", "newco")
    assert code == 0, err
    who = TokenStore(isolated_home).check(out.strip())
    assert who is not None and who.partner_id == "newco"
