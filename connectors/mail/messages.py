"""The mails we send partners: admin credentials (one message per batch run), and notices (batch summaries).

Plain text on purpose: it reads the same in every client and nothing in it is hidden. Header values
come partly from partner input, so line breaks are flattened (a newline in a header would let a
value add headers of its own).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

_LINEBREAKS = re.compile(r"[\r\n]+")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_SIGNATURE = "-- \nHosted voice onboarding (automated message)\n"  # "-- " is the usual signature line


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    mime_type: str = "application/octet-stream"  # an .xlsx: application/vnd.openxmlformats-officedocument...


@dataclass(frozen=True)
class HeldCustomer:
    account: str
    reasons: tuple[str, ...]  # finding codes or short messages


def _header(value: str) -> str:
    return _LINEBREAKS.sub(" ", value).strip()


def _recipients(to: str) -> str:
    # Partners write address lists with ";" (as in the workbook's Email column); mail wants ",".
    return ", ".join(a.strip() for a in re.split(r"[;,]", to) if a.strip())


def normalize_message_id(message_id: str) -> str:
    """A valid ``<local@domain>`` for any id, the same every time for the same id.

    Ids we derive (``batch:account:admin``) hold characters RFC 5322 does not allow in a Message-ID
    (``:``, spaces), which mail parsers silently cut off; those become a readable prefix plus a hash.
    """
    raw = _header(message_id).strip().strip("<>")
    local, at, domain = raw.rpartition("@")
    if not at:
        local, domain = raw, ""
    if _DOT_ATOM.fullmatch(local) and _DOT_ATOM.fullmatch(domain):
        return f"<{local}@{domain}>"
    digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]
    prefix = re.sub(r"[^A-Za-z0-9]+", ".", local).strip(".")[:48].strip(".")
    domain = domain if _DOT_ATOM.fullmatch(domain) else "hosted-onboard"
    return f"<{prefix + '.' if prefix else ''}{digest}@{domain}>"


def _base(*, to: str, from_addr: str, subject: str, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = _header(from_addr)
    msg["To"] = _recipients(to)
    msg["Subject"] = _header(subject)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = normalize_message_id(message_id)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: autoresponders must not answer it
    return msg


@dataclass(frozen=True)
class AdminLogin:
    """One customer's BroadWorks administrator, as listed in a batch's credentials message."""

    account: str
    enterprise_id: str
    group_id: str
    admin_user_id: str
    password: str


_LOGIN_COLUMNS = ("Customer", "Enterprise ID", "Group ID", "Administrator user", "Password")


def login_table(logins: Sequence[AdminLogin]) -> str:
    """Fixed-width columns under a header and a dash rule (the rule marks where each column starts).

    Generated passwords and BroadWorks ids hold no spaces; an account name may, which is why the
    columns are padded to the widest value rather than split on blanks.
    """
    rows = [(_header(x.account), x.enterprise_id, x.group_id, x.admin_user_id, x.password) for x in logins]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(_LOGIN_COLUMNS)]

    def line(cells: Sequence[str]) -> str:
        return "  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(_LOGIN_COLUMNS), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def admin_logins_message(
    *,
    to: str,
    from_addr: str,
    partner_name: str,
    batch_id: str,
    logins: Sequence[AdminLogin],
    message_id: str,
    login_url: str = "",
) -> EmailMessage:
    """Every administrator login created for a batch run, in ONE message to the partner.

    A table in the plain-text body, never an attachment: a file is easily forwarded or saved on its own,
    wider than the message it came in, whereas the body goes wherever the partner's own mail policy sends
    this message and nowhere else. Plain text also reads the same in every client and hides nothing.
    """
    where = f" at {login_url}" if login_url else ""
    n = len(logins)
    body = f"""Hello {partner_name},

{n} new hosted voice customer{"s are" if n != 1 else " is"} set up in BroadWorks (order batch {batch_id}).
Each has its own enterprise, group (group 1) and administrator; the logins are:

{login_table(logins)}

To log in, open the BroadWorks web portal{where} and sign in with a customer's administrator user
and its password above. From there you can manage the enterprise, its group, users and numbers.

Which password is which: each password above was generated for that BroadWorks administrator and
is used nowhere else. The Password column of your order workbook set the customer's billing
portal password (invoices and payments), which is unchanged and not repeated here.

Please change these passwords after the first login, keep them somewhere safe, and delete this
message once you have done so. We do not keep a readable copy of them.

Billing accounts for the customers are created separately; any open follow-ups (number backorders,
porting, toll free, E911) are tracked as tickets and you will hear from us about them.

"""
    msg = _base(
        to=to,
        from_addr=from_addr,
        subject=f"Order batch {batch_id}: administrator logins for {n} customer{'s' if n != 1 else ''}",
        message_id=message_id,
    )
    msg.set_content(body + _SIGNATURE)
    return msg


def partner_notice_message(
    *,
    to: str,
    from_addr: str,
    partner_name: str,
    subject: str,
    body: str,
    message_id: str,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    """A notice to a partner (e.g. ``batch_summary_body``), optionally with files (the error workbook)."""
    msg = _base(to=to, from_addr=from_addr, subject=subject, message_id=message_id)
    text = f"Hello {partner_name},\n\n{body.rstrip()}\n\n{_SIGNATURE}"
    msg.set_content(text)
    for att in attachments:
        maintype, _, subtype = att.mime_type.partition("/")
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype or "octet-stream", filename=att.filename)
    return msg


def batch_summary_body(
    *,
    batch_id: str,
    total: int,
    valid: int,
    held: Sequence[HeldCustomer],
    skipped: int = 0,
    provisioned: int | None = None,
    failed: int | None = None,
    report_name: str = "",
    billed: int | None = None,
    failures: Sequence[tuple[str, str]] = (),
) -> str:
    """The text of a batch summary notice: counts, each held customer with its reasons, then failures."""
    lines = [
        f"We processed your order workbook (batch {batch_id}).",
        "",
        f"  Customers in the file:   {total}",
        f"  Accepted:                {valid}",
        f"  Held back:               {len(held)}",
    ]
    if skipped:
        lines.append(f"  Already onboarded:       {skipped} (skipped, nothing sent again)")
    if provisioned is not None:
        lines.append(f"  Provisioned:             {provisioned}")
    if billed is not None:
        lines.append(f"  Billed:                  {billed}")
    if failed:
        lines.append(f"  Failed (we are on it):   {failed}")
    if held:
        lines += ["", "These customers were held back and nothing was created for them:", ""]
        lines += [f"  - {h.account}: {', '.join(h.reasons) or 'see the error workbook'}" for h in held]
        fix = f" ({report_name})" if report_name else ""
        lines += [
            "",
            f"The error workbook{fix} marks every cell to fix:",
            "correct those rows and upload them again. Customers already accepted are not sent twice.",
        ]
    if failures:
        lines += ["", "These customers could not be completed yet (nothing was billed for them); our operators follow up:", ""]
        lines += [f"  - {account}: {error}" for account, error in failures]
    return "\n".join(lines)
