"""Rules that depend on Customers.Order (issue 19, DESIGN §3-§4): what each kind requires, and the checks
against what earlier batches onboarded (``core.known.KnownCustomer``, read from staging or its snapshot,
never from the systems: ``onboard run`` confirms against them before the first request).

- New Customer: every starred field; CUSTOMER_EXISTS / ALREADY_ONBOARDED against earlier batches.
- New Group: the same fields but Billing Type (its enterprise's applies), plus Enterprise Account, which
  must be a New Customer this partner onboarded (ENTERPRISE_NOT_FOUND); a Billing Type, when given, must be
  the enterprise's (BILLING_TYPE_MISMATCH); its own Account Name must be new (CUSTOMER_EXISTS).
- Add Services: Account Name only (and its Packages or DIDs rows); the account must be one this partner
  onboarded, as a New Customer or a New Group (CUSTOMER_NOT_FOUND).
- A follow-on order an earlier batch took in, the very same (account key + kind + fingerprint, as the run's
  order key), is ALREADY_ONBOARDED: skipped, nothing is sent again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from core.keys import account_key
from core.known import KnownCustomer
from data.sheets import BILLING_TYPES
from transforms.normalize import NormalizedOrder, isin
from transforms.order_kinds import ADD_SERVICES, NEW_CUSTOMER, NEW_GROUP
from validators.findings import Finding

NOT_REQUIRED_FOR_GROUP = {"Billing Type"}  # the enterprise's billing type applies
REQUIRED_FOR_ADD_SERVICES = {"Account Name"}


def kinds(order: NormalizedOrder) -> pd.Series:
    """The order kind of each Customers row (a frame built by hand may lack the column: New Customer)."""
    cust = order.sheets["Customers"]
    if "order_kind" not in cust.columns:
        return pd.Series(NEW_CUSTOMER, index=cust.index, dtype="str")
    return cust["order_kind"].astype("str")


def _only_new_customers(order: NormalizedOrder) -> bool:
    """Every row a New Customer with no Enterprise Account (a usual book): nothing here to check."""
    cust = order.sheets["Customers"]
    return bool(kinds(order).eq(NEW_CUSTOMER).all()) and (
        "enterprise_account" not in cust.columns or bool(cust["enterprise_account"].eq("").all()))


def keys_of_kind(order: NormalizedOrder, kind: str) -> set[str]:
    cust = order.sheets["Customers"]
    return set(cust.loc[kinds(order).eq(kind), "_account_key"].tolist()) - {""}


def required_by_kind(order: NormalizedOrder, findings: list[Finding]) -> list[Finding]:
    """The per-cell REQUIRED_MISSING findings of Customers, kept only where the row's kind requires the
    field, plus Enterprise Account for a New Group."""
    cust = order.sheets["Customers"]
    if cust.empty or _only_new_customers(order):
        return findings
    kind_at = dict(zip(cust["_row"].tolist(), kinds(order).tolist(), strict=True))
    out: list[Finding] = []
    for f in findings:
        if f.code == "REQUIRED_MISSING" and f.sheet == "Customers":
            kind = kind_at.get(f.row, NEW_CUSTOMER)
            if kind == NEW_GROUP and f.column in NOT_REQUIRED_FOR_GROUP:
                continue
            if kind == ADD_SERVICES and f.column not in REQUIRED_FOR_ADD_SERVICES:
                continue
        out.append(f)
    if "enterprise_account" in cust.columns:
        blank = cust[kinds(order).eq(NEW_GROUP) & cust["enterprise_account"].eq("")]
        out += [Finding.of("REQUIRED_MISSING", "Customers", row, "Enterprise Account",
                           "Enterprise Account is required for a New Group: the Account Name of the customer "
                           "(enterprise) this new group (location) joins, as it was first ordered.", acct, "")
                for row, acct in zip(blank["_row"], blank["account_name"], strict=True)]
        # An enterprise named on another kind of row is a contradiction: most likely a New Group whose Order was
        # left blank, which would otherwise become a second enterprise of its own.
        stray = cust[kinds(order).isin([NEW_CUSTOMER, ADD_SERVICES]) & cust["enterprise_account"].ne("")]
        out += [Finding.of("INVALID_FORMAT", "Customers", row, "Enterprise Account",
                           f"Enterprise Account '{ent}' is only for a New Group, but this row's Order is "
                           f"{'Add Services' if kind == ADD_SERVICES else 'New Customer'}: set Order to New Group to "
                           "add a group (location) to that enterprise, or clear Enterprise Account.", acct, ent)
                for row, acct, ent, kind in zip(stray["_row"], stray["account_name"], stray["enterprise_account"],
                                                kinds(order)[stray.index], strict=True)]
    return out


def known_findings(order: NormalizedOrder, known: Mapping[str, KnownCustomer],
                   fingerprints: Mapping[str, str]) -> list[Finding]:
    cust = order.sheets["Customers"]
    if cust.empty:
        return []
    out: list[Finding] = []
    kind_of = kinds(order)
    # only the rows with something to check: follow-ons, and New Customers an earlier batch took in
    hit = cust["_account_key"].ne("") & (kind_of.ne(NEW_CUSTOMER) | isin(cust["_account_key"], list(known)))
    for rec in cust[hit].assign(_kind=kind_of[hit]).to_dict("records"):
        kind, key, row, acct = str(rec["_kind"]), str(rec["_account_key"]), int(rec["_row"]), str(rec["account_name"])
        mine = known.get(key)
        if kind == NEW_CUSTOMER and mine is not None:
            out.append(_existing(row, acct, mine, fingerprints.get(key)))
        elif kind in (NEW_GROUP, ADD_SERVICES) and mine is not None and (kind, fingerprints.get(key)) in _orders(mine):
            what = "New Group" if kind == NEW_GROUP else "Add Services"
            out.append(Finding.of("ALREADY_ONBOARDED", "Customers", row, "Account Name",
                                  f"This {what} order for '{acct}' was taken in by an earlier batch, the very same: "
                                  "skipped, nothing is sent again.", acct))
        elif kind == NEW_GROUP:
            if mine is not None:
                out.append(Finding.of("CUSTOMER_EXISTS", "Customers", row, "Account Name",
                                      f"Account Name '{acct}' is already a customer of yours: a New Group needs a name "
                                      "of its own for the new location (e.g. 'Acme Dental - Round Rock'); to add "
                                      "services to that customer, set Order to Add Services.", acct, acct))
            out += _enterprise(rec, known)
        elif kind == ADD_SERVICES and mine is None:
            out.append(Finding.of("CUSTOMER_NOT_FOUND", "Customers", row, "Account Name",
                                  f"Add Services for '{acct}', but you have not onboarded a customer with that Account "
                                  "Name: write it exactly as first ordered (a New Customer or New Group of an earlier "
                                  "order), or set Order to New Customer.", acct, acct))
    return out


def _orders(mine: KnownCustomer) -> frozenset[tuple[str, str]]:
    return mine.orders or frozenset({(mine.order_kind, mine.fingerprint)})


def _existing(row: int, acct: str, mine: KnownCustomer, fingerprint: str | None) -> Finding:
    if fingerprint == mine.fingerprint:
        return Finding.of("ALREADY_ONBOARDED", "Customers", row, "Account Name",
                          f"Customer '{acct}' was onboarded by an earlier batch with this same order: skipped, nothing "
                          "is sent again.", acct)
    return Finding.of("CUSTOMER_EXISTS", "Customers", row, "Account Name",
                      f"Customer '{acct}' was onboarded by an earlier batch with a different order: to add services "
                      "set Order to Add Services and list only the new lines; for another location set Order to New "
                      "Group with a new Account Name; otherwise remove the row or use a new Account Name.", acct)


def _enterprise(rec: Mapping[Any, object], known: Mapping[str, KnownCustomer]) -> list[Finding]:
    row, acct = int(str(rec["_row"])), str(rec["account_name"])
    named = str(rec.get("enterprise_account", "") or "")
    if not named:
        return []  # REQUIRED_MISSING already says so
    owner = known.get(account_key(named))
    if owner is None or owner.order_kind != NEW_CUSTOMER:
        hint = ""
        if owner is not None:
            top = known.get(owner.enterprise_key)
            hint = f" '{named}' is a group of '{top.account if top else owner.enterprise_key}': name that enterprise."
        return [Finding.of("ENTERPRISE_NOT_FOUND", "Customers", row, "Enterprise Account",
                           f"Enterprise Account '{named}' is not a customer you have onboarded as a New Customer, so "
                           f"the new group '{acct}' has no enterprise to join.{hint} Write the enterprise's Account "
                           "Name exactly as first ordered, or order it as a New Customer first.", acct, named)]
    given = str(rec.get("billing_type", "") or "")
    if given in BILLING_TYPES and owner.billing_type and given != owner.billing_type:
        return [Finding.of("BILLING_TYPE_MISMATCH", "Customers", row, "Billing Type",
                           f"Billing Type '{given}' differs from '{owner.billing_type}', the billing type of enterprise "
                           f"'{owner.account}': a new group is billed as its enterprise is. Leave Billing Type blank "
                           "(or write the enterprise's).", acct, given)]
    return []
