"""Billing for follow-on orders (issue 19), beside ``provision.py``'s new-customer steps.

- New Group: one new customer account under the existing "<Name> Enterprise" account (the enterprise of
  the New Customer that owns it), with ``BroadWorks Group``, ``RetailRates`` and the ordered packages; its
  invoicer follows the enterprise's billing type (Bill Enterprise: the enterprise account, which already
  holds the billing contact; Bill Group: the new account itself, which gets its own).
- Add Services: the ordered packages on the existing customer account, each from its effective date.
Neither ever creates the enterprise account (nor, for Add Services, the customer account): absent, the
order fails ENTERPRISE_NOT_FOUND / CUSTOMER_NOT_FOUND and nothing is sent.

Package lines are matched as a multiset against what the account holds: the wanted list is every line of
every order of the group so far (their effective dates included), so a line an earlier order added is
never taken for this order's, and a re-run adds nothing.
"""

from __future__ import annotations

from connectors.billing.client import BillingClient
from connectors.common.errors import TerminalError
from core.order import ADD_SERVICES, CUSTOMER_PACKAGES, CustomerOrder, enterprise_account_name

PackageKey = tuple[str, int, str]


def _find_child(client: BillingClient, parent: int, name: str) -> int | None:
    links = client.search("Account/Parent", {"parentAccountId": parent, "accountName": name}, top=10)
    return int(links[0]["accountId"]) if links else None


def find_enterprise(client: BillingClient, order: CustomerOrder, partner: int) -> str:
    name = enterprise_account_name(order.owner_account)
    found = _find_child(client, partner, name)
    if found is None:
        raise TerminalError(f"ENTERPRISE_NOT_FOUND: billing holds no account '{name}' under partner account "
                            f"{partner}; nothing was sent")
    return str(found)


def find_customer(client: BillingClient, order: CustomerOrder, enterprise: int) -> str:
    name = order.existing_account or order.account
    found = _find_child(client, enterprise, name)
    if found is None:
        raise TerminalError(f"CUSTOMER_NOT_FOUND: billing holds no customer account '{name}' under "
                            f"'{enterprise_account_name(order.owner_account)}'; nothing was sent")
    return str(found)


def wanted_packages(order: CustomerOrder) -> list[PackageKey]:
    """Every package line the customer account holds once this order is in (see the module doc)."""
    start = order.billing_start
    if order.order_kind == ADD_SERVICES:
        lines = order.group_packages or order.packages
        return [(line.billing_package, line.quantity, line.effective_date or start) for line in lines]
    auto = [(p, 1, start) for p in CUSTOMER_PACKAGES]
    return auto + [(line.billing_package, line.quantity, line.effective_date or start) for line in order.packages]
