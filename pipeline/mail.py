"""Send what the outbox holds (admin credentials, partner batch summaries), then erase the payload.

Admin credentials go as one message per batch run, listing every customer's login (sent once the
run's provisioning is over, see ``send_outbox``), not one mail per customer: a migration of
thousands of customers would otherwise drop thousands of mails on one partner.

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
    AdminLogin,
    Attachment,
    HeldCustomer,
    Mailer,
    admin_logins_message,
    batch_summary_body,
    partner_notice_message,
)
from core.order import StepEvent
from data.partners import Partner
from staging import outbox
from staging.ledger import LedgerBuffer
from staging.notices import failed_customers, held_customers, queue_notice
from staging.secrets import Vault
from staging.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def send_outbox(store: Store, vault: Vault, mailer: Mailer, batch_id: str, mail_from: str) -> tuple[int, int]:
    """(sent, failed) messages for what the batch has queued: its admin credentials as ONE message per
    address (a batch is one partner's), then its notices. Call it once provisioning of the run is over."""
    rows = outbox.to_send(store, batch_id)
    creds = [r for r in rows if r.kind == outbox.ADMIN_CREDENTIALS]
    sent = failed = 0
    for to_addr in sorted({r.to_addr for r in creds}):
        ok = _send_credentials(store, vault, mailer, batch_id, mail_from, [r for r in creds if r.to_addr == to_addr])
        sent, failed = sent + ok, failed + (not ok)
    for msg_id, _account, _kind, to_addr, payload_enc in (r for r in rows if r.kind != outbox.ADMIN_CREDENTIALS):
        payload = json.loads(vault.open(payload_enc))
        message = partner_notice_message(
            to=to_addr, from_addr=mail_from, partner_name=payload["partner_name"], subject=payload["subject"],
            body=payload["body"], message_id=msg_id, attachments=_attachments(payload["attachments"]),
        )
        try:
            mailer.send(message)
        except (ConnectorError, OSError) as exc:
            failed += 1
            outbox.mark_failed(store, msg_id, str(exc))
            continue
        sent += 1
        outbox.mark_sent(store, msg_id)
    return sent, failed


def _send_credentials(
    store: Store, vault: Vault, mailer: Mailer, batch_id: str, mail_from: str, rows: list[outbox.Queued],
) -> bool:
    """One message listing every login still unsent; True when it went.

    Only rows not yet sent are listed, so a re-run never mails a password twice, and a retry that
    provisions one more customer mails one more message with that customer alone. The one in-doubt
    window is a kill after the mail left and before the transaction that marks it: the rows are still
    queued, so the next run lists them again. It errs towards sending twice rather than never (the
    partner cannot log in without it, and we keep no other copy); the repeat carries the same rows, so
    the same Message-ID (the mail drop replaces its file; mail clients may fold the two).
    """
    payloads = {r.id: json.loads(vault.open(r.payload_enc)) for r in rows}
    ids = [r.id for r in rows]
    message_id = outbox.credentials_message_id(batch_id, ids)
    logins = [AdminLogin(r.account, payloads[r.id]["enterprise_id"], payloads[r.id]["group_id"],
                         payloads[r.id]["user_id"], payloads[r.id]["password"])
              for r in sorted(rows, key=lambda r: r.account)]
    message = admin_logins_message(
        to=rows[0].to_addr, from_addr=mail_from, partner_name=payloads[ids[0]]["partner_name"], batch_id=batch_id,
        logins=logins, message_id=message_id,
    )
    ledger = LedgerBuffer(batch_id)
    for r in rows:
        ledger(StepEvent(r.account, "mail", "admin_credentials", "pending"))
    ledger.flush(store)
    try:
        mailer.send(message)
    except (ConnectorError, OSError) as exc:
        for r in rows:
            ledger(StepEvent(r.account, "mail", "admin_credentials", "failed", error=str(exc)))
        outbox.mark_credentials_failed(store, ids, str(exc), ledger)
        return False
    for r in rows:  # "credentials sent in message X", per customer
        ledger(StepEvent(r.account, "mail", "admin_credentials", "done", external_id=message_id))
        ledger(StepEvent(r.account, "mail", "complete", "done"))
    outbox.record_credentials_sent(store, batch_id, message_id, rows[0].to_addr, str(message["Subject"]), ids, ledger)
    return True


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
