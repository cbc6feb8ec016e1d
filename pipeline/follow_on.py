"""Follow-on orders in a run (issue 19): what they build on, checked when the batch is staged, and
confirmed against the systems before a follow-on's first request."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from connectors.billing.provision import find_partner
from connectors.broadworks import commands as C
from connectors.broadworks.follow_on import enterprise_missing, group_missing
from connectors.broadworks.state import enterprise_exists
from connectors.systems import Systems
from core.keys import account_key
from core.order import ADD_SERVICES, NEW_CUSTOMER, NEW_GROUP, CustomerOrder, StepEvent, enterprise_account_name, order_key
from staging.follow_on import earlier_plans
from staging.store import Store
from transforms.findings import Finding
from transforms.follow_on import CUSTOMER_NOT_FOUND, ENTERPRISE_NOT_FOUND, FollowOnBase, resolve
from transforms.normalize import isin

FOLLOW_ON = (NEW_GROUP, ADD_SERVICES)
RUN_TIME_CODES = ("CUSTOMER_EXISTS", ENTERPRISE_NOT_FOUND, CUSTOMER_NOT_FOUND)


@dataclass
class Screened:
    bases: dict[str, FollowOnBase] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # account key -> code
    findings: list[Finding] = field(default_factory=list)
    rows: list[tuple[str, str, bool]] = field(default_factory=list)  # (key, account, create admin) of bases


def order_kinds(first: pd.DataFrame) -> pd.Series:
    """Each (first) row's order kind; a sheet without the Order column orders new customers."""
    if "order_kind" not in first.columns:
        return pd.Series(NEW_CUSTOMER, index=first.index, dtype="str")
    return first["order_kind"].astype("str")


def has_follow_on(cust: pd.DataFrame) -> bool:
    """Whether any row of the Customers sheet orders anything but a New Customer (its order key then holds
    its fingerprint: ``order_columns``)."""
    return bool(order_kinds(cust).ne(NEW_CUSTOMER).any())


def screen(store: Store, partner_id: str, batch_id: str, cust: pd.DataFrame, valid: list[str]) -> Screened:
    """The bases of the valid follow-on rows, from earlier batches' plans; a row with none is reported
    ENTERPRISE_NOT_FOUND / CUSTOMER_NOT_FOUND (what validation says, re-checked on the staged data)."""
    kinds = order_kinds(cust)
    follow = kinds.isin(FOLLOW_ON)
    if not bool(follow.any()):  # a book of new customers (a 100k migration): nothing to look up
        return Screened()
    first = cust.drop_duplicates("_account_key")  # an account's first row says its kind
    first = first.assign(_kind=kinds[first.index])
    rows = first[first["_kind"].isin(FOLLOW_ON) & isin(first["_account_key"], valid)]
    if rows.empty:
        return Screened()
    ent = rows["enterprise_account"].astype(str) if "enterprise_account" in rows.columns else pd.Series("", index=rows.index)
    wanted = [*rows["_account_key"].astype(str), *(account_key(e) for e in ent if e)]
    earlier = earlier_plans(store, partner_id, wanted, exclude_batch=batch_id)
    bases, missing = resolve(zip(rows["_account_key"].astype(str), rows["_kind"], ent, strict=True), earlier)
    out = Screened(bases, missing)
    for row, acct, key, e, admin in zip(rows["_row"], rows["account_name"], rows["_account_key"], ent,
                                        rows.get("create_admin", pd.Series(False, index=rows.index)), strict=True):
        code = missing.get(str(key))
        if code is None:
            out.rows.append((str(key), str(acct), bool(admin)))
        elif code == ENTERPRISE_NOT_FOUND:
            out.findings.append(Finding("Customers", int(row), "Enterprise Account", code, "error",
                                        f"Enterprise Account '{e}' is not a customer this partner onboarded: write the "
                                        "Account Name of its New Customer order.", str(acct), str(e)))
        else:
            out.findings.append(Finding("Customers", int(row), "Account Name", code, "error",
                                        f"Add Services for '{acct}', which this partner never onboarded: check the "
                                        "Account Name, or order it as a New Customer.", str(acct), str(acct)))
    return out


def order_columns(first: pd.DataFrame, fingerprints: Mapping[str, str], bases: Mapping[str, FollowOnBase]
                  ) -> pd.DataFrame:
    """Per first row of each account: ``order_kind``, ``order_key`` (``core.order.order_key``) and its
    ``billing_type`` (a follow-on's from what it builds on), staged with the customers row in one insert
    (a 100k-customer migration: no row-by-row loop, no UPDATE afterwards)."""
    keys = first["_account_key"].astype("str")
    kinds = order_kinds(first)
    out = pd.DataFrame({"order_kind": kinds, "order_key": keys,
                        "billing_type": first["billing_type"].astype("str")}, index=first.index)
    follow = kinds.ne(NEW_CUSTOMER)  # held rows of an unknown kind too: as order_key() builds them
    if bool(follow.any()):
        fk = keys[follow]
        out.loc[follow, "order_key"] = [order_key(k, str(kind), fingerprints.get(k, ""))
                                        for k, kind in zip(fk, kinds[follow], strict=True)]
        based = {k: b.billing_type for k, b in bases.items() if b.billing_type}
        if based:
            hit = keys.map(based)
            out["billing_type"] = hit.where(hit.notna(), out["billing_type"]).astype("str")
    return out


def received_date(received_at: object) -> str:
    """The batch's received date (ISO): the default effective date of follow-on package lines."""
    if isinstance(received_at, pd.Timestamp | date):
        return pd.Timestamp(received_at).date().isoformat()
    return date.today().isoformat()


def refused(order: CustomerOrder, systems: Systems, record: Callable[[StepEvent], None]) -> str | None:
    """Run time, before a follow-on's first request: its enterprise (and, for Add Services, its group) must
    exist in BroadWorks and its "<Name> Enterprise" account in billing; else the order fails with the code."""
    error: str | None = None
    if not enterprise_exists(systems.broadworks, order.enterprise_id):
        error = str(enterprise_missing(order))
    elif order.order_kind == ADD_SERVICES:
        (resp,) = systems.broadworks.get([C.group_list_exact(order.enterprise_id, order.group_id)])
        if resp.is_error or not any(r.get("Group Id") == order.group_id for r in resp.table("groupTable")):
            error = str(group_missing(order))
    if error is None:
        partner = find_partner(systems.billing, order.partner_id)
        name = enterprise_account_name(order.owner_account)
        links = [] if partner is None else systems.billing.search(
            "Account/Parent", {"parentAccountId": int(partner["identity"]), "accountName": name}, top=1)
        if not links:
            error = (f"{ENTERPRISE_NOT_FOUND}: billing holds no account '{name}' for this partner; nothing was sent")
    if error:
        record(StepEvent(order.account, "broadworks", "enterprise", "failed", error=error))
    return error
