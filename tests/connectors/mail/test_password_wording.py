"""The admin mail says which password is which (issue 16): the BroadWorks one it carries, the billing portal
one the workbook's Password column set (never repeated in the mail)."""

from __future__ import annotations

from connectors.mail import AdminLogin, admin_logins_message


def test_admin_mail_tells_the_two_passwords_apart() -> None:
    msg = admin_logins_message(
        to="noc@partner.example", from_addr="onboarding@reseller.example", partner_name="Partner 42",
        batch_id="b1", logins=[AdminLogin(account="Acme Dental", enterprise_id="p42-acme", group_id="p42-acme-g1",
                                          admin_user_id="acme.admin", password="Gen-Admin-Pass-1")],
        message_id="b1:acme:admin",
    )
    body = msg.get_content()
    assert "Gen-Admin-Pass-1" in body
    which = " ".join(body.split("Which password is which:")[1].split())
    assert "generated for that BroadWorks administrator" in which
    assert "Password column of your order workbook set the customer's billing portal password" in which
    assert "not repeated here" in which
