"""Rows of the billing simulator's store shaped as LogiSense API objects (Account v10, Account/Parent
v5, Contact v2, ContactPoint, Account/Package v10)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

OWNER_ID = 1  # "There is one Owner per system": every account's read-only ownerId


def _extensions(raw: str | None) -> dict[str, Any]:
    """``accounts.external_ref`` holds the account's custom fields as JSON (older state files: text)."""
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class Shapes:
    """Rows -> API objects (the owner's name is the one thing a shape needs from the system)."""

    def __init__(self, owner_name: str) -> None:
        self.owner_name = owner_name

    def account(self, r: Sequence[Any]) -> dict[str, Any]:
        return {
            "identity": r[0],
            "name": r[1],
            "accountTypeName": r[2],
            "ownerId": OWNER_ID,
            "ownerName": self.owner_name,
            "invoicerAccountId": r[7],
            "invoicerAccountName": r[8],
            "extensions": _extensions(r[9]),
            # Not a LogiSense property: the simulator's way to show a portal password arrived
            # without ever showing it (the client only reads it back in tests and reports).
            "hasPortalPassword": bool(r[10]),
            "created": r[11],
        }

    @staticmethod
    def parent(r: Sequence[Any]) -> dict[str, Any]:
        return {
            "identity": r[0],
            "accountId": r[0],
            "accountName": r[1],
            "parentAccountId": r[3],
            "parentAccountName": r[4],
            "topAccountId": r[5],
            "topAccountName": r[6],
        }

    @staticmethod
    def contact(r: Sequence[Any]) -> dict[str, Any]:
        return {
            "identity": r[0],
            "accountId": r[1],
            "contactTypeName": r[2],
            "firstName": r[3],
            "lastName": r[4],
            "name": " ".join(x for x in (r[3], r[4]) if x),
            "companyName": r[5],
            "created": r[6],
        }

    @staticmethod
    def point(r: Sequence[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"identity": r[0], "contactId": r[1], "contactPointTypeName": r[2]}
        if r[2] == "email":
            out["value"] = r[3]
        else:
            keys = ("address1", "address2", "city", "state", "zip", "country")
            out.update(dict(zip(keys, r[4:10], strict=True)))
        return out

    @staticmethod
    def package(r: Sequence[Any]) -> dict[str, Any]:
        return {
            "identity": r[0],
            "accountId": r[1],
            "accountName": r[2],
            "packageName": r[3],
            "name": r[3],
            "quantity": r[4],
            "effective": f"{r[5]}T00:00:00Z",
            "created": r[6],
        }

    @staticmethod
    def catalog(r: Sequence[Any]) -> dict[str, Any]:
        return {"identity": r[0], "name": r[0], "active": bool(r[1])}
