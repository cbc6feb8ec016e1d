"""Give a staged batch's valid customers their BroadWorks ids, and claim them, before anything is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from core.order import NEW_GROUP
from staging.ids import group_id_taken, load_claims, record_ids
from staging.store import Store
from transforms.follow_on import FollowOnBase
from transforms.plan import assign_customer_ids, group_ids, likely_ids


def claim_ids(store: Store, batch_id: str, partner_id: str, customers: pd.DataFrame,
              keys: Sequence[str]) -> dict[str, dict[str, str]]:
    """Ids by account key for the customers ``keys`` (in that order) of the Customers frame, claimed.

    Committed before the plans that use them are built: two batches staged one after the other never
    share an id, and staging the same batch again (after a kill) finds its own claims and keeps them.
    """
    first = customers.drop_duplicates("_account_key")
    names = dict(zip(first["_account_key"].astype(str), first["account_name"].astype(str), strict=True))
    wanted = [(str(k), names[str(k)]) for k in keys]
    with store.transaction():
        claims = load_claims(store, partner_id, [k for k, _ in wanted], likely_ids(partner_id, wanted))
        ids = assign_customer_ids(partner_id, wanted, claims.own, claims.is_taken, claims.give)
        record_ids(store, batch_id, dict(wanted), ids)
    return ids


def claim_follow_on_ids(store: Store, batch_id: str, partner_id: str, rows: Sequence[tuple[str, str, bool]],
                        bases: Mapping[str, FollowOnBase]) -> dict[str, dict[str, str]]:
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
