"""Customers.Order and Create Admin as the plans read them (issue 19).

Engineer A owns the workbook contract (ingest, normalize, validation); this module is the mapping the
follow-on provisioning needs, kept in one place so the two branches meet in one function.
"""

from __future__ import annotations

import pandas as pd

from core.order import ADD_SERVICES, NEW_CUSTOMER, NEW_GROUP
from data.sheets import header_key

KINDS = {
    "": NEW_CUSTOMER,
    "newcustomer": NEW_CUSTOMER,
    "newgroup": NEW_GROUP,
    "addservices": ADD_SERVICES,
    "addservice": ADD_SERVICES,
}
YES = frozenset({"yes", "y", "true", "1"})


def order_kind(text: str) -> str:
    """'New Group' -> 'new_group'; blank -> 'new_customer'; anything else stays as written (a finding)."""
    return KINDS.get(header_key(text or ""), text)


def yes(text: object) -> bool:
    if isinstance(text, bool):
        return text
    return str(text or "").strip().casefold() in YES


def normalize_customers(frame: pd.DataFrame) -> None:
    """In place: ``order_kind`` as a kind, ``create_admin`` as a bool, ``enterprise_account`` trimmed."""
    frame["order_kind"] = frame["order_kind"].map(order_kind).astype("str")
    frame["create_admin"] = frame["create_admin"].map(yes).astype(bool)
    frame["enterprise_account"] = frame["enterprise_account"].astype("str").str.strip()
