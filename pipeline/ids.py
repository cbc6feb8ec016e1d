"""Give a staged batch's valid customers their BroadWorks ids, and claim them, before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from core.errors import InputError
from core.order import NEW_GROUP
from staging.ids import Claims, group_id_taken, load_claims, next_number, record_ids
from staging.store import Store
from transforms.follow_on import FollowOnBase
from transforms.plan import ID_KINDS, assign_customer_ids, customer_ids, group_ids, likely_ids


def claim_ids(store: Store, batch_id: str, partner_id: str, customers: pd.DataFrame,
              keys: Sequence[str], scheme: str = "derived") -> dict[str, dict[str, str]]:
    """Ids by account key for the customers ``keys`` (in that order) of the Customers frame, claimed.

    Committed before the plans that use them are built: two batches staged one after the other never
    share an id, and staging the same batch again (after a kill) finds its own claims and keeps them.
    """
    first = customers.drop_duplicates("_account_key")
    names = dict(zip(first["_account_key"].astype(str), first["account_name"].astype(str), strict=True))
    wanted = [(str(k), names[str(k)]) for k in keys]
    with store.transaction():
        claims = load_claims(store, partner_id, [k for k, _ in wanted],
                             [] if scheme == NUMERIC else likely_ids(partner_id, wanted))
        if scheme == NUMERIC:
            ids = _numeric_customer_ids(store, partner_id, wanted, claims)
        else:
            ids = assign_customer_ids(partner_id, wanted, claims.own, claims.is_taken, claims.give)
        record_ids(store, batch_id, dict(wanted), ids)
    return ids


NUMERIC = "numeric"
ENTERPRISE_DIGITS = GROUP_DIGITS = 5


def _numeric_customer_ids(store: Store, partner_id: str, wanted: Sequence[tuple[str, str]],
                          claims: Claims) -> dict[str, dict[str, str]]:
    """ONBOARD_ID_SCHEME=numeric: enterprise ``EEEEE`` from the staging counter, group 1 ``EEEEE00001``.

    Source: BluIP support, "Profile Page" (support.bluip.com/hc/en-us/articles/205340410): "the first 5
    digits are Enterprise, and the next 5 are group (if you have multiple groups in the same enterprise, this
    will increase by 1. Ex: 0000100005, 0000100006)". That the enterprise id itself is the 5 digits and that
    group numbers start at 00001 per enterprise is our assumption (the page shows neither). The admin keeps its derived
    id (a user id, not a number). A customer that already holds ids keeps them; a number some id already
    uses is skipped. The counters commit with the claims, before any request uses them."""
    out: dict[str, dict[str, str]] = {}
    for key, account in wanted:
        mine = claims.own.get(key)
        if mine and all(mine.get(k) for k in ID_KINDS):
            out[key] = {k: mine[k] for k in ID_KINDS}
            continue
        while True:
            eid = _number(next_number(store, "enterprise"), ENTERPRISE_DIGITS, "enterprise")
            if not claims.is_taken(eid):
                break
        next_number(store, f"group:{eid}")  # group 1 takes the enterprise's first group number
        attempt = 0
        while claims.is_taken(admin := customer_ids(partner_id, account, key, attempt)["admin_user_id"]):
            attempt += 1
        out[key] = {"enterprise_id": eid, "group_id": eid + _number(1, GROUP_DIGITS, "group"), "admin_user_id": admin}
        claims.give(eid)
        claims.give(admin)
    return out


def _number(n: int, digits: int, what: str) -> str:
    if n >= 10**digits:
        raise InputError(f"ONBOARD_ID_SCHEME=numeric: no {what} number left ({digits} digits); use the derived scheme")
    return f"{n:0{digits}d}"


def numeric_group_id(store: Store, enterprise_id: str) -> str | None:
    """A New Group's ``EEEEEGGGGG`` under a numeric enterprise (None: the enterprise id is not numeric)."""
    if not (enterprise_id.isdigit() and len(enterprise_id) == ENTERPRISE_DIGITS):
        return None
    return enterprise_id + _number(next_number(store, f"group:{enterprise_id}", first=2), GROUP_DIGITS, "group")


def claim_follow_on_ids(store: Store, batch_id: str, partner_id: str, rows: Sequence[tuple[str, str, bool]],
                        bases: Mapping[str, FollowOnBase], scheme: str = "derived") -> dict[str, dict[str, str]]:
    """Ids of follow-on orders ((account key, account name, create admin) rows), claimed before any send.

    Add Services keeps its group's ids. A New Group gets the enterprise's id and a group id of its own,
    derived from partner, enterprise account and its account (and an admin id only when Create Admin
    says yes), claimed in the ledger like every id: a re-staged batch finds its claim and keeps it, so a
    re-run after a lost answer finds the same group, never a second one.
    """
    out: dict[str, dict[str, str]] = {}
    with store.transaction():
        groups = [(k, a, admin) for k, a, admin in rows if bases[k].kind == NEW_GROUP]
        claims = load_claims(store, partner_id, [k for k, _, _ in groups], [])
        names: dict[str, str] = {}
        for key, account, admin in rows:
            base = bases[key]
            if base.kind != NEW_GROUP:
                out[key] = {"enterprise_id": base.enterprise_id, "group_id": base.group_id, "admin_user_id": ""}
                continue
            mine = claims.own.get(key, {})
            if mine.get("group_id") and mine.get("enterprise_id") == base.enterprise_id:
                out[key] = {"enterprise_id": base.enterprise_id, "group_id": mine["group_id"],
                            "admin_user_id": mine.get("admin_user_id", "") if admin else ""}
                names[key] = account
                continue
            attempt = 0
            while True:
                ids = group_ids(partner_id, base.enterprise_account, account, key, attempt, admin)
                number = numeric_group_id(store, base.enterprise_id) if scheme == NUMERIC else None
                ids["group_id"] = number or ids["group_id"]
                taken = group_id_taken(store, ids["group_id"]) or claims.handed_out(ids["group_id"])
                if not taken and not (ids["admin_user_id"] and claims.is_taken(ids["admin_user_id"])):
                    break
                attempt += 1
            claims.give(ids["group_id"])
            if ids["admin_user_id"]:
                claims.give(ids["admin_user_id"])
            out[key] = {"enterprise_id": base.enterprise_id, **ids}
            names[key] = account
        record_ids(store, batch_id, names, {k: out[k] for k in names})
    return out
