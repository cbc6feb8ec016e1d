"""The shapes LogiSense's REST v10 answers in, parsed strictly (pure functions: the fixtures in
``tests/connectors/billing/fixtures`` are parsed with these, and so is every live answer).

- "Tokens & Authentication": ``{"access_token", "refresh_token", "token_type": "bearer",
  "expires_in": 1800, ...}`` (an older page shows ``expires_in`` as text, ``"1800"``).
- "PATCH, POST, PUT & DELETE": a create answers ``{"trackingId", "type": "create", "results":
  {"totalCount", "items": [{"identity", "action": "created", "dtoTypeKey", "instance": {...}}]}}``.
- "Search Requests": ``{"trackingId", "type", "results": {"totalCount", "items": [...objects]}}``.
- "API Logging": errors are ``{"errors": [{"code": 10400000, "message": "..."}]}``, all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.common.errors import TerminalError

Item = dict[str, Any]
MAX_TOKEN_LIFE = 1800.0  # "Tokens": "maximum value 1800 - 30 minutes"


class ReplyError(TerminalError):
    """An answer in a shape the documents do not show: nothing in it can be trusted."""


def parse_token(body: Any) -> tuple[str, float]:
    """(access token, lifetime in seconds) from a login answer."""
    if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise ReplyError("billing login answered without an access_token")
    if str(body.get("token_type", "bearer")).lower() != "bearer":
        raise ReplyError(f"billing login answered token_type {body.get('token_type')!r}, not bearer")
    try:
        life = float(body.get("expires_in") or MAX_TOKEN_LIFE)
    except (TypeError, ValueError):
        raise ReplyError(f"billing login answered expires_in {body.get('expires_in')!r}") from None
    return body["access_token"], min(life, MAX_TOKEN_LIFE) if life > 0 else MAX_TOKEN_LIFE


def parse_errors(body: Any) -> list[tuple[int | None, str]]:
    """Every (code, message) of an error answer; codes are numbers (None when one is missing)."""
    errors = body.get("errors") if isinstance(body, Mapping) else None
    out: list[tuple[int | None, str]] = []
    for e in errors if isinstance(errors, list) else []:
        if isinstance(e, Mapping):
            code = e.get("code")
            out.append((code if isinstance(code, int) and not isinstance(code, bool) else None, str(e.get("message", ""))))
    return out


def parse_page(env: Any) -> tuple[int, list[Item]]:
    """(total matching, this page's objects) of a search answer."""
    results = env.get("results") if isinstance(env, Mapping) else None
    if not isinstance(results, Mapping) or not isinstance(results.get("items", []), list):
        raise ReplyError("billing answered a search without results.items")
    items = [dict(i) for i in results.get("items") or [] if isinstance(i, Mapping)]
    try:
        total = int(results.get("totalCount", len(items)))
    except (TypeError, ValueError):
        raise ReplyError(f"billing answered totalCount {results.get('totalCount')!r}") from None
    return total, items


def created_instance(env: Any, resource: str = "object") -> Item:
    """The object of a create answer (under ``instance``)."""
    _total, items = parse_page(env)
    if not items:
        raise ReplyError(f"billing created {resource} but returned no item")
    instance = items[0].get("instance")
    if not isinstance(instance, Mapping) or "identity" not in instance:
        raise ReplyError(f"billing created {resource} but its answer holds no instance with an identity")
    return dict(instance)
