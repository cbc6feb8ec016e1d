"""STOPGAP (engineer B, issue 19) until engineer A's follow-on validation is merged: the minimum that lets
New Group and Add Services rows through validation. The integrator replaces this with A's rules
(per-kind required fields, ENTERPRISE_NOT_FOUND / CUSTOMER_NOT_FOUND / BILLING_TYPE_MISMATCH, the DID
allowance counting held seats); B's staging re-checks the first two against staged plans anyway.

- CUSTOMER_EXISTS / ALREADY_ONBOARDED by account key apply to New Customer rows only;
- a follow-on row whose order key (``core.order.order_key``) an earlier batch already took is
  ALREADY_ONBOARDED (skipped: re-sending it sends nothing);
- Add Services needs only Account Name and its lines (no other Customers field, no E911);
- New Group needs no Billing Type (its enterprise's applies).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.keys import account_key
from core.order import ADD_SERVICES, NEW_GROUP, order_key
from transforms.normalize import NormalizedOrder
from validators.findings import Finding


def relax(order: NormalizedOrder, found: list[Finding], existing: Mapping[str, str] | None,
          fingerprints: Mapping[str, str]) -> list[Finding]:
    cust = order.sheets["Customers"]
    if "order_kind" not in cust.columns:
        return found
    kinds = {str(k): str(v) for k, v in zip(cust["_account_key"], cust["order_kind"], strict=True)
             if v in (NEW_GROUP, ADD_SERVICES)}
    if not kinds:
        return found
    out = [f for f in found if not _dropped(kinds.get(account_key(f.account)), f)]
    for row, acct, k, kind in zip(cust["_row"], cust["account_name"], cust["_account_key"], cust["order_kind"],
                                  strict=True):
        if str(k) in kinds and existing and order_key(str(k), str(kind), fingerprints.get(str(k), "")) in existing:
            out.append(Finding.of("ALREADY_ONBOARDED", "Customers", int(row), "Account Name",
                                  f"This order for '{acct}' was taken by an earlier batch: skipped, nothing is sent "
                                  "again.", str(acct)))
    return out


def _dropped(kind: str | None, f: Finding) -> bool:
    if kind is None:
        return False
    if f.code in ("CUSTOMER_EXISTS", "ALREADY_ONBOARDED"):
        return True
    if kind == ADD_SERVICES:
        return f.code == "E911_MISSING" or (f.code == "REQUIRED_MISSING" and f.sheet == "Customers")
    return f.code == "REQUIRED_MISSING" and f.column == "Billing Type"
