"""The batch's credentials message: one table in the plain-text body, every login, no attachment."""

from __future__ import annotations

import email
from email import policy

from connectors.mail import AdminLogin, admin_logins_message
from tests.pipeline.mailbox import Login, logins_in


def test_every_login_is_in_the_body_table_and_none_in_an_attachment() -> None:
    logins = [
        AdminLogin("Zoë's Café & Bar", "p1_Zoes_Cafe", "p1_Zoes_Cafe_G1", "p1_Zoes_Cafe_admin", "aB3!xyz.Q-_=+%*#"),
        AdminLogin("A", "p1_A", "p1_A_G1", "p1_A_admin", "Zz9*" * 4),
        AdminLogin("Very Long Customer Name With Spaces, Inc.\nBcc: x@evil.example", "E", "G", "U", "Pw1!pw1!pw1!pw1!"),
    ]
    msg = admin_logins_message(to="ops@p.example; noc@p.example", from_addr="onboard@example.com",
                               partner_name="Partner", batch_id="abcd", logins=logins, message_id="credentials:abcd:1")
    parsed = email.message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["To"] == "ops@p.example, noc@p.example" and parsed["Bcc"] is None
    assert not list(parsed.iter_attachments()) and not parsed.is_multipart()
    got = logins_in(parsed)  # type: ignore[arg-type]
    assert got[:2] == [Login(*(getattr(x, f) for f in AdminLogin.__dataclass_fields__)) for x in logins[:2]]
    assert got[2].account == "Very Long Customer Name With Spaces, Inc. Bcc: x@evil.example"  # one line
    assert got[2].password == "Pw1!pw1!pw1!pw1!"
    assert "3 customers" in str(parsed["Subject"]) and "abcd" in str(parsed["Subject"])
    assert "delete this" in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
