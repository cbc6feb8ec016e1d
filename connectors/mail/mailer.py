"""Where mail goes: SMTP when ``ONBOARD_SMTP_URL`` is set, else a local mail drop of ``.eml`` files.

Both take a fully built ``EmailMessage``; building it (and keeping passwords out of logs) is
``connectors.mail.messages``' job. Errors are typed like every connector's: transient ones (connection
lost, 4xx replies) are retried here with backoff; terminal ones (5xx, refused login) are raised.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from connectors.common.errors import AuthError, ConnectorError, TerminalError, TransientError
from connectors.common.retry import RetryPolicy, call_with_retry

log = logging.getLogger(__name__)
E = TypeVar("E", bound=ConnectorError)
_TRUE = {"1", "true", "yes", "on"}


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def _err(cls: type[E], message: str, **kw: Any) -> E:
    exc = cls(message, **kw)
    exc.system = "mail"
    return exc


class SmtpMailer:
    """``smtp://[user:pass@]host[:port][?starttls=true]`` or ``smtps://...`` (implicit TLS, port 465).

    The URL's password is kept for login only: it is in no repr, log line or error message.
    """

    def __init__(
        self,
        url: str,
        *,
        starttls: bool | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"mail URL must be smtp:// or smtps://, not {parts.scheme or 'no scheme'}://")
        if not parts.hostname:
            raise ValueError("mail URL has no host")
        query = parse_qs(parts.query)
        self.implicit_tls = parts.scheme == "smtps"
        if starttls is None:
            starttls = query.get("starttls", ["false"])[0].lower() in _TRUE
        self.starttls = starttls and not self.implicit_tls
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587 if self.starttls else 25)
        self.user = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else ""
        self.timeout = timeout
        self.retry = retry or RetryPolicy(attempts=4, base_delay=0.5, max_delay=10.0)
        self._ssl = ssl_context

    def __repr__(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        who = f"{self.user}:***@" if self.user else ""
        return f"SmtpMailer({scheme}://{who}{self.host}:{self.port}, starttls={self.starttls})"

    def send(self, message: EmailMessage) -> None:
        call_with_retry(lambda: self._send_once(message), self.retry)
        log.info("mail %s sent over SMTP to %s", message.get("Message-ID", "?"), self.host)

    def _context(self) -> ssl.SSLContext:
        return self._ssl or ssl.create_default_context()

    def _send_once(self, message: EmailMessage) -> None:
        try:
            smtp: smtplib.SMTP
            if self.implicit_tls:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=self._context())
                if self.user:
                    smtp.login(self.user, self._password)
                refused = smtp.send_message(message)
        except smtplib.SMTPAuthenticationError as exc:
            raise _err(AuthError, "SMTP login refused", code=str(exc.smtp_code)) from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            cls = TransientError if all(400 <= c < 500 for c in codes) else TerminalError
            raise _err(cls, f"SMTP refused every recipient: {', '.join(sorted(exc.recipients))}") from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, connect refused ...
            cls = TransientError if 400 <= exc.smtp_code < 500 else TerminalError
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
            raise _err(cls, f"SMTP server said {exc.smtp_code} {text}", code=str(exc.smtp_code)) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise _err(TransientError, f"SMTP connection lost: {exc}") from None
        except ssl.SSLCertVerificationError as exc:
            raise _err(TerminalError, f"SMTP server certificate not trusted: {exc.verify_message}") from None
        except smtplib.SMTPException as exc:  # e.g. STARTTLS or AUTH not offered: configuration
            raise _err(TerminalError, f"SMTP: {exc}") from None
        except OSError as exc:  # refused, unreachable, timed out, TLS broken mid-way
            raise _err(TransientError, f"SMTP connection to {self.host}:{self.port} failed: {exc}") from None
        if refused:
            # Some recipients took it: sending again would duplicate it for them, so report, not retry.
            raise _err(TerminalError, f"SMTP refused some recipients: {', '.join(sorted(refused))}")


def _drop_name(message: EmailMessage) -> str:
    """A file name fixed by the Message-ID, so sending the same message again replaces its file."""
    msgid = str(message.get("Message-ID", "")).strip()
    if not msgid:
        return hashlib.sha256(message.as_bytes()).hexdigest()[:32] + ".eml"
    safe = re.sub(r"[^A-Za-z0-9._@-]+", "_", msgid.strip("<>"))[:80].strip("._") or "message"
    return f"{safe}-{hashlib.sha256(msgid.encode('utf-8')).hexdigest()[:10]}.eml"


class MailDrop:
    """A local mail drop: one ``.eml`` file per message, mode 0600, in a folder of mode 0700."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __repr__(self) -> str:
        return f"MailDrop({str(self.folder)!r})"

    def path_for(self, message: EmailMessage) -> Path:
        return self.folder / _drop_name(message)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # mkdir's mode is filtered by the umask and skipped if it existed
        target = self.path_for(message)
        tmp = self.folder / f".{target.name}.{uuid.uuid4().hex}.tmp"
        data = message.as_bytes()
        # Created 0600 from the first byte (never world-readable, even briefly), then renamed over
        # any earlier copy: a reader sees the old file or the new one, never half of one.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        log.info("mail %s dropped into %s", message.get("Message-ID", "?"), self.folder)


def mailer_from_url(url: str | None, drop_folder: Path) -> Mailer:
    """SMTP when a URL is given (``ONBOARD_SMTP_URL``), else the mail drop (``mail/`` under the data home)."""
    if url and url.strip():
        return SmtpMailer(url.strip())
    return MailDrop(drop_folder)
