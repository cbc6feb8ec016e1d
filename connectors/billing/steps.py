"""What each billing step sends when its look-up finds the work missing, for ``onboard plan``.

Kept beside ``provision.py`` so the preview and the provisioner cannot drift: each account is a
``POST Account`` then an ``Account/Parent`` link; the Billing contact is a ``POST Contact`` and one
``POST ContactPoint`` per postal address and e-mail address (see ``BillingProvisioner``).
"""

from __future__ import annotations

from connectors.billing.provision import (
    STEP_CONTACT,
    STEP_CUSTOMER,
    STEP_ENTERPRISE,
    STEP_ENTERPRISE_PACKAGE,
    STEP_PACKAGES,
    STEP_PARTNER,
    STEPS,
    wanted_customer_packages,
)
from core.order import BILL_ENTERPRISE, ENTERPRISE_PACKAGE, CustomerOrder, enterprise_account_name


def planned_requests(order: CustomerOrder) -> list[dict[str, str]]:
    """(step, request, detail) of every billing step, in the provisioner's order."""
    invoicer = enterprise_account_name(order.account) if order.billing_type == BILL_ENTERPRISE else order.account
    points = 1 + len(order.emails)
    request = {
        STEP_PARTNER: "POST Account (Partner, once per partner)",
        STEP_ENTERPRISE: "POST Account (Enterprise) + POST Account/Parent",
        STEP_ENTERPRISE_PACKAGE: "POST Account/Package",
        STEP_CUSTOMER: "POST Account (Customer) + POST Account/Parent",
        STEP_CONTACT: f"POST Contact (Billing) + {points} x POST ContactPoint",
        STEP_PACKAGES: "POST Account/Package",
    }
    detail = {
        STEP_PARTNER: order.partner_id,
        STEP_ENTERPRISE: f"{enterprise_account_name(order.account)} under the partner",
        STEP_ENTERPRISE_PACKAGE: ENTERPRISE_PACKAGE,
        STEP_CUSTOMER: f"{order.account} ({order.billing_type}) under its enterprise",
        STEP_CONTACT: f"on {invoicer}: postal address + {len(order.emails)} e-mail address(es)",
        STEP_PACKAGES: f"{len(wanted_customer_packages(order))} package line(s) from {order.billing_start}",
    }
    steps: tuple[str, ...] = STEPS
    if order.follow_on:  # issue 19: the enterprise account is found, never made (BillingProvisioner._follow_on)
        request[STEP_ENTERPRISE] = "none: found under the partner (ENTERPRISE_NOT_FOUND if absent)"
        detail[STEP_ENTERPRISE] = enterprise_account_name(order.owner_account)
        detail[STEP_PACKAGES] = f"{len(order.packages)} ordered package line(s)"
        if order.order_kind == "add_services":
            request[STEP_CUSTOMER] = "none: the existing customer account is found (CUSTOMER_NOT_FOUND if absent)"
            steps = (STEP_PARTNER, STEP_ENTERPRISE, STEP_CUSTOMER, STEP_PACKAGES)
        else:
            detail[STEP_CUSTOMER] = f"{order.account} ({order.billing_type}) under {detail[STEP_ENTERPRISE]}"
            steps = (STEP_PARTNER, STEP_ENTERPRISE, STEP_CUSTOMER,
                     *((STEP_CONTACT,) if order.billing_type != BILL_ENTERPRISE else ()), STEP_PACKAGES)
    return [{"step": s, "request": request[s], "detail": detail[s]} for s in steps]


def request_floor(order: CustomerOrder) -> int:
    """Requests a new customer costs at least, as LogiSense documents its REST API (issue 18 b).

    Every object is its own POST: no page of the v10 reference we found shows a request that creates
    several Accounts, AccountPackages or ContactPoints at once. The PATCH endpoints ("Update or Add the
    <object> and optionally make changes to any child objects", developer.logisense.com/reference/
    patch_package_id, patch_owner_id, patch_billgroup_id) say a PATCH may add related entities, but no
    page shows the body that adds AccountPackages or ContactPoints through PATCH Account/{id}, so we do
    not send one and the simulator accepts none. With no idempotency key, one search per customer says
    whether anything of it exists (``BillingProvisioner._nothing_yet``). Per chunk, not per customer:
    the login and the partner account's search (and its one creation).
    """
    accounts = 2 * 2  # "<Name> Enterprise" and the customer account, each with its Account/Parent link
    contact = 1 + 1 + len(order.emails)  # the Billing contact, its postal address, one point per e-mail
    packages = 1 + len(wanted_customer_packages(order))  # BroadWorks Enterprise, then the customer's lines
    return accounts + contact + packages + 1  # + the one search
