"""Billing for one customer: the steps of DESIGN §6, each looked up before it is created.

Hierarchy in billing::

    "<partner name> (<partner id>)"      Partner    externalReference "partner:<id>"
      └─ "<Account Name> Enterprise"     Enterprise  package BroadWorks Enterprise
           └─ "<Account Name>"            Customer    BroadWorks Group, RetailRates, every ordered line

Every search runs within the partner's account (``topAccountId``), so two partners' "Acme" never
meet. The system has no idempotency key: a create whose answer was lost is looked up before it is
sent again (``BillingClient.create``), and every step searches before it creates, so a re-run or a
resumed run adds nothing. Bill Enterprise: the enterprise account is the customer's invoicer and
holds the billing contact; Bill Group: the customer account invoices itself and holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from connectors.billing.client import BillingClient, Item
from connectors.common.errors import ConnectorError, InDoubtError, TerminalError
from connectors.common.order import (
    BILL_ENTERPRISE,
    CustomerOrder,
    StepEvent,
    StepRecorder,
    StepStatus,
    SystemResult,
)

SYSTEM = "billing"
ENTERPRISE_PACKAGE = "BroadWorks Enterprise"
CUSTOMER_PACKAGES = ("BroadWorks Group", "RetailRates")
AUTO_PACKAGES = (ENTERPRISE_PACKAGE, *CUSTOMER_PACKAGES)

STEP_PARTNER = "partner_account"
STEP_ENTERPRISE = "enterprise_account"
STEP_ENTERPRISE_PACKAGE = "enterprise_package"
STEP_CUSTOMER = "customer_account"
STEP_CONTACT = "billing_contact"
STEP_PACKAGES = "customer_packages"
STEPS = (STEP_PARTNER, STEP_ENTERPRISE, STEP_ENTERPRISE_PACKAGE, STEP_CUSTOMER, STEP_CONTACT, STEP_PACKAGES)

PackageKey = tuple[str, int, str]  # (package name, quantity, effective YYYY-MM-DD)


def partner_account_name(partner_id: str, partner_name: str) -> str:
    return f"{partner_name or partner_id} ({partner_id})"


def partner_reference(partner_id: str) -> str:
    return f"partner:{partner_id}"


def enterprise_account_name(account: str) -> str:
    return f"{account} Enterprise"


def package_key(item: Mapping[str, Any]) -> PackageKey:
    return (str(item.get("packageName") or item.get("name")), int(item["quantity"]), str(item["effective"])[:10])


def wanted_customer_packages(order: CustomerOrder) -> list[PackageKey]:
    start = order.billing_start
    return [(p, 1, start) for p in CUSTOMER_PACKAGES] + [(line.billing_package, line.quantity, start) for line in order.packages]


def find_partner(client: BillingClient, partner_id: str) -> Item | None:
    found = client.search("Account", {"externalReference": partner_reference(partner_id), "accountTypeName": "Partner"}, top=10)
    return found[0] if found else None  # ordered by identity: the first one made wins


def find_account(client: BillingClient, partner: int, name: str, role: str, parent: int | None = None) -> Item | None:
    filters: dict[str, Any] = {"topAccountId": partner, "name": name, "accountTypeName": role}
    if parent is not None:
        filters["parentAccountId"] = parent
    found = client.search("Account", filters, top=10)
    return found[0] if found else None


class BillingProvisioner:
    """Implements ``connectors.common.order.Provisioner`` for billing; safe to share between threads."""

    system = SYSTEM

    def __init__(self, client: BillingClient) -> None:
        self.client = client
        self._partners: dict[str, int] = {}
        self._partner_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    # -- partner owner account (one per partner, shared by its customers) -----------------
    def ensure_partner(self, partner_id: str, partner_name: str) -> int:
        with self._lock:
            if partner_id in self._partners:
                return self._partners[partner_id]
            lock = self._partner_locks.setdefault(partner_id, threading.Lock())
        with lock:  # two workers of one partner must not both create its account
            if partner_id in self._partners:
                return self._partners[partner_id]
            acc = find_partner(self.client, partner_id)
            if acc is None:
                acc = self.client.create(
                    "Account",
                    {
                        "name": partner_account_name(partner_id, partner_name),
                        "accountTypeName": "Partner",
                        "externalReference": partner_reference(partner_id),
                    },
                    lookup=lambda: find_partner(self.client, partner_id),
                )
            with self._lock:
                self._partners[partner_id] = int(acc["identity"])
            return int(acc["identity"])

    # -- one customer -------------------------------------------------------------------------
    def provision(self, order: CustomerOrder, done: Mapping[str, str | None], record: StepRecorder) -> SystemResult:
        ids: dict[str, str] = {}

        def run(step: str, fn: Callable[[], str], *, needs_id: bool = True) -> str:
            prior = done.get(step) if step in done else None
            if step in done and (prior or not needs_id):
                ids[step] = prior or ""
                return ids[step]
            record(StepEvent(order.account, SYSTEM, step, "pending"))
            try:
                ext = fn()
            except ConnectorError as exc:
                status: StepStatus = "in_doubt" if isinstance(exc, InDoubtError) else "failed"
                record(StepEvent(order.account, SYSTEM, step, status, error=str(exc)))
                raise
            record(StepEvent(order.account, SYSTEM, step, "done", external_id=ext))
            ids[step] = ext
            return ext

        bill_enterprise = order.billing_type == BILL_ENTERPRISE
        # Accounts this call created: they hold nothing yet, so their contact and package searches are
        # skipped (saves three requests per new customer; a resumed run still searches).
        fresh: set[int] = set()
        try:
            partner = run(STEP_PARTNER, lambda: str(self.ensure_partner(order.partner_id, order.partner_name)))
            ent = run(STEP_ENTERPRISE, lambda: self._ensure_enterprise(order, int(partner), fresh))
            run(
                STEP_ENTERPRISE_PACKAGE,
                lambda: self._ensure_packages(int(ent), [(ENTERPRISE_PACKAGE, 1, order.billing_start)], fresh),
                needs_id=False,
            )
            cust = run(STEP_CUSTOMER, lambda: self._ensure_customer(order, int(partner), int(ent), bill_enterprise, fresh))
            invoicer = ent if bill_enterprise else cust
            run(STEP_CONTACT, lambda: self._ensure_contact(order, int(invoicer), fresh), needs_id=False)
            run(
                STEP_PACKAGES,
                lambda: self._ensure_packages(int(cust), wanted_customer_packages(order), fresh),
                needs_id=False,
            )
        except ConnectorError as exc:
            # Terminal: every message the system gave; transient ones ran out of tries (retry later).
            return SystemResult(order.account, SYSTEM, "failed", self._external_ids(ids), error=str(exc))
        return SystemResult(order.account, SYSTEM, "done", self._external_ids(ids))

    @staticmethod
    def _external_ids(ids: Mapping[str, str]) -> dict[str, str]:
        out = {
            "partner_account_id": ids.get(STEP_PARTNER, ""),
            "enterprise_account_id": ids.get(STEP_ENTERPRISE, ""),
            "customer_account_id": ids.get(STEP_CUSTOMER, ""),
            "billing_contact_id": ids.get(STEP_CONTACT, ""),
        }
        return {k: v for k, v in out.items() if v}

    def _ensure_enterprise(self, order: CustomerOrder, partner: int, fresh: set[int]) -> str:
        name = enterprise_account_name(order.account)

        def lookup() -> Item | None:
            return find_account(self.client, partner, name, "Enterprise", partner)

        acc = lookup()
        if acc is None:
            acc = self.client.create(
                "Account",
                {"name": name, "accountTypeName": "Enterprise", "parentAccountId": partner},
                lookup=lookup,
            )
            fresh.add(int(acc["identity"]))
        return str(acc["identity"])

    def _ensure_customer(self, order: CustomerOrder, partner: int, ent: int, bill_enterprise: bool, fresh: set[int]) -> str:
        def lookup() -> Item | None:
            return find_account(self.client, partner, order.account, "Customer", ent)

        acc = lookup()
        if acc is None:
            body: dict[str, Any] = {"name": order.account, "accountTypeName": "Customer", "parentAccountId": ent}
            if bill_enterprise:
                body["invoicerAccountId"] = ent  # else the account invoices itself (the system's default)
            if order.portal_password:
                body["portalPassword"] = order.portal_password  # passed through, never kept by us
            acc = self.client.create("Account", body, lookup=lookup)
            fresh.add(int(acc["identity"]))
        want = ent if bill_enterprise else int(acc["identity"])
        if int(acc.get("invoicerAccountId") or acc["identity"]) != want:
            # Found, but made for another billing type: do not change an invoicer silently.
            raise TerminalError(
                f"billing account {acc['identity']} already exists with invoicer {acc.get('invoicerAccountId')}"
                f" (expected {want} for {order.billing_type})"
            )
        return str(acc["identity"])

    def _ensure_contact(self, order: CustomerOrder, account: int, fresh: set[int]) -> str:
        def lookup() -> Item | None:
            found = self.client.search("Contact", {"accountId": account, "contactTypeName": "Billing"}, top=10)
            return found[0] if found else None

        a = order.address
        contact = (None if account in fresh else lookup()) or self.client.create(
            "Contact",
            {
                "accountId": account,
                "contactTypeName": "Billing",
                "firstName": order.first_name,
                "lastName": order.last_name,
                "companyName": order.company or order.account,
                "address1": a.line1,
                "address2": a.line2,
                "city": a.city,
                "state": a.state,
                "zip": a.zip,
                "country": a.country,
                "emails": list(order.emails),
            },
            lookup=lookup,
        )
        return str(contact["identity"])

    def _ensure_packages(self, account: int, wanted: list[PackageKey], fresh: set[int]) -> str:
        """Add every wanted package line the account does not hold yet (as a multiset: a name may
        rightly appear twice); returns the account-package ids, in order."""
        existing = [] if account in fresh else self.client.search_all("Account/Package", {"accountId": account})
        pool: dict[PackageKey, list[int]] = {}
        for item in existing:
            pool.setdefault(package_key(item), []).append(int(item["identity"]))
        known = {int(i["identity"]) for i in existing}
        out: list[int] = []
        for key in wanted:
            if pool.get(key):
                out.append(pool[key].pop(0))
                continue

            def lookup(key: PackageKey = key) -> Item | None:
                # Applied after all? Then a line with this key that we have not counted exists now.
                for item in self.client.search_all("Account/Package", {"accountId": account}):
                    if int(item["identity"]) not in known and package_key(item) == key:
                        return item
                return None

            name, qty, effective = key
            item = self.client.create(
                "Account/Package",
                {"accountId": account, "packageName": name, "quantity": qty, "effective": f"{effective}T00:00:00Z"},
                lookup=lookup,
            )
            known.add(int(item["identity"]))
            out.append(int(item["identity"]))
        return ",".join(str(i) for i in out)
