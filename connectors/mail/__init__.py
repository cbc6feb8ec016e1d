"""Mail to partners: admin credentials and notices, over SMTP or into a local mail drop (DESIGN §6)."""

from connectors.mail.mailer import MailDrop, Mailer, SmtpMailer, mailer_from_url
from connectors.mail.messages import (
    AdminLogin,
    Attachment,
    HeldCustomer,
    admin_logins_message,
    batch_summary_body,
    normalize_message_id,
    partner_notice_message,
)

__all__ = [
    "AdminLogin",
    "Attachment",
    "HeldCustomer",
    "MailDrop",
    "Mailer",
    "SmtpMailer",
    "admin_logins_message",
    "batch_summary_body",
    "mailer_from_url",
    "normalize_message_id",
    "partner_notice_message",
]
