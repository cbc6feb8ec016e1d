"""What validation knows about the customers a partner onboarded in earlier batches (issue 19).

Staging builds these (``staging.batches.known_customers``, or ``staging.snapshot.read_known`` while a run
holds the database) and validation takes them as data: New Customer rows are matched against them
(ALREADY_ONBOARDED / CUSTOMER_EXISTS), New Group rows find their enterprise (ENTERPRISE_NOT_FOUND,
BILLING_TYPE_MISMATCH), Add Services rows their customer (CUSTOMER_NOT_FOUND) and the DID allowance.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownCustomer:
    account: str  # Account Name as first onboarded
    account_key: str  # core.keys.account_key(account)
    order_kind: str  # the order that created it: new_customer | new_group
    enterprise_key: str  # account key of the New Customer that owns the enterprise (itself for a new_customer)
    billing_type: str  # the enterprise's Billing Type (a group follows its enterprise)
    seats: int  # seats (user licences) every earlier valid order of this account gave it
    dids: int  # numbers every earlier valid order granted it (reserved, own, and still backordered)
    fingerprint: str  # the creating order's fingerprint (validators.fingerprint)
    # DIDs those orders allow: included with their seats + their "Additional DID's" / "DID Add-On - UC"
    # quantities (DESIGN §4); an Add Services order's allowance builds on it.
    did_allowance: int = 0
    # (order kind, fingerprint) of every distinct earlier order of this account, follow-ons included: the
    # same follow-on sent again is ALREADY_ONBOARDED (skipped), matched as B's order key matches it.
    orders: frozenset[tuple[str, str]] = frozenset()
