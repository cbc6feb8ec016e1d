"""Read back what billing holds for a customer or a partner (reconciliation, finance, tests).

Read from the system itself, never from our ledger: the reconciliation must show what is really
there, duplicates included.
"""

from __future__ import annotations

from typing import Any

from connectors.billing.client import BillingClient, Item
from connectors.billing.provision import (
    AUTO_PACKAGES,
    CUSTOMER_PACKAGES,
    ENTERPRISE_PACKAGE,
    enterprise_account_name,
    find_partner,
)
from connectors.common.order import BILL_ENTERPRISE, BILL_GROUP


def _contact(item: Item) -> dict[str, Any]:
    return {
        "id": str(item["identity"]),
        "type": item.get("contactTypeName"),
        "first_name": item.get("firstName"),
        "last_name": item.get("lastName"),
        "company": item.get("companyName"),
        "address1": item.get("address1"),
        "address2": item.get("address2"),
        "city": item.get("city"),
        "state": item.get("state"),
        "zip": item.get("zip"),
        "country": item.get("country"),
        "emails": list(item.get("emails") or []),
    }


def _account(client: BillingClient, item: Item) -> dict[str, Any]:
    acc_id = int(item["identity"])
    links = client.search("Account/Parent", {"accountId": acc_id}, top=1)
    packages = client.search_all("Account/Package", {"accountId": acc_id})
    contacts = client.search_all("Contact", {"accountId": acc_id})
    return {
        "id": str(acc_id),
        "name": item["name"],
        "role": item["accountTypeName"],
        "parent_id": str(links[0]["parentAccountId"]) if links and links[0].get("parentAccountId") else None,
        "top_id": str(item.get("topAccountId") or ""),
        "invoicer_id": str(item.get("invoicerAccountId") or acc_id),
        "has_portal_password": bool(item.get("hasPortalPassword")),
        "contacts": [_contact(c) for c in contacts],
        "packages": [
            {
                "id": str(p["identity"]),
                "name": p.get("packageName") or p.get("name"),
                "quantity": int(p["quantity"]),
                "effective": str(p["effective"])[:10],
            }
            for p in packages
        ],
    }


def read_back(client: BillingClient, partner_id: str, partner_name: str, account: str) -> dict[str, Any]:
    """Both accounts of one customer as billing holds them (``found`` False when it holds neither).

    ``billing_type`` is derived from the invoicer; ``contact`` is the invoicer's billing contact;
    ``missing_auto_packages`` lists the auto-added packages that are not there; ``duplicates`` counts
    extra accounts of the same name (0 when clean).
    """
    partner = find_partner(client, partner_id)
    out: dict[str, Any] = {
        "partner_id": partner_id,
        "partner_name": partner_name,
        "account": account,
        "found": False,
        "partner_account_id": str(partner["identity"]) if partner else None,
        "enterprise": None,
        "customer": None,
        "billing_type": None,
        "contact": None,
        "missing_auto_packages": list(AUTO_PACKAGES),
        "duplicates": 0,
    }
    if partner is None:
        return out
    pid = int(partner["identity"])
    ents = client.search(
        "Account", {"topAccountId": pid, "name": enterprise_account_name(account), "accountTypeName": "Enterprise"}
    )
    custs = client.search("Account", {"topAccountId": pid, "name": account, "accountTypeName": "Customer"})
    out["duplicates"] = max(len(ents) - 1, 0) + max(len(custs) - 1, 0)
    ent = _account(client, ents[0]) if ents else None
    # The customer under this enterprise, if any, else the first one found.
    under_ent = [c for c in custs if ent and str(c.get("parentAccountId")) == ent["id"]]
    cust_item = (under_ent or custs)[0] if custs else None
    cust = _account(client, cust_item) if cust_item else None
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


def list_partner_accounts(client: BillingClient, partner_id: str, *, page: int = 1000) -> list[dict[str, Any]]:
    """Every account under a partner's owner account (enterprise and customer), paged, in id order."""
    partner = find_partner(client, partner_id)
    if partner is None:
        return []
    pid = int(partner["identity"])
    return [
        {
            "id": str(a["identity"]),
            "name": a["name"],
            "role": a["accountTypeName"],
            "parent_id": str(a["parentAccountId"]) if a.get("parentAccountId") else None,
            "invoicer_id": str(a.get("invoicerAccountId") or a["identity"]),
        }
        for a in client.search_all("Account", {"topAccountId": pid}, page=page)
        if int(a["identity"]) != pid
    ]
