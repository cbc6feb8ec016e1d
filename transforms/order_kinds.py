"""Customers.Order, Enterprise Account and Create Admin (issue 19, DESIGN §3): one Customers row is one order.

``New Customer`` (blank, the default) makes an enterprise + group 1 + two billing accounts; ``New Group``
adds a group (another location) under an enterprise this partner onboarded earlier; ``Add Services`` adds
package lines (and DIDs) to a customer (group) onboarded earlier. The normalized frame carries the kind as
``new_customer`` | ``new_group`` | ``add_services``; unrecognized text stays as written and validation
answers INVALID_FORMAT at Customers.Order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import pandas as pd

from data.sheets import header_key

NEW_CUSTOMER = "new_customer"
NEW_GROUP = "new_group"
ADD_SERVICES = "add_services"
ORDER_KINDS = (NEW_CUSTOMER, NEW_GROUP, ADD_SERVICES)

# header_key spellings: "New Group", "new-group", "NEW_GROUP", "Add Service(s)"; the internal names too
KINDS = {
    "": NEW_CUSTOMER,
    "newcustomer": NEW_CUSTOMER,
    "new": NEW_CUSTOMER,
    "newgroup": NEW_GROUP,
    "newlocation": NEW_GROUP,
    "addservices": ADD_SERVICES,
    "addservice": ADD_SERVICES,
}
T = TypeVar("T")
YES = frozenset({"yes", "y", "true"})
NO = frozenset({"", "no", "n", "false"})


def order_kind(text: str) -> str:
    """'New Group' -> 'new_group'; blank -> 'new_customer'; anything else stays as written (a finding)."""
    return KINDS.get(header_key(text or ""), (text or "").strip())


def yes(text: object) -> bool:
    """Create Admin: yes / y / true (any case) -> True; anything else (blank, no, ...) -> False."""
    if isinstance(text, bool):
        return text
    return str(text or "").strip().casefold() in YES


def is_yes_no(text: str) -> bool:
    return text.strip().casefold() in YES | NO


def _distinct(s: pd.Series, fn: Callable[[str], T], dtype: str) -> pd.Series:
    """``fn`` once per distinct value (a 100k-customer book has a handful of Order spellings)."""
    codes, uniques = pd.factorize(s.astype("str"), use_na_sentinel=False)
    mapped = pd.Series([fn(u) for u in uniques.tolist()], dtype=dtype)
    return pd.Series(mapped.to_numpy()[codes] if len(codes) else [], index=s.index, name=s.name, dtype=dtype)


def yes_no_text(s: pd.Series) -> pd.Series:
    """Whether each Create Admin cell says yes or no (or is blank)."""
    return _distinct(s, is_yes_no, "bool")


def normalize_customers(frame: pd.DataFrame) -> None:
    """In place: ``order_kind`` as a kind, ``create_admin`` as a bool, ``enterprise_account`` trimmed."""
    frame["order_kind"] = _distinct(frame["order_kind"], order_kind, "str")
    frame["create_admin"] = _distinct(frame["create_admin"], yes, "bool").astype(bool)
    frame["enterprise_account"] = frame["enterprise_account"].astype("str").str.strip()
