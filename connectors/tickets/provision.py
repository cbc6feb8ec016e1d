"""Follow-up tickets for one customer: the tickets ``Provisioner`` (DESIGN §6).

One ticket per ``FollowUp``; its external_id (partner:account:kind[:detail]) makes it findable, so a
resumed run, a retry or a re-upload of the same order never opens a second one.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.common.errors import AuthError, ConnectorError, InDoubtError
from connectors.common.retry import RetryStats
from connectors.tickets.client import TicketsClient
from core.keys import ticket_external_id, ticket_step
from core.order import CustomerOrder, FollowUp, StepEvent, StepRecorder, StepStatus, SystemResult

SYSTEM = "tickets"

# Emergency-services address still missing, or a site whose calls would reach 911 with the primary
# location's address until its own is set up: a person should act on these first.
_PRIORITY = {"pending_e911": "high", "e911_locations": "high"}


def follow_up_step(follow_up: FollowUp) -> str:
    """Ledger step name: ``ticket:<kind>[:<detail>]``."""
    return ticket_step(follow_up.kind, follow_up.detail)


def follow_up_external_id(order: CustomerOrder, follow_up: FollowUp) -> str:
    """``<partner>:<account>:<kind>[:<detail>]``: stable across runs and re-uploads."""
    return ticket_external_id(order.partner_id, order.account, follow_up.kind, follow_up.detail)


def follow_up_tags(order: CustomerOrder, follow_up: FollowUp) -> list[str]:
    # Zendesk tags are single lower-case words: spaces would split them.
    partner = "".join(ch if ch.isalnum() else "_" for ch in order.partner_id.lower())
    return ["onboarding", follow_up.kind, f"partner_{partner}"]


class TicketsProvisioner:
    system = SYSTEM

    def __init__(self, client: TicketsClient) -> None:
        self.client = client

    def provision(self, order: CustomerOrder, done: Mapping[str, str | None], record: StepRecorder) -> SystemResult:
        result = SystemResult(account=order.account, system=SYSTEM, status="done")
        errors: list[str] = []
        for fu in order.follow_ups:
            step = follow_up_step(fu)
            if step in done:
                if done[step] is not None:
                    result.external_ids[step] = str(done[step])
                continue
            stats = RetryStats()
            try:
                ticket_id, _created = self.client.ensure_ticket(
                    follow_up_external_id(order, fu),
                    fu.subject,
                    fu.body,
                    follow_up_tags(order, fu),
                    priority=_PRIORITY.get(fu.kind, "normal"),
                    stats=stats,
                )
            except ConnectorError as exc:
                status: StepStatus = "in_doubt" if isinstance(exc, InDoubtError) else "failed"
                record(StepEvent(order.account, SYSTEM, step, status, error=str(exc), attempts=1 + stats.retries))
                errors.append(f"{step}: {exc}")
                if isinstance(exc, AuthError):
                    break  # every other step would be refused the same way
                continue
            result.external_ids[step] = str(ticket_id)
            attempts = 1 + stats.retries
            record(StepEvent(order.account, SYSTEM, step, "done", external_id=str(ticket_id), attempts=attempts))
        if errors:
            result.status = "failed"
            result.error = "; ".join(errors)
        return result
