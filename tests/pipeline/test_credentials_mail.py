"""Admin credentials: one message per batch run to the partner, listing every login; sent once, then erased."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

import duckdb
import pytest
from aiosmtpd.controller import Controller

from connectors.broadworks.sim_store import password_hash
from data.samples.generate import sample_rows, write_xlsx
from pipeline import mail as mail_flow
from pipeline.batch import retry_batch, run_file
from pipeline.stage import RunOptions
from staging import outbox
from tests.connectors.mail.test_mail import Collect, free_port
from tests.pipeline.conftest import Sims, settings_for
from tests.pipeline.mailbox import Login, credential_files, logins_in, read_message


def _bw_admins(sims: Sims) -> dict[str, str]:
    with sims.bw.store.tx() as db:
        return {r[0]: r[1] for r in db.execute("SELECT user_id, pw_hash FROM admin").fetchall()}


def _assert_logins_work(sims: Sims, logins: list[Login]) -> None:
    """Every mailed password is the one BroadWorks holds for that administrator (the sim keeps a hash)."""
    admins = _bw_admins(sims)
    for x in logins:
        assert admins[x.admin_user_id] == password_hash(x.admin_user_id, x.password), x.account


def _staged(home: Path, sql: str, params: list[object]) -> list[tuple[object, ...]]:
    with duckdb.connect(str(home / "onboard.duckdb"), read_only=True) as con:
        return con.execute(sql, params).fetchall()


def test_one_message_per_batch_lists_every_login_then_the_payloads_are_erased(
    sims: Sims, isolated_home: Path, tmp_path: Path
) -> None:
    book = write_xlsx(sample_rows(5, invalid=False), tmp_path / "o.xlsx")
    res = run_file(settings_for(isolated_home, sims), book, RunOptions())
    assert res["customers"]["provisioned"] == 5

    [path] = credential_files(isolated_home)
    msg = read_message(path)
    assert msg["To"] == "provisioning@partner.example.com"
    assert res["batch"] in str(msg["Subject"]) and "5 customers" in str(msg["Subject"])
    logins = logins_in(msg)
    accounts = {str(r[0]) for r in _staged(isolated_home, "SELECT account FROM plans WHERE batch_id = ?", [res["batch"]])}
    assert {x.account for x in logins} == accounts and len(logins) == 5
    assert all(x.enterprise_id and x.group_id for x in logins)
    _assert_logins_work(sims, logins)
    assert len(_bw_admins(sims)) == 5
    assert not list((isolated_home / "mail").glob("admin.*.eml"))

    # the batch summary stays its own mail, without a single password
    [summary] = (isolated_home / "mail").glob("summary.*.eml")
    summary_text = summary.read_text()
    assert not [x.password for x in logins if x.password in summary_text]

    # every listed row sent and its sealed payload erased; the message itself recorded as sent
    rows = _staged(isolated_home, "SELECT kind, status, payload_enc IS NULL FROM outbox WHERE batch_id = ?",
                   [res["batch"]])
    creds = [r for r in rows if r[0] == "admin_credentials"]
    assert len(creds) == 5 and all(r[1:] == ("sent", True) for r in creds)
    [sent] = [r for r in rows if r[0] == outbox.CREDENTIALS_MESSAGE]
    assert sent[1:] == ("sent", True)
    # the ledger says, per customer, which message carried the credentials
    steps = _staged(isolated_home, "SELECT account, status, external_id FROM ledger WHERE batch_id = ? "
                    "AND system = 'mail' AND step = 'admin_credentials'", [res["batch"]])
    [mid] = _staged(isolated_home, "SELECT id FROM outbox WHERE kind = ?", [outbox.CREDENTIALS_MESSAGE])
    assert sorted(steps) == sorted((a, "done", mid[0]) for a in accounts)

    # the same file again: nothing new provisioned, no credentials mailed again
    before = {p.name: p.stat().st_mtime_ns for p in credential_files(isolated_home)}
    run_file(settings_for(isolated_home, sims), book, RunOptions())
    assert {p.name: p.stat().st_mtime_ns for p in credential_files(isolated_home)} == before


def test_a_retry_that_provisions_one_more_customer_mails_only_that_one(
    sims: Sims, isolated_home: Path, tmp_path: Path
) -> None:
    from tests.pipeline.test_identity import _foreign_admin
    from transforms.normalize import _key_of
    from transforms.plan import customer_ids

    book = sample_rows(4, invalid=False)
    victim = str(book.rows["Customers"][0][1])
    settings = settings_for(isolated_home, sims)
    admin = customer_ids("default", victim, _key_of(victim))["admin_user_id"]
    _foreign_admin(sims, admin)  # the victim's admin id is taken: it fails this run
    res = run_file(settings, write_xlsx(book, tmp_path / "o.xlsx"), RunOptions())
    assert res["customers"]["failed"] == 1
    [first] = credential_files(isolated_home)
    first_logins = logins_in(read_message(first))
    assert len(first_logins) == 3 and victim not in {x.account for x in first_logins}

    with sims.bw.store.tx() as db:
        db.execute("DELETE FROM admin WHERE user_id = ?", (admin,))
    retry_batch(settings, res["batch"])
    [second] = [p for p in credential_files(isolated_home) if p != first]
    [only] = logins_in(read_message(second))
    assert only.account == victim and only.admin_user_id == admin
    _assert_logins_work(sims, [*first_logins, only])
    assert logins_in(read_message(first)) == first_logins  # the first message untouched

    retry_batch(settings, res["batch"])  # nothing left: nothing mailed
    assert len(credential_files(isolated_home)) == 2


class _Down:
    def send(self, message: EmailMessage) -> None:
        raise OSError("mail relay unreachable")


def test_a_failed_send_keeps_the_credentials_sealed_for_the_next_run(
    sims: Sims, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_send = mail_flow.send_outbox

    def down(store, vault, mailer, batch_id, mail_from):  # type: ignore[no-untyped-def]
        return real_send(store, vault, _Down(), batch_id, mail_from)

    monkeypatch.setattr("pipeline.batch.send_outbox", down)
    book = write_xlsx(sample_rows(3, invalid=False), tmp_path / "o.xlsx")
    settings = settings_for(isolated_home, sims)
    res = run_file(settings, book, RunOptions())
    assert not credential_files(isolated_home)
    rows = _staged(isolated_home, "SELECT status, payload_enc IS NOT NULL, error FROM outbox "
                   "WHERE kind = 'admin_credentials'", [])
    assert len(rows) == 3 and all(r[0] == "failed" and r[1] and "unreachable" in str(r[2]) for r in rows)
    steps = _staged(isolated_home, "SELECT status FROM ledger WHERE system = 'mail' AND step = 'admin_credentials'", [])
    assert [s[0] for s in steps] == ["failed"] * 3

    monkeypatch.setattr("pipeline.batch.send_outbox", real_send)
    retry_batch(settings, res["batch"])
    [path] = credential_files(isolated_home)
    logins = logins_in(read_message(path))
    assert len(logins) == 3
    _assert_logins_work(sims, logins)
    assert _staged(isolated_home, "SELECT count(*) FROM outbox WHERE payload_enc IS NOT NULL", []) == [(0,)]


def test_a_kill_between_send_and_mark_resends_the_same_message(
    sims: Sims, isolated_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one in-doubt window errs towards a second copy (never a lost password), and that copy is the
    same message: same rows, same Message-ID, so the mail drop replaces its file."""
    def killed(*args: object, **kw: object) -> None:
        raise KeyboardInterrupt  # as a kill lands: the mail left, the transaction never ran

    monkeypatch.setattr(outbox, "record_credentials_sent", killed)
    book = write_xlsx(sample_rows(3, invalid=False), tmp_path / "o.xlsx")
    settings = settings_for(isolated_home, sims)
    with pytest.raises(KeyboardInterrupt):
        run_file(settings, book, RunOptions())
    [path] = credential_files(isolated_home)
    first = read_message(path)
    assert _staged(isolated_home, "SELECT count(*) FROM outbox WHERE kind = 'admin_credentials' "
                   "AND payload_enc IS NOT NULL", []) == [(3,)]

    monkeypatch.undo()
    run_file(settings, book, RunOptions())
    [again] = credential_files(isolated_home)
    assert again == path and read_message(again)["Message-ID"] == first["Message-ID"]
    assert logins_in(read_message(again)) == logins_in(first)
    assert _staged(isolated_home, "SELECT count(*) FROM outbox WHERE payload_enc IS NOT NULL", []) == [(0,)]


def test_the_credentials_message_goes_over_smtp(sims: Sims, isolated_home: Path, tmp_path: Path) -> None:
    handler = Collect()
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    try:
        settings = settings_for(isolated_home, sims, smtp_url=f"smtp://127.0.0.1:{ctl.port}")
        run_file(settings, write_xlsx(sample_rows(3, invalid=False), tmp_path / "o.xlsx"), RunOptions())
    finally:
        ctl.stop()
    msgs = [email.message_from_bytes(e.content, policy=policy.default) for e in handler.envelopes]
    creds = [m for m in msgs if "administrator logins" in str(m["Subject"])]
    assert len(creds) == 1 and len(msgs) == 2  # the logins, and the batch summary on its own
    logins = logins_in(creds[0])  # type: ignore[arg-type]
    assert len(logins) == 3
    _assert_logins_work(sims, logins)
    assert not (isolated_home / "mail").exists() or not list((isolated_home / "mail").glob("*.eml"))
