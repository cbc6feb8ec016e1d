"""Enterprise claims in the ledger: which enterprises this pipeline may have created (DESIGN §4, §5)."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from core.order import CustomerOrder
from staging.store import Store


class Claims:
    """Which enterprises this pipeline may have created, written durably BEFORE the first request.

    BroadWorks holding an enterprise with a customer's id that this same customer (partner + account
    key) never claimed is CUSTOMER_EXISTS (DESIGN §4): someone else's enterprise, never to be modified,
    its admin least of all. Because the claim is committed before anything is sent, a run killed after
    the Add finds its own claim on resume and simply continues; a claim by another customer never
    counts (that is how a newcomer used to be merged into an older customer's enterprise).
    """

    def __init__(self, store: Store, batch_id: str, orders: Sequence[CustomerOrder], keys: Mapping[str, str]) -> None:
        self.store, self.batch_id, self.keys = store, batch_id, keys
        ids = [o.enterprise_id for o in orders]
        self._owners: dict[str, set[tuple[str, str]]] = {}
        for ext, partner, key, batch, account in store.con.execute(
            "SELECT l.external_id, c.partner_id, c.account_key, l.batch_id, l.account FROM ledger l "
            "LEFT JOIN customers c ON c.batch_id = l.batch_id AND c.account = l.account "
            "WHERE l.system = 'broadworks' AND l.step = 'claim' AND list_contains(?, l.external_id)",
            [ids],
        ).fetchall():
            # owner: partner + account key; a claim whose customer row is gone is known by batch + account
            owner = (str(partner), str(key)) if key is not None else (f"batch:{batch}", str(account))
            self._owners.setdefault(ext, set()).add(owner)
        self._local = threading.local()

    def owners(self, order: CustomerOrder) -> set[tuple[str, str]]:
        """The two ways this customer's own claim may be recorded."""
        return {(order.partner_id, self.keys.get(order.account, order.account)), (f"batch:{self.batch_id}", order.account)}

    def claimed(self, order: CustomerOrder) -> bool:
        """Claimed by this very customer."""
        return bool(self.owners(order) & self._owners.get(order.enterprise_id, set()))

    def claimed_by_other(self, order: CustomerOrder) -> bool:
        return bool(self._owners.get(order.enterprise_id, set()) - self.owners(order))

    def claim(self, order: CustomerOrder) -> None:
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._local.cur = self.store.cursor()
        claim_enterprise(cur, self.batch_id, order.account, order.enterprise_id)


def claim_enterprise(con: Any, batch_id: str, account: str, enterprise_id: str) -> None:
    """Record durably that this pipeline is about to create ``enterprise_id`` (see ``Claims``)."""
    con.execute(
        "INSERT OR REPLACE INTO ledger (batch_id, account, system, step, status, attempts, external_id, error, updated_at) "
        "VALUES (?, ?, 'broadworks', 'claim', 'done', 1, ?, NULL, ?)",
        [batch_id, account, enterprise_id, datetime.now(UTC)],
    )
