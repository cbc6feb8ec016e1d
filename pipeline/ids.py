"""Give a staged batch's valid customers their BroadWorks ids, and claim them, before anything is sent."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from staging.ids import load_claims, record_ids
from staging.store import Store
from transforms.plan import assign_customer_ids, likely_ids


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
