"""Send what the outbox holds (admin credentials, partner batch summaries), then erase the payload.

The partner's batch summary is queued once per run with something new to say: its outbox id carries a
digest of what it says (counts, held and failed customers, the files attached), so a re-run that
changes nothing finds the same id already sent and mails nothing; a run that provisions or fails more
says so in a new mail. It never holds a password: the held-back file (the partner's rows as typed,
passwords included) stays in the data home, only the error workbook (masked) and the reconciliation
are attached.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from connectors.common.errors import ConnectorError
from connectors.mail import (
    Attachment,
    HeldCustomer,
    Mailer,
    admin_credentials_message,
    batch_summary_body,
    partner_notice_message,
)
from core.order import StepEvent
from data.partners import Partner
from staging import outbox
from staging.ledger import LedgerBuffer
from staging.notices import SUMMARY_KIND, failed_customers, held_customers, queue_notice
from staging.secrets import Vault
from staging.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_outbox(store: Store, vault: Vault, mailer: Mailer, batch_id: str, mail_from: str) -> tuple[int, int]:
    """(sent, failed) for the batch's queued messages."""
    rows = outbox.to_send(store, batch_id)
    ledger = LedgerBuffer(batch_id)
    sent = failed = 0
    for msg_id, account, kind, to_addr, payload_enc in rows:
        payload = json.loads(vault.open(payload_enc))
        per_customer = kind != SUMMARY_KIND  # a summary is the batch's, not one customer's: no ledger row
        if per_customer:
            ledger(StepEvent(account, "mail", "admin_credentials", "pending"))
            message = admin_credentials_message(
                to=to_addr, from_addr=mail_from, partner_name=payload["partner_name"], account=account,
                enterprise_id=payload["enterprise_id"], group_id=payload["group_id"], admin_user_id=payload["user_id"],
                password=payload["password"], message_id=f"<{msg_id.replace(':', '.')}@onboard>",
            )
        else:
            message = partner_notice_message(
                to=to_addr, from_addr=mail_from, partner_name=payload["partner_name"], subject=payload["subject"],
                body=payload["body"], message_id=msg_id, attachments=_attachments(payload["attachments"]),
            )
        try:
            mailer.send(message)
        except (ConnectorError, OSError) as exc:
            failed += 1
            outbox.mark_failed(store, msg_id, str(exc))
            if per_customer:
                ledger(StepEvent(account, "mail", "admin_credentials", "failed", error=str(exc)))
            continue
        sent += 1
        outbox.mark_sent(store, msg_id)
        if per_customer:
            ledger(StepEvent(account, "mail", "admin_credentials", "done", external_id=msg_id))
            ledger(StepEvent(account, "mail", "complete", "done"))
    ledger.flush(store)
    return sent, failed


def _attachments(paths: Sequence[str]) -> list[Attachment]:
    # a file removed since it was queued is left out rather than failing the notice
    return [Attachment(Path(p).name, Path(p).read_bytes(), XLSX) for p in paths if Path(p).is_file()]


def queue_batch_summary(
    store: Store, vault: Vault, batch_id: str, partner: Partner, counts: Mapping[str, int],
    attachments: Sequence[Path],
) -> str | None:
    """Queue the partner's summary of this batch unless the same summary was queued before; its id or None."""
    if not partner.email:
        return None
    held = held_customers(store, batch_id)
    failed = failed_customers(store, batch_id)
    files = [str(p) for p in attachments if p.is_file()]
    said: dict[str, Any] = {"counts": dict(counts), "held": [(h.account, h.first_finding) for h in held],
                            "failed": failed, "files": [Path(f).name for f in files]}
    digest = hashlib.sha256(json.dumps(said, sort_keys=True, default=str).encode()).hexdigest()[:16]
    notice_id = f"summary:{batch_id}:{digest}"
    body = batch_summary_body(
        batch_id=batch_id, total=counts.get("total", 0), valid=counts.get("valid", 0),
        held=[HeldCustomer(h.account, (h.first_finding,)) for h in held], skipped=counts.get("skipped", 0),
        provisioned=counts.get("provisioned"), billed=counts.get("billed"), failed=counts.get("failed"),
        failures=failed, report_name=next((Path(f).name for f in files if "-errors" in Path(f).name), ""),
    )
    subject = (f"Order batch {batch_id}: {counts.get('provisioned', 0)} provisioned, {len(held)} held, "
               f"{counts.get('failed', 0)} failed")
    payload = {"partner_name": partner.name, "subject": subject, "body": body, "attachments": files}
    queue_notice(store, notice_id, batch_id, partner.email, subject, vault.seal(json.dumps(payload)))
    return notice_id
