"""What a run learnt from the systems, kept in staging: billing account ids, tickets, run-time refusals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from core.keys import ticket_external_id, ticket_step
from core.order import CustomerOrder
from staging.store import Store


def reject_customer(store: Store, batch_id: str, account: str, enterprise_id: str) -> None:
    """CUSTOMER_EXISTS at run time: one finding on the customer's row, and the code on the customer."""
    row = store.scalar("SELECT row FROM customers WHERE batch_id = ? AND account = ?", [batch_id, account])
    store.con.execute("DELETE FROM findings WHERE batch_id = ? AND account = ? AND code = 'CUSTOMER_EXISTS'",
                      [batch_id, account])
    store.con.execute(
        "INSERT INTO findings (batch_id, sheet, row, \"column\", code, severity, message, account, value) "
        "VALUES (?, 'Customers', ?, 'Account Name', 'CUSTOMER_EXISTS', 'error', ?, ?, ?)",
        [batch_id, row, f"BroadWorks already holds enterprise {enterprise_id}, which this pipeline did not "
         "create: nothing was sent for this customer. Check the account name, or onboard it by hand.",
         account, account],
    )
    store.con.execute("UPDATE customers SET codes = 'CUSTOMER_EXISTS' WHERE batch_id = ? AND account = ?",
                      [batch_id, account])


def record_billing_accounts(store: Store, batch_id: str, partner_id: str, account: str,
                            external_ids: Mapping[str, str]) -> None:
    now = datetime.now(UTC)
    for role, key in (("enterprise", "enterprise_account_id"), ("customer", "customer_account_id")):
        if external_ids.get(key):
            store.con.execute(
                "INSERT OR REPLACE INTO billing_accounts (batch_id, partner_id, account, role, account_id, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [batch_id, partner_id, account, role, external_ids[key], now],
            )


def record_ticket(store: Store, batch_id: str, partner_id: str, account: str, kind: str, detail: str,
                  external_id: str, ticket_id: str | None, subject: str) -> None:
    store.con.execute(
        "INSERT OR REPLACE INTO tickets (batch_id, partner_id, account, kind, detail, external_id, ticket_id, "
        "subject, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [batch_id, partner_id, account, kind, detail, external_id, ticket_id, subject, datetime.now(UTC)],
    )


def record_tickets(store: Store, batch_id: str, order: CustomerOrder, external_ids: Mapping[str, str]) -> None:
    """One row per follow-up of the customer, with the ticket id the system gave (if any yet)."""
    for f in order.follow_ups:
        step = ticket_step(f.kind, f.detail)
        ext = ticket_external_id(order.partner_id, order.account, f.kind, f.detail)
        record_ticket(store, batch_id, order.partner_id, order.account, f.kind, f.detail, ext, external_ids.get(step),
                      f.subject)
