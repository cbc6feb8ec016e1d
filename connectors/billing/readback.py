"""Read back what billing holds, in bulk per partner (reconciliation, nightly finance, tests).

Read from the system itself, never from our ledger: the reconciliation must show what is really
there, duplicates included. ``read_partner`` pages through everything under one partner with a few
``Search`` requests of up to 10,000 items each ("Search Requests": top 1..10000, pagination): the
``Account/Parent`` links under the partner's top account, then accounts, packages, contacts and
contact points by identity range. Callers then match customers by the BroadWorks enterprise/group
ids each account carries (custom field BroadWorksId), not by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from connectors.billing.client import MAX_PAGE, BillingClient, Cond, Item
from connectors.billing.provision import (
    CUSTOMER_PACKAGES,
    ENTERPRISE_PACKAGE,
    account_broadworks_id,
    broadworks_id,
    enterprise_account_name,
    find_partner,
    split_broadworks_id,
)
from core.order import AUTO_PACKAGES, BILL_ENTERPRISE, BILL_GROUP


@dataclass
class PartnerBook:
    """Everything billing holds under one partner: account id -> account view."""

    partner_id: str
    partner_name: str
    partner_account_id: str | None
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (field, value, role) -> accounts, in the order of ``accounts``: built on first use, so that matching
    # a whole book costs one pass, not a scan per customer. ``accounts`` is complete once read_partner
    # returns; nothing adds to it after a look-up.
    _index: dict[tuple[str, Any, Any], list[dict[str, Any]]] | None = field(default=None, repr=False, compare=False)

    def _find(self, key: str, value: Any, role: str) -> list[dict[str, Any]]:
        if self._index is None:
            index: dict[tuple[str, Any, Any], list[dict[str, Any]]] = {}
            for a in self.accounts.values():
                index.setdefault(("broadworks_id", a["broadworks_id"], a["role"]), []).append(a)
                index.setdefault(("name", a["name"], a["role"]), []).append(a)
            self._index = index
        return list(self._index.get((key, value, role), []))

    def by_broadworks_id(self, enterprise_id: str, group_id: str, role: str) -> list[dict[str, Any]]:
        return self._find("broadworks_id", broadworks_id(enterprise_id, group_id), role)

    def by_name(self, name: str, role: str) -> list[dict[str, Any]]:
        return self._find("name", name, role)


def _range(ids: Iterable[int]) -> list[Cond]:
    ids = list(ids)
    return [Cond("gtEq", min(ids)), Cond("ltEq", max(ids))]


def read_partner(client: BillingClient, partner_id: str, partner_name: str = "", *, page: int = MAX_PAGE) -> PartnerBook:
    """The partner's whole book in ``O(accounts / page)`` requests.

    Accounts, packages and contacts are searched by the identity range of the partner's linked
    accounts and filtered here: the documents show no ``in`` operator and Account carries no top
    account, so another partner's accounts made in between are read and dropped (cost grows with
    the range, never with a request per customer)."""
    partner = find_partner(client, partner_id)
    book = PartnerBook(partner_id, partner_name, str(partner["identity"]) if partner else None)
    if partner is None:
        return book
    pid = int(partner["identity"])
    found = client.search_all("Account/Parent", {"topAccountId": pid}, page=page)
    links = {int(x["accountId"]): int(x["parentAccountId"]) for x in found}
    if not links:
        return book
    accounts = [a for a in client.search_all("Account", {"identity": _range(links)}, page=page) if int(a["identity"]) in links]
    packages = client.search_all("Account/Package", {"accountId": _range(links)}, page=page)
    contacts = [c for c in client.search_all("Contact", {"accountId": _range(links)}, page=page) if int(c["accountId"]) in links]
    points: list[Item] = []
    if contacts:
        ids = {int(c["identity"]) for c in contacts}
        found = client.search_all("ContactPoint", {"contactId": _range(ids)}, page=page)
        points = [p for p in found if int(p["contactId"]) in ids]
    by_contact: dict[int, list[Item]] = {}
    for p in points:
        by_contact.setdefault(int(p["contactId"]), []).append(p)
    for a in accounts:
        acc_id = int(a["identity"])
        bw = account_broadworks_id(a)
        bw_ids = split_broadworks_id(bw)
        book.accounts[str(acc_id)] = {
            "id": str(acc_id),
            "name": a["name"],
            "role": a.get("accountTypeName"),
            "parent_id": str(links[acc_id]),
            "top_id": str(pid),
            "invoicer_id": str(a.get("invoicerAccountId") or acc_id),
            "broadworks_id": bw,
            "enterprise_id": bw_ids[0] if bw_ids else None,
            "group_id": bw_ids[1] if bw_ids else None,
            "has_portal_password": bool(a.get("hasPortalPassword")),
            "contacts": [],
            "packages": [],
        }
    for c in contacts:
        if str(c["accountId"]) in book.accounts:
            book.accounts[str(c["accountId"])]["contacts"].append(_contact(c, by_contact.get(int(c["identity"]), [])))
    for p in packages:
        if str(p["accountId"]) in book.accounts:
            book.accounts[str(p["accountId"])]["packages"].append(
                {
                    "id": str(p["identity"]),
                    "name": p.get("packageName") or p.get("name"),
                    "quantity": int(p["quantity"]),
                    "effective": str(p["effective"])[:10],
                }
            )
    return book


def _contact(item: Item, points: list[Item]) -> dict[str, Any]:
    address = next((p for p in points if p.get("contactPointTypeName") == "address"), {})
    return {
        "id": str(item["identity"]),
        "type": item.get("contactTypeName"),
        "first_name": item.get("firstName"),
        "last_name": item.get("lastName"),
        "company": item.get("companyName"),
        "address1": address.get("address1"),
        "address2": address.get("address2"),
        "city": address.get("city"),
        "state": address.get("state"),
        "zip": address.get("zip"),
        "country": address.get("country"),
        "emails": [str(p.get("value")) for p in sorted(points, key=lambda p: int(p["identity"]))
                   if p.get("contactPointTypeName") == "email"],
    }


def claimed(
    book: PartnerBook, account: str, *, enterprise_id: str | None = None, group_id: str | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(enterprise accounts, customer accounts) that are this customer's.

    By BroadWorks ids when given: of the accounts carrying them, those named as we name them win
    (more than one is a duplicate); an account carrying the ids under another name is not this
    customer's when a rightly named one exists (someone copied the ids), but is when none does (the
    account was renamed in billing). Without ids, by name.
    """
    if enterprise_id is None or group_id is None:
        return book.by_name(enterprise_account_name(account), "Enterprise"), book.by_name(account, "Customer")

    def pick(found: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
        return [a for a in found if a["name"] == name] or found

    return (
        pick(book.by_broadworks_id(enterprise_id, group_id, "Enterprise"), enterprise_account_name(account)),
        pick(book.by_broadworks_id(enterprise_id, group_id, "Customer"), account),
    )


def follow_on_claimed(book: PartnerBook, plan: Mapping[str, Any]
                      ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    """A follow-on order's accounts (issue 19): the enterprise account of its owner (named after the
    owner, carrying the owner's enterprise id) and the customer account of its group; None for a new
    customer (``claimed``)."""
    if plan.get("order_kind", "new_customer") == "new_customer":
        return None
    eid, gid = str(plan["enterprise_id"]), str(plan["group_id"])
    named = book.by_name(enterprise_account_name(str(plan.get("enterprise_account") or plan["account"])), "Enterprise")
    ents = [a for a in named if str(a.get("broadworks_id") or "").startswith(eid + "/")] or named
    return ents, book.by_broadworks_id(eid, gid, "Customer")


def customer_view(
    book: PartnerBook,
    account: str,
    *,
    enterprise_id: str | None = None,
    group_id: str | None = None,
    found: tuple[list[dict[str, Any]], list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """Both accounts of one customer as billing holds them (``found`` False when it holds neither),
    matched by BroadWorks ids when given, else by name.

    ``billing_type`` is derived from the invoicer; ``contact`` is the invoicer's billing contact;
    ``missing_auto_packages`` lists the auto-added packages that are not there; ``duplicates`` counts
    extra accounts for the customer (0 when clean).
    """
    out: dict[str, Any] = {
        "partner_id": book.partner_id,
        "partner_name": book.partner_name,
        "account": account,
        "found": False,
        "partner_account_id": book.partner_account_id,
        "enterprise": None,
        "customer": None,
        "billing_type": None,
        "contact": None,
        "missing_auto_packages": list(AUTO_PACKAGES),
        "duplicates": 0,
    }
    ents, custs = found or claimed(book, account, enterprise_id=enterprise_id, group_id=group_id)
    out["duplicates"] = max(len(ents) - 1, 0) + max(len(custs) - 1, 0)
    ent = ents[0] if ents else None
    # The customer under this enterprise, if any, else the first one found.
    under_ent = [c for c in custs if ent and c["parent_id"] == ent["id"]]
    cust = (under_ent or custs)[0] if custs else None
    out.update(found=bool(ent or cust), enterprise=ent, customer=cust)
    if cust is not None:
        if ent is not None and cust["invoicer_id"] == ent["id"]:
            out["billing_type"] = BILL_ENTERPRISE
        elif cust["invoicer_id"] == cust["id"]:
            out["billing_type"] = BILL_GROUP
        invoicer = ent if out["billing_type"] == BILL_ENTERPRISE else cust
        billing = [c for c in (invoicer or {}).get("contacts", []) if c["type"] == "Billing"]
        out["contact"] = billing[0] if billing else None
    missing = []
    if ent is None or ENTERPRISE_PACKAGE not in {p["name"] for p in ent["packages"]}:
        missing.append(ENTERPRISE_PACKAGE)
    held = {p["name"] for p in cust["packages"]} if cust else set()
    missing.extend(p for p in CUSTOMER_PACKAGES if p not in held)
    out["missing_auto_packages"] = missing
    return out


def read_back(
    client: BillingClient,
    partner_id: str,
    partner_name: str,
    account: str,
    *,
    enterprise_id: str | None = None,
    group_id: str | None = None,
) -> dict[str, Any]:
    """One customer (reads the partner's whole book: for many customers, use ``read_partner`` once)."""
    book = read_partner(client, partner_id, partner_name)
    return customer_view(book, account, enterprise_id=enterprise_id, group_id=group_id)


def read_customers(client: BillingClient, plans: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """(partner id, account) -> ``customer_view`` for every plan, one bulk read per partner,
    matched by each plan's BroadWorks enterprise and group ids."""
    by_partner: dict[str, list[Mapping[str, Any]]] = {}
    for p in plans:
        by_partner.setdefault(str(p["partner_id"]), []).append(p)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for pid, group in by_partner.items():
        book = read_partner(client, pid, str(group[0].get("partner_name") or ""))
        for p in group:
            out[(pid, str(p["account"]))] = customer_view(
                book, str(p["account"]), enterprise_id=str(p["enterprise_id"]), group_id=str(p["group_id"]),
                found=follow_on_claimed(book, p),
            )
    return out


def unexplained(book: PartnerBook, plans: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Accounts under the partner that no plan claims (``claimed`` by its BroadWorks ids): one entry
    per customer account (``billing``: its view by name) and one per enterprise account that no such
    customer explains either (``billing``: None)."""
    taken: set[str] = set()
    for p in plans:
        ents, custs = claimed(book, str(p["account"]), enterprise_id=str(p["enterprise_id"]), group_id=str(p["group_id"]))
        taken.update(a["id"] for a in ents + custs)
    out: list[dict[str, Any]] = []
    rest = sorted((a for a in book.accounts.values() if a["id"] not in taken), key=lambda a: int(a["id"]))
    for c in sorted((a for a in rest if a["role"] == "Customer"), key=lambda a: a["name"]):
        view = customer_view(book, c["name"])
        taken.update(x["id"] for x in (view["enterprise"], view["customer"]) if x)
        out.append({"partner_id": book.partner_id, "account": c["name"], "billing": view})
    for a in rest:
        if a["role"] == "Enterprise" and a["id"] not in taken:
            out.append({"partner_id": book.partner_id, "account": a["name"], "billing": None})
    return out


def list_partner_accounts(client: BillingClient, partner_id: str, *, page: int = MAX_PAGE) -> list[dict[str, Any]]:
    """Every account under a partner's top account (enterprise and customer), in id order."""
    book = read_partner(client, partner_id, page=page)
    keys = ("id", "name", "role", "parent_id", "invoicer_id", "enterprise_id", "group_id")
    return [{k: a[k] for k in keys} for a in sorted(book.accounts.values(), key=lambda a: int(a["id"]))]
