"""Read the admin-credentials messages in a mail drop: one message per batch run, a table of logins."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import NamedTuple


class Login(NamedTuple):
    account: str
    enterprise_id: str
    group_id: str
    admin_user_id: str
    password: str


def credential_files(home: Path) -> list[Path]:
    return sorted((home / "mail").glob("credentials.*.eml"))


def read_message(path: Path) -> EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def logins_in(msg: EmailMessage) -> list[Login]:
    """The table's rows, cut at the columns the dash rule under the header marks."""
    assert not list(msg.iter_attachments()), "credentials belong in the body, never in an attachment"
    lines = msg.get_body(("plain",)).get_content().splitlines()  # type: ignore[union-attr]
    [at] = [i for i, ln in enumerate(lines) if ln.strip().startswith("Customer ") and "Password" in ln]
    rule = lines[at + 1]
    starts = [i for i, c in enumerate(rule) if c == "-" and rule[i - 1] == " "]
    assert len(starts) == 5, rule
    out = []
    for ln in lines[at + 2:]:
        if not ln.strip():
            break
        cells = [ln[a:b].strip() for a, b in zip(starts, [*starts[1:], None], strict=True)]
        out.append(Login(*cells))
    return out


def all_logins(home: Path) -> list[Login]:
    """Every login of every credentials message in the drop (a password listed twice is listed twice here)."""
    return [x for p in credential_files(home) for x in logins_in(read_message(p))]
