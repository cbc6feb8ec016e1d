"""Billing for one customer: the steps of DESIGN §6, each looked up before it is created.

Hierarchy in billing (one Owner per system; "Account / Parent" v5 holds the hierarchy links)::

    "<partner name> (<partner id>)"      Partner     top-level: no parent link
      └─ "<Account Name> Enterprise"     Enterprise  package BroadWorks Enterprise
           └─ "<Account Name>"            Customer    BroadWorks Group, RetailRates, every ordered line

An account is created first and then placed under its parent by an ``Account/Parent`` link; "this
partner's enterprise named X" is looked up through that link (``parentAccountId`` + ``accountName``),
so two partners' "Acme" never meet. An account made but not yet linked (the run stopped in between)
is found again by name and its BroadWorks ids, then linked. The system has no idempotency key: a
create whose answer was lost is looked up before it is sent again (``BillingClient.create``).
Bill Enterprise: the enterprise account is the customer's invoicer and holds the billing contact;
Bill Group: the customer account invoices itself and holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from connectors.billing import follow_on
from connectors.billing.client import BillingClient, Cond, Item
from connectors.common.errors import ConnectorError, InDoubtError, TerminalError
from core.order import (
    ADD_SERVICES,
    BILL_ENTERPRISE,
    CUSTOMER_PACKAGES,
    ENTERPRISE_PACKAGE,
    CustomerOrder,
    StepEvent,
    StepRecorder,
    StepStatus,
    SystemResult,
    enterprise_account_name,
)

SYSTEM = "billing"

STEP_PARTNER = "partner_account"
STEP_ENTERPRISE = "enterprise_account"
STEP_ENTERPRISE_PACKAGE = "enterprise_package"
STEP_CUSTOMER = "customer_account"
STEP_CONTACT = "billing_contact"
STEP_PACKAGES = "customer_packages"
STEPS = (STEP_PARTNER, STEP_ENTERPRISE, STEP_ENTERPRISE_PACKAGE, STEP_CUSTOMER, STEP_CONTACT, STEP_PACKAGES)

PackageKey = tuple[str, int, str]  # (package name, quantity, effective YYYY-MM-DD)
NEW_CUSTOMER = -1  # in a provision's ``fresh`` set: billing held nothing of this customer when it began


# Issue 12: the BroadWorks ids on both accounts. The Account reference shows no external-reference
# field, so they go into an Account custom field ("extensions"), column BroadWorksId; its API name
# starts lower-case ("Account Field Mapping", logisense.com learn).
BROADWORKS_ID = "broadWorksId"


def partner_account_name(partner_id: str, partner_name: str) -> str:
    return f"{partner_name or partner_id} ({partner_id})"


def broadworks_id(enterprise_id: str, group_id: str) -> str:
    """``<enterprise id>/<group id>``: ids are letters, digits and ``_`` (or numeric), never ``/``."""
    return f"{enterprise_id}/{group_id}"


def split_broadworks_id(value: str | None) -> tuple[str, str] | None:
    if not value or "/" not in value:
        return None
    ent, _, grp = value.rpartition("/")
    return ent, grp


def account_broadworks_id(item: Mapping[str, Any]) -> str | None:
    ext = item.get("extensions")
    value = ext.get(BROADWORKS_ID) if isinstance(ext, Mapping) else None
    return str(value) if value else None


def package_key(item: Mapping[str, Any]) -> PackageKey:
    return (str(item.get("packageName") or item.get("name")), int(item["quantity"]), str(item["effective"])[:10])


def wanted_customer_packages(order: CustomerOrder) -> list[PackageKey]:
    start = order.billing_start
    if order.follow_on:
        return follow_on.wanted_packages(order)
    return [(p, 1, start) for p in CUSTOMER_PACKAGES] + [
        (line.billing_package, line.quantity, line.effective_date or start) for line in order.packages]


def find_partner(client: BillingClient, partner_id: str) -> Item | None:
    """The partner's top-level account, named "<name> (<partner id>)" (the id part never changes)."""
    suffix = f"({partner_id})"
    found = client.search("Account", {"name": Cond("contains", suffix), "accountTypeName": "Partner"}, top=100)
    mine = [a for a in found if str(a.get("name", "")).endswith(suffix)]
    return mine[0] if mine else None  # ordered by identity: the first one made wins


def find_child(client: BillingClient, parent: int, name: str) -> int | None:
    """The account named ``name`` linked under ``parent`` (through ``Account/Parent``). ``accountName``
    is a property of AccountParent (v5 reference); we assume it is searchable like the others."""
    links = client.search("Account/Parent", {"parentAccountId": parent, "accountName": name}, top=10)
    return int(links[0]["accountId"]) if links else None


def find_unlinked(client: BillingClient, name: str, role: str, bw_id: str) -> Item | None:
    """An account of ours made but never linked: same name and BroadWorks ids, no parent link."""
    for acc in client.search("Account", {"name": name, "accountTypeName": role}, top=100):
        if account_broadworks_id(acc) == bw_id and not client.search("Account/Parent", {"accountId": acc["identity"]}, top=1):
            return acc
    return None


class BillingProvisioner:
    """Implements ``core.order.Provisioner`` for billing; safe to share between threads."""

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
                    {"name": partner_account_name(partner_id, partner_name), "accountTypeName": "Partner"},
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
            if order.follow_on:
                self._follow_on(order, run, int(partner), bill_enterprise, fresh)
                return SystemResult(order.account, SYSTEM, "done", self._external_ids(ids))
            if STEP_ENTERPRISE not in done and STEP_CUSTOMER not in done and self._nothing_yet(order):
                fresh.add(NEW_CUSTOMER)
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

    def _follow_on(self, order: CustomerOrder, run: Callable[..., str], partner: int, bill_enterprise: bool,
                   fresh: set[int]) -> None:
        """New Group / Add Services (``follow_on``): the enterprise account is found, never made; the
        enterprise package and (billed by the enterprise) its contact are already there."""
        ent = run(STEP_ENTERPRISE, lambda: follow_on.find_enterprise(self.client, order, partner))
        if order.order_kind == ADD_SERVICES:
            cust = run(STEP_CUSTOMER, lambda: follow_on.find_customer(self.client, order, int(ent)))
        else:
            cust = run(STEP_CUSTOMER, lambda: self._ensure_customer(order, partner, int(ent), bill_enterprise, fresh))
            if not bill_enterprise:
                run(STEP_CONTACT, lambda: self._ensure_contact(order, int(cust), fresh), needs_id=False)
        run(STEP_PACKAGES, lambda: self._ensure_packages(int(cust), wanted_customer_packages(order), fresh),
            needs_id=False)

    @staticmethod
    def _external_ids(ids: Mapping[str, str]) -> dict[str, str]:
        out = {
            "partner_account_id": ids.get(STEP_PARTNER, ""),
            "enterprise_account_id": ids.get(STEP_ENTERPRISE, ""),
            "customer_account_id": ids.get(STEP_CUSTOMER, ""),
            "billing_contact_id": ids.get(STEP_CONTACT, ""),
        }
        return {k: v for k, v in out.items() if v}

    def _nothing_yet(self, order: CustomerOrder) -> bool:
        """Is this a customer billing holds nothing of? One search (there is no idempotency key, so one
        look-up per customer is the floor): its "<Name> Enterprise" account, linked or not, carrying its
        BroadWorks ids (unique per customer, so another partner's "Acme" never counts). The enterprise
        account is always made first, so without it the customer account was never sent either."""
        bw_id = broadworks_id(order.enterprise_id, order.group_id)
        found = self.client.search("Account", {"name": enterprise_account_name(order.account),
                                               "accountTypeName": "Enterprise"}, top=100)
        return not any(account_broadworks_id(a) == bw_id for a in found)

    def _ensure_account(self, order: CustomerOrder, parent: int, name: str, role: str, fresh: set[int],
                        extra: Mapping[str, Any] | None = None) -> Item:
        """The account ``name`` under ``parent``: found through its link, or found unlinked, or made;
        then linked. Returns the account (only ``identity`` when it was found through its link).
        A customer billing holds nothing of (``NEW_CUSTOMER`` in ``fresh``) skips both look-ups."""
        new = NEW_CUSTOMER in fresh
        found = None if new else find_child(self.client, parent, name)
        if found is not None:
            return {"identity": found}
        bw_id = broadworks_id(order.enterprise_id, order.group_id)
        acc = None if new else find_unlinked(self.client, name, role, bw_id)
        if acc is None:
            body: dict[str, Any] = {"name": name, "accountTypeName": role, **(extra or {})}
            body["extensions"] = {BROADWORKS_ID: bw_id}
            acc = self.client.create("Account", body, lookup=lambda: find_unlinked(self.client, name, role, bw_id))
            fresh.add(int(acc["identity"]))
        acc_id = int(acc["identity"])

        def linked() -> Item | None:
            links = self.client.search("Account/Parent", {"accountId": acc_id}, top=1)
            return links[0] if links else None

        self.client.create("Account/Parent", {"accountId": acc_id, "parentAccountId": parent}, lookup=linked)
        return acc

    def _ensure_enterprise(self, order: CustomerOrder, partner: int, fresh: set[int]) -> str:
        acc = self._ensure_account(order, partner, enterprise_account_name(order.account), "Enterprise", fresh)
        return str(acc["identity"])

    def _ensure_customer(self, order: CustomerOrder, partner: int, ent: int, bill_enterprise: bool, fresh: set[int]) -> str:
        extra: dict[str, Any] = {}
        if bill_enterprise:
            extra["invoicerAccountId"] = ent  # else the account invoices itself (the system's default)
        if order.portal_password:
            # The customer's portal login: no LogiSense API document we found shows the object that
            # holds it (the Customer Portal guide only says portal users are set up on the Account
            # Settings screen), so it stays the field we always sent, portalPassword on Account.
            # Passed through, never kept by us.
            extra["portalPassword"] = order.portal_password
        acc = self._ensure_account(order, ent, order.account, "Customer", fresh, extra)
        if "invoicerAccountId" not in acc:  # found through its link: read the account itself
            got = self.client.search("Account", {"identity": acc["identity"]}, top=1)
            if not got:
                raise TerminalError(f"billing account {acc['identity']} is linked but cannot be read")
            acc = got[0]
        want = ent if bill_enterprise else int(acc["identity"])
        if int(acc.get("invoicerAccountId") or acc["identity"]) != want:
            # Found, but made for another billing type: do not change an invoicer silently.
            raise TerminalError(
                f"billing account {acc['identity']} already exists with invoicer {acc.get('invoicerAccountId')}"
                f" (expected {want} for {order.billing_type})"
            )
        return str(acc["identity"])

    def _ensure_contact(self, order: CustomerOrder, account: int, fresh: set[int]) -> str:
        """The invoicer's Billing contact (names, type) and its contact points: the postal address and
        one ``email`` point per address (Contact v2; ContactPointType: "email", "address")."""

        def lookup() -> Item | None:
            found = self.client.search("Contact", {"accountId": account, "contactTypeName": "Billing"}, top=10)
            return found[0] if found else None

        contact = None if account in fresh else lookup()
        new = contact is None
        if contact is None:
            body = {
                "accountId": account,
                "contactTypeName": "Billing",
                "firstName": order.first_name,
                "lastName": order.last_name,
                # Not in the Contact v2 reference (which shows no company); kept because the
                # order's Company is what the invoice shows. Named here, not sent silently.
                "companyName": order.company or order.account,
            }
            contact = self.client.create("Contact", body, lookup=lookup)
        self._ensure_points(order, int(contact["identity"]), new)
        return str(contact["identity"])

    def _ensure_points(self, order: CustomerOrder, contact: int, new: bool) -> None:
        """Every missing point is sent, and every refusal reported together (the system reports all
        errors of one request at once; across requests we do the same)."""
        points = [] if new else self.client.search_all("ContactPoint", {"contactId": contact})
        known = {int(p["identity"]) for p in points}
        have_address = any(p.get("contactPointTypeName") == "address" for p in points)
        have_emails = [str(p.get("value")) for p in points if p.get("contactPointTypeName") == "email"]
        a = order.address
        wanted: list[dict[str, Any]] = []
        if not have_address:
            wanted.append({"contactId": contact, "contactPointTypeName": "address", "address1": a.line1,
                           "address2": a.line2, "city": a.city, "state": a.state, "zip": a.zip, "country": a.country})
        for email in order.emails:
            if email in have_emails:
                have_emails.remove(email)
            else:
                wanted.append({"contactId": contact, "contactPointTypeName": "email", "value": email})
        refused: list[str] = []
        for body in wanted:

            def lookup(body: dict[str, Any] = body) -> Item | None:
                for p in self.client.search_all("ContactPoint", {"contactId": contact}):
                    same = p.get("value") == body.get("value") if body["contactPointTypeName"] == "email" else True
                    if int(p["identity"]) not in known and p.get("contactPointTypeName") == body["contactPointTypeName"] and same:
                        return p
                return None

            try:
                point = self.client.create("ContactPoint", body, lookup=lookup)
            except TerminalError as exc:
                refused.append(str(exc))
                continue
            known.add(int(point["identity"]))
        if refused:
            raise TerminalError("; ".join(refused))

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
            # Account/Package v10 shows name, effective, packageFrequencyId, ... but no quantity: the
            # documents are silent on a REST package quantity, so we keep the quantity field we always
            # sent (and packageName for the catalog package), a gap to confirm with LogiSense.
            item = self.client.create(
                "Account/Package",
                {"accountId": account, "packageName": name, "quantity": qty, "effective": f"{effective}T00:00:00Z"},
                lookup=lookup,
            )
            known.add(int(item["identity"]))
            out.append(int(item["identity"]))
        return ",".join(str(i) for i in out)
