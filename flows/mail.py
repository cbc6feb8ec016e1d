"""Send what the outbox holds (admin credentials), then erase the secret from staging."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from connectors.common.errors import ConnectorError
from connectors.common.order import StepEvent
from connectors.mail import Mailer, admin_credentials_message
from staging.ledger import LedgerBuffer
from staging.secrets import Vault
from staging.store import Store


def send_outbox(store: Store, vault: Vault, mailer: Mailer, batch_id: str, mail_from: str) -> tuple[int, int]:
    """(sent, failed) for the batch's queued messages."""
    rows = store.con.execute(
        "SELECT id, account, to_addr, payload_enc FROM outbox WHERE batch_id = ? AND status IN ('queued', 'failed') "
        "ORDER BY created_at",
        [batch_id],
    ).fetchall()
    ledger = LedgerBuffer(batch_id)
    sent = failed = 0
    for msg_id, account, to_addr, payload_enc in rows:
        payload = json.loads(vault.open(payload_enc))
        ledger(StepEvent(account, "mail", "admin_credentials", "pending"))
        message = admin_credentials_message(
            to=to_addr, from_addr=mail_from, partner_name=payload["partner_name"], account=account,
            enterprise_id=payload["enterprise_id"], group_id=payload["group_id"], admin_user_id=payload["user_id"],
            password=payload["password"], message_id=f"<{msg_id.replace(':', '.')}@onboard>",
        )
        try:
            mailer.send(message)
        except (ConnectorError, OSError) as exc:
            failed += 1
            store.con.execute("UPDATE outbox SET status = 'failed', error = ? WHERE id = ?", [str(exc), msg_id])
            ledger(StepEvent(account, "mail", "admin_credentials", "failed", error=str(exc)))
            continue
        sent += 1
        store.con.execute(
            "UPDATE outbox SET status = 'sent', payload_enc = NULL, sent_at = ?, error = NULL WHERE id = ?",
            [datetime.now(UTC), msg_id],
        )
        ledger(StepEvent(account, "mail", "admin_credentials", "done", external_id=msg_id))
        ledger(StepEvent(account, "mail", "complete", "done"))
    ledger.flush(store)
    return sent, failed
