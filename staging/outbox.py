"""The ``outbox`` table: messages queued before they are sent, credentials sealed (DESIGN §5).

Admin credentials are queued, encrypted, one row per customer, before the admin exists in BroadWorks,
so a crash between the two never loses the password the partner needs. They are sent together, one
message per batch run (``pipeline.mail``); the rows it listed are marked sent and erased in the
transaction that records that message (a ``credentials_message`` row).
"""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from typing import Any, NamedTuple

from core.order import CustomerOrder
from staging.ledger import LedgerBuffer
from staging.secrets import Vault
from staging.store import Store

ADMIN_CREDENTIALS = "admin_credentials"  # one row per customer, sealed before the admin exists


class Queued(NamedTuple):
    id: str
    account: str
    kind: str
    to_addr: str
    payload_enc: str


def admin_message_id(order: CustomerOrder) -> str:
    """One credentials message per partner and enterprise: a resumed run replaces, never repeats, it."""
    return f"admin:{order.partner_id}:{order.enterprise_id}"


def admin_credentials_row(order: CustomerOrder, user_id: str, password: str, vault: Vault) -> dict[str, Any]:
    """The outbox row (without batch) of an admin's credentials, the payload sealed."""
    payload = {"user_id": user_id, "password": password, "enterprise_id": order.enterprise_id,
               "group_id": order.group_id, "partner_name": order.partner_name}
    return {"id": admin_message_id(order), "account": order.account, "kind": "admin_credentials",
            "to_addr": order.partner_email, "subject": f"BroadWorks administrator for {order.account}",
            "payload_enc": vault.seal(json.dumps(payload)), "status": "queued", "created_at": datetime.now(UTC)}


class Outbox:
    """Admin credentials go to the outbox, encrypted, before the admin exists; safe from worker threads
    (each thread writes through its own cursor)."""

    def __init__(self, store: Store, vault: Vault, batch_id: str) -> None:
        self.store, self.vault, self.batch_id = store, vault, batch_id
        self._local = threading.local()

    def _cursor(self) -> Any:
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._local.cur = self.store.cursor()
        return cur

    def admin_credentials(self, order: CustomerOrder, user_id: str, password: str) -> None:
        row = {"batch_id": self.batch_id, **admin_credentials_row(order, user_id, password, self.vault)}
        cols = ", ".join(row)
        self._cursor().execute(
            f"INSERT OR REPLACE INTO outbox ({cols}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
        )


def to_send(store: Store, batch_id: str) -> list[Queued]:
    """The batch's messages still to send (queued, or failed before), oldest first.

    Credentials are sealed before the admin is created, so a row whose creation then failed (the id
    taken, a terminal fault) holds a password that logs in nowhere: it waits until the ledger says the
    admin exists with it (a retry re-seals the row with the password it sets), and is never mailed before.
    """
    rows = store.con.execute(
        "SELECT id, account, kind, to_addr, payload_enc FROM outbox o WHERE batch_id = ? "
        "AND status IN ('queued', 'failed') AND (kind <> 'admin_credentials' OR EXISTS ("
        "  SELECT 1 FROM ledger l WHERE l.batch_id = o.batch_id AND l.account = o.account"
        "  AND l.system = 'broadworks' AND l.step = 'admin' AND l.status = 'done')) "
        "ORDER BY created_at",
        [batch_id],
    ).fetchall()
    return [Queued(*r) for r in rows]


def mark_failed(store: Store, message_id: str, error: str) -> None:
    store.con.execute("UPDATE outbox SET status = 'failed', error = ? WHERE id = ?", [error, message_id])


def mark_sent(store: Store, message_id: str) -> None:
    """Sent: the sealed payload (it may hold a password) is erased."""
    store.con.execute(
        "UPDATE outbox SET status = 'sent', payload_enc = NULL, sent_at = ?, error = NULL WHERE id = ?",
        [datetime.now(UTC), message_id],
    )


CREDENTIALS_MESSAGE = "credentials_message"  # the outbox row that records one sent message of a batch's logins


def credentials_message_id(batch_id: str, row_ids: list[str]) -> str:
    """The same rows give the same id (and Message-ID): a message re-sent after a kill replaces itself."""
    digest = hashlib.sha256("\0".join(sorted(row_ids)).encode()).hexdigest()[:16]
    return f"credentials:{batch_id}:{digest}"


def record_credentials_sent(
    store: Store, batch_id: str, message_id: str, to_addr: str, subject: str, row_ids: list[str], ledger: LedgerBuffer,
) -> None:
    """One transaction: the message recorded as sent, the rows it listed sent with their sealed payload
    erased, and the ledger's per-customer steps naming the message. Either all of it or none of it."""
    now = datetime.now(UTC)
    with store.transaction() as con:
        con.execute(
            "INSERT OR REPLACE INTO outbox (id, batch_id, account, kind, to_addr, subject, payload_enc, status, "
            "created_at, sent_at, error) VALUES (?, ?, NULL, ?, ?, ?, NULL, 'sent', ?, ?, NULL)",
            [message_id, batch_id, CREDENTIALS_MESSAGE, to_addr, subject, now, now],
        )
        con.execute(
            "UPDATE outbox SET status = 'sent', payload_enc = NULL, sent_at = ?, error = NULL "
            "WHERE list_contains(?::VARCHAR[], id) AND kind = 'admin_credentials'",
            [now, row_ids],
        )
        ledger.flush(store)


def mark_credentials_failed(store: Store, row_ids: list[str], error: str, ledger: LedgerBuffer) -> None:
    """The message did not go: its rows stay sealed, to be listed again by the next run."""
    with store.transaction() as con:
        con.execute("UPDATE outbox SET status = 'failed', error = ? WHERE list_contains(?::VARCHAR[], id)",
                    [error, row_ids])
        ledger.flush(store)


def queue_admin_credentials(store: Store, batch_id: str, messages: list[dict[str, Any]]) -> int:
    """Queue credentials a worker sealed in its file (keys id, account, to, subject, payload_enc, created_at)."""
    for m in messages:
        store.con.execute(
            "INSERT OR REPLACE INTO outbox (id, batch_id, account, kind, to_addr, subject, payload_enc, status, "
            "created_at) VALUES (?, ?, ?, 'admin_credentials', ?, ?, ?, 'queued', ?)",
            [m["id"], batch_id, m["account"], m["to"], m["subject"], m["payload_enc"],
             datetime.fromisoformat(m["created_at"])],
        )
    return len(messages)
