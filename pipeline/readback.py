"""The one gatherer (issue 15): what BroadWorks and billing hold for many customers, read in bulk.

The batch reconciliation and the nightly both gather through here, then hand the answers to the one
pure comparison (``reports.compare``). Billing is read once per partner (``read_partner``: paged
searches of up to 10,000 items) and every customer is matched in that book by its BroadWorks ids;
BroadWorks is read with list requests batched 15 per document (``connectors.broadworks.readback``).
Neither is read one customer at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connectors.billing.client import BillingClient
from connectors.billing.readback import PartnerBook, customer_view, follow_on_claimed, read_partner, unexplained
from connectors.broadworks.readback import read_back_many
from connectors.common.errors import ConnectorError
from connectors.systems import Systems

Plan = Mapping[str, Any]


class BillingBooks:
    """Each partner's billing book read once (or the error that stopped it). A plain class, not a
    dataclass: Prefect passes it between tasks without walking its 100k accounts."""

    def __init__(self, books: dict[str, PartnerBook | str]) -> None:
        self.books = books

    def view(self, plan: Plan) -> dict[str, Any]:
        """The customer's billing read-back: its two accounts, matched by its BroadWorks ids."""
        book = self.books.get(str(plan["partner_id"]))
        if book is None:
            return {"error": f"billing book of partner {plan['partner_id']} was not read"}
        if isinstance(book, str):
            return {"error": book}
        return customer_view(book, str(plan["account"]), enterprise_id=str(plan["enterprise_id"]),
                             group_id=str(plan["group_id"]), found=follow_on_claimed(book, plan))

    def orphans(self, plans: Iterable[Plan]) -> list[dict[str, Any]]:
        """Accounts under each partner that no plan explains (the nightly's "nobody onboarded" rows)."""
        by_partner: dict[str, list[Plan]] = {}
        for p in plans:
            by_partner.setdefault(str(p["partner_id"]), []).append(p)
        out: list[dict[str, Any]] = []
        for pid in sorted(by_partner):
            book = self.books.get(pid)
            if isinstance(book, PartnerBook):
                out.extend(unexplained(book, by_partner[pid]))
        return out


def read_billing(client: BillingClient, plans: Iterable[Plan]) -> BillingBooks:
    """One bulk read per partner of ``plans``; a partner whose read fails keeps the error (its customers
    are reported as not read back, never as absent)."""
    names: dict[str, str] = {}
    for p in plans:
        names.setdefault(str(p["partner_id"]), str(p.get("partner_name") or ""))
    books: dict[str, PartnerBook | str] = {}
    for pid, name in sorted(names.items()):
        try:
            books[pid] = read_partner(client, pid, name)
        except ConnectorError as exc:
            books[pid] = str(exc)
    return BillingBooks(books)


def read_broadworks(systems: Systems, plans: Sequence[Plan], concurrency: int) -> list[dict[str, Any]]:
    """BroadWorks read-back of each plan, in order."""
    return read_back_many(systems.broadworks, [(str(p["enterprise_id"]), str(p["group_id"])) for p in plans],
                          concurrency=concurrency)


def join(plans: Sequence[Plan], broadworks: Sequence[dict[str, Any]], billing: BillingBooks) -> list[dict[str, Any]]:
    """``{"account", "partner_id", "broadworks", "billing"}`` per plan, in order."""
    return [{"account": p["account"], "partner_id": p["partner_id"], "broadworks": b, "billing": billing.view(p)}
            for p, b in zip(plans, broadworks, strict=True)]


def gather(systems: Systems, plans: Sequence[Plan], concurrency: int, billing: BillingBooks | None = None
           ) -> list[dict[str, Any]]:
    """Both systems' read-back of each plan, in order (``join``); ``billing``: books already read."""
    books = billing if billing is not None else read_billing(systems.billing, plans)
    return join(plans, read_broadworks(systems, plans, concurrency), books)
