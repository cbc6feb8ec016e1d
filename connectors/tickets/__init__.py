"""Tickets (Zendesk-style REST): follow-up work for people, one ticket per follow-up (DESIGN §6)."""

from connectors.tickets.client import Ticket, TicketsClient
from connectors.tickets.provision import TicketsProvisioner, follow_up_external_id, follow_up_step

__all__ = ["Ticket", "TicketsClient", "TicketsProvisioner", "follow_up_external_id", "follow_up_step"]
