from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connectors.common.errors import AuthError, TerminalError, TransientError
from connectors.common.retry import RetryPolicy
from connectors.mail import (
    AdminLogin,
    Attachment,
    HeldCustomer,
    MailDrop,
    SmtpMailer,
    admin_logins_message,
    batch_summary_body,
    mailer_from_url,
    normalize_message_id,
    partner_notice_message,
)

PASSWORD = "Xq7!pass-9Lm"
NO_WAIT = RetryPolicy(attempts=2, base_delay=0.0, max_delay=0.0)


def credentials(message_id: str = "batch1:acme:admin") -> EmailMessage:
    return admin_logins_message(
        to="noc@partner.example; ops@partner.example",
        from_addr="onboarding@reseller.example",
        partner_name="Partner 42",
        batch_id="batch1",
        logins=[AdminLogin(account="Acme Dental", enterprise_id="p42-acme", group_id="p42-acme-g1",
                           admin_user_id="acme.admin", password=PASSWORD)],
        message_id=message_id,
        login_url="https://portal.reseller.example",
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Collect:
    def __init__(self, rcpt_reply: str | None = None) -> None:
        self.envelopes: list[Any] = []
        self.rcpt_reply = rcpt_reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"relay", PASSWORD.encode())
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture
def smtp_server() -> Iterator[tuple[Controller, Collect]]:
    handler = Collect()
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator, auth_require_tls=False)
    ctl.start()
    yield ctl, handler
    ctl.stop()


def test_admin_credentials_reach_a_real_smtp_server(smtp_server: tuple[Controller, Collect]) -> None:
    ctl, handler = smtp_server
    mailer = SmtpMailer(f"smtp://relay:{PASSWORD.replace('!', '%21')}@127.0.0.1:{ctl.port}", retry=NO_WAIT)
    assert PASSWORD not in repr(mailer)
    mailer.send(credentials())

    [env] = handler.envelopes
    assert env.mail_from == "onboarding@reseller.example"
    assert sorted(env.rcpt_tos) == ["noc@partner.example", "ops@partner.example"]
    got = email.message_from_bytes(env.original_content, policy=email.policy.default)
    assert got["Message-ID"] == normalize_message_id("batch1:acme:admin")
    assert got["Message-ID"].startswith("<batch1.acme.admin.") and got["Message-ID"].endswith("@hosted-onboard>")
    assert got["Subject"] == "Order batch batch1: administrator logins for 1 customer"
    assert got.get_content_type() == "text/plain"
    text = got.get_content()
    for expected in ("p42-acme", "p42-acme-g1", "acme.admin", PASSWORD, "https://portal.reseller.example"):
        assert expected in text


def test_wrong_smtp_password_is_an_auth_error_without_the_password(smtp_server: tuple[Controller, Collect]) -> None:
    ctl, handler = smtp_server
    with pytest.raises(AuthError) as err:
        SmtpMailer(f"smtp://relay:wrong-secret@127.0.0.1:{ctl.port}", retry=NO_WAIT).send(credentials())
    assert "wrong-secret" not in str(err.value) and err.value.system == "mail"
    assert handler.envelopes == []


@pytest.mark.parametrize(("reply", "error"), [("550 5.1.1 no such user", TerminalError), ("451 4.3.0 later", TransientError)])
def test_refused_recipients_are_typed(reply: str, error: type[Exception]) -> None:
    handler = Collect(rcpt_reply=reply)
    ctl = Controller(handler, hostname="127.0.0.1", port=free_port())
    ctl.start()
    try:
        with pytest.raises(error) as err:
            SmtpMailer(f"smtp://127.0.0.1:{ctl.port}", retry=NO_WAIT).send(credentials())
    finally:
        ctl.stop()
    assert type(err.value) is error  # a 5xx is never reported as merely transient, nor the reverse
    assert handler.envelopes == []


def test_nobody_listening_is_transient() -> None:
    with pytest.raises(TransientError):
        SmtpMailer(f"smtp://127.0.0.1:{free_port()}", retry=NO_WAIT, timeout=2).send(credentials())


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_starttls_then_login(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    handler = Collect()
    # Login is only offered after STARTTLS here (auth_require_tls defaults to True).
    ctl = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=server_ctx,
        require_starttls=True,
        authenticator=authenticator,
    )
    ctl.start()
    try:
        url = f"smtp://relay:{PASSWORD.replace('!', '%21')}@127.0.0.1:{ctl.port}?starttls=true"
        mailer = SmtpMailer(url, retry=NO_WAIT, ssl_context=ssl.create_default_context(cafile=str(cert)))
        assert mailer.starttls
        mailer.send(credentials())
        # A client that does not trust the certificate refuses, terminally (configuration, not weather).
        with pytest.raises(TerminalError):
            SmtpMailer(url, retry=NO_WAIT).send(credentials())
    finally:
        ctl.stop()
    assert len(handler.envelopes) == 1


def test_mail_drop_writes_private_files_and_a_resend_replaces(tmp_path: Path) -> None:
    folder = tmp_path / "home" / "mail"
    drop = mailer_from_url(None, folder)
    assert isinstance(drop, MailDrop)
    drop.send(credentials())
    drop.send(credentials())  # the same message again (a resumed run)
    drop.send(credentials("batch1:beta:admin"))

    files = sorted(folder.iterdir())
    assert len(files) == 2 and all(f.suffix == ".eml" for f in files)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    path = drop.path_for(credentials())
    assert path in files
    got = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert got["To"] == "noc@partner.example, ops@partner.example"
    assert PASSWORD in got.get_content()


def test_mailer_from_url_picks_smtp_when_configured(tmp_path: Path) -> None:
    m = mailer_from_url("smtps://u:p%40ss@mail.example", tmp_path)
    assert isinstance(m, SmtpMailer) and m.implicit_tls and m.port == 465 and m.user == "u"
    assert "p@ss" not in repr(m)
    m2 = mailer_from_url("smtp://mail.example?starttls=1", tmp_path)
    assert isinstance(m2, SmtpMailer) and m2.starttls and m2.port == 587
    with pytest.raises(ValueError):
        mailer_from_url("http://mail.example", tmp_path)


def test_headers_cannot_be_injected_through_partner_text() -> None:
    msg = partner_notice_message(
        to="noc@p.example",
        from_addr="onboarding@reseller.example",
        partner_name="P",
        subject="Batch done\r\nBcc: attacker@evil.example",
        body="x",
        message_id="<notice-1@reseller.example>",
    )
    assert msg["Bcc"] is None and "\n" not in str(msg["Subject"])
    assert msg["Message-ID"] == "<notice-1@reseller.example>"


def test_batch_summary_notice_lists_held_customers_and_carries_the_report() -> None:
    body = batch_summary_body(
        batch_id="abcd1234abcd1234",
        total=5,
        valid=3,
        held=[HeldCustomer("Beta LLC", ("E911_MISSING", "NO_PACKAGES")), HeldCustomer("Gamma", ())],
        skipped=1,
        provisioned=3,
        report_name="orders.errors.xlsx",
    )
    msg = partner_notice_message(
        to="noc@p.example",
        from_addr="onboarding@reseller.example",
        partner_name="Partner 42",
        subject="Batch abcd1234abcd1234: 3 accepted, 2 held back",
        body=body,
        message_id="notice:abcd1234abcd1234",
        attachments=[Attachment("orders.errors.xlsx", b"PK\x03\x04fake", "application/vnd.ms-excel")],
    )
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hello Partner 42" in text
    assert "  - Beta LLC: E911_MISSING, NO_PACKAGES" in text and "  - Gamma: see the error workbook" in text
    assert "Held back:               2" in text and "Already onboarded:       1" in text
    [att] = list(msg.iter_attachments())
    assert att.get_filename() == "orders.errors.xlsx" and att.get_content() == b"PK\x03\x04fake"
