"""Checks on the workbook as a whole and on what our own reports put in it: NO_CUSTOMERS, PASSWORD_MASKED.

Our error workbook masks every password (DESIGN §8) and invites the partner to fix that file and send it
back; the masked cell must then never become the customer's portal password (DESIGN §3).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from data.sheets import PASSWORD_MASK
from transforms.normalize import NormalizedOrder
from validators.findings import Finding

# Our mask is eight asterisks; a partner editing the copy may add or drop one. A password made of
# asterisks alone is never one a clerk chose on purpose, so any run of three or more counts as the mask.
_MASKED = re.compile(r"\*{3,}")
assert _MASKED.fullmatch(PASSWORD_MASK)


def is_masked(value: str) -> bool:
    return bool(_MASKED.fullmatch(value.strip()))


def password_findings(order: NormalizedOrder) -> list[Finding]:
    cust = order.sheets["Customers"]
    if cust.empty:
        return []
    masked = cust[cust["password"].str.strip().str.fullmatch(_MASKED.pattern).fillna(False).astype(bool)]
    return [Finding.of("PASSWORD_MASKED", "Customers", row, "Password",
                       f"Password holds '{value}', the mask our error report writes in place of a password: type "
                       "the customer's billing portal password again (the .held-back.xlsx file we sent keeps the "
                       "passwords as you typed them).", acct, value)
            for row, acct, value in zip(masked["_row"], masked["account_name"], masked["password"], strict=True)]


def no_customers_findings(order: NormalizedOrder) -> list[Finding]:
    if not order.sheets["Customers"].empty:
        return []
    return [Finding.of("NO_CUSTOMERS", "Customers", 1, None,
                       "The Customers sheet holds no customer rows, so nothing can be onboarded: add one row per "
                       "new customer under the header (see the template's Example sheet) and upload again.", "")]


def validation_fails(customers: Mapping[str, int], findings: Iterable[Mapping[str, Any]]) -> bool:
    """Whether ``validate`` exits 1 (DESIGN §7): customers held back, or nothing to onboard at all
    (NO_CUSTOMERS: "0 customers" is not a success). Takes the ``validate --json`` document's parts."""
    return bool(customers.get("held")) or any(f.get("code") == "NO_CUSTOMERS" for f in findings)
