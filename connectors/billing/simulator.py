"""A LogiSense-style billing system on loopback (DESIGN §6, §7).

It speaks the same REST protocol as the client expects and enforces the rules the real system does:
login and token expiry (401 after ``token_life``), parent exists, package exists and is active, the
invoicer is in the account's owner chain, a billing contact has a valid e-mail and US addresses a
state. Validation errors are reported all at once. There is NO idempotency: a POST sent twice makes
two objects, so the client's look-up-before-create is what keeps the state clean.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from connectors.billing.simstore import RESOURCES, SimStore
from connectors.common.simhttp import Journal, Request, Response, SimApp

AUTH_PATH = "/AuthorizationServer/api/v10/Access/Login"
API_PREFIX = "/ResourceServer/api/v10/"
ROLES = ("Partner", "Enterprise", "Customer")
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_OPS = {"eq": "=", "ne": "<>", "in": "IN", "gt": ">", "lt": "<", "gte": ">=", "lte": "<="}


class ApiError(Exception):
    def __init__(self, status: int, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(m for _, m in errors))
        self.status = status
        self.errors = errors


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(body).encode(), headers=headers or {})


def _envelope(kind: str, items: list[dict[str, Any]], total: int | None = None) -> Response:
    return _json(
        200,
        {
            "trackingId": str(uuid.uuid4()),
            "type": kind,
            "results": {"totalCount": len(items) if total is None else total, "items": items},
        },
    )


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


class BillingSim(SimApp):
    def __init__(
        self,
        state_path: Path,
        client_id: str,
        client_secret: str,
        *,
        packages: Iterable[str],
        token_life: float = 1800,
        journal: Path | None = None,
        rate_limit_share: float = 0.1,
    ) -> None:
        self.store = SimStore(state_path, packages)
        self._client_id = client_id
        self._client_secret = client_secret
        self.token_life = token_life
        self.journal = Journal(journal)
        self.rate_limit_share = rate_limit_share  # share of transient faults answered 429
        self._tokens: dict[str, float] = {}
        self._lock = threading.Lock()
        self._rng = random.Random()
        self.counts: dict[str, int] = {"logins": 0, "unauthorized": 0, "creates": 0, "rejected": 0}

    def close(self) -> None:
        self.store.close()

    def _bump(self, key: str) -> None:
        with self._lock:
            self.counts[key] = self.counts.get(key, 0) + 1

    # -- tokens ---------------------------------------------------------------------------
    def revoke_tokens(self) -> None:
        """Forget every token (as after a server restart): the next request gets a 401."""
        with self._lock:
            self._tokens.clear()

    def _login(self, req: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs(req.body.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != "password":
            return _json(400, {"errors": [{"code": "UnsupportedGrantType", "message": "grant_type must be password"}]})
        ok_id = secrets.compare_digest(form.get("client_id", ""), self._client_id)
        ok_secret = secrets.compare_digest(form.get("client_secret", ""), self._client_secret)
        if not (ok_id and ok_secret):
            return _json(401, {"errors": [{"code": "InvalidClient", "message": "invalid client credentials"}]})
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.token_life
            self.counts["logins"] += 1
        return _json(200, {"access_token": token, "token_type": "bearer", "expires_in": self.token_life})

    def _authorized(self, req: Request) -> bool:
        auth = req.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return False
        with self._lock:
            exp = self._tokens.get(auth[7:].strip())
        return exp is not None and exp > time.monotonic()

    # -- HTTP -----------------------------------------------------------------------------
    def transient_fault(self, request: Request) -> Response:
        if self._rng.random() < self.rate_limit_share:
            body = {"errors": [{"code": "TooManyRequests", "message": "rate limit exceeded, retry later"}]}
            return _json(429, body, {"Retry-After": "1"})
        return _json(503, {"errors": [{"code": "ServiceUnavailable", "message": "service temporarily unavailable"}]})

    def handle(self, request: Request) -> Response:
        try:
            if request.path == AUTH_PATH:
                if request.method != "POST":
                    raise ApiError(405, [("MethodNotAllowed", "use POST")])
                return self._login(request)
            if not request.path.startswith(API_PREFIX):
                raise ApiError(404, [("NotFound", f"no such endpoint {request.path}")])
            if not self._authorized(request):
                self._bump("unauthorized")
                return _json(401, {"errors": [{"code": "Unauthorized", "message": "token missing or expired"}]})
            return self._route(request.method, request.path[len(API_PREFIX) :].strip("/"), request)
        except ApiError as exc:
            if exc.status == 400:
                self._bump("rejected")
            return _json(exc.status, {"errors": [{"code": c, "message": m} for c, m in exc.errors]})

    def _body(self, req: Request) -> dict[str, Any]:
        try:
            data = json.loads(req.body or b"{}")
        except ValueError as exc:
            raise ApiError(400, [("InvalidJson", "request body is not JSON")]) from exc
        if not isinstance(data, dict):
            raise ApiError(400, [("InvalidJson", "request body must be an object")])
        return data

    def _route(self, method: str, path: str, req: Request) -> Response:
        if method == "POST" and path.endswith("/Search") and path[: -len("/Search")] in RESOURCES:
            return self._search(path[: -len("/Search")], self._body(req))
        if method == "POST" and path == "Account":
            return self._add_account(self._body(req))
        if method == "POST" and path == "Contact":
            return self._add_contact(self._body(req))
        if method == "POST" and path == "Account/Package":
            return self._add_package(self._body(req))
        m = re.fullmatch(r"Account/(\d+)", path)
        if method == "GET" and m:
            acc = self.store.account(int(m.group(1)))
            if acc is None:
                raise ApiError(404, [("NotFound", f"account {m.group(1)} does not exist")])
            return _envelope("get", [acc])
        m = re.fullmatch(r"Account/(\d+)/Package", path)
        if method == "GET" and m:
            total, items = self.store.search("Account/Package", [("p.account_id", "=", int(m.group(1)))], 10000, 0)
            return _envelope("get", items, total)
        raise ApiError(404, [("NotFound", f"no such endpoint {method} {path}")])

    # -- search ---------------------------------------------------------------------------
    def _search(self, resource: str, body: dict[str, Any]) -> Response:
        query = body.get("query")
        if not isinstance(query, dict):
            raise ApiError(400, [("InvalidQuery", 'body must be {"query": {...}}')])
        fields = RESOURCES[resource][1]
        errors: list[tuple[str, str]] = []
        top, skip = _int(query.get("top", 100)), _int(query.get("skip", 0))
        if top is None or not 1 <= top <= 10000:
            errors.append(("InvalidQuery", "top must be a whole number from 1 to 10000"))
        if skip is None or skip < 0:
            errors.append(("InvalidQuery", "skip must be a whole number >= 0"))
        where: list[tuple[str, str, Any]] = []
        for term in query.get("search") or []:
            name, op = (term.get("name"), term.get("operator", "eq")) if isinstance(term, dict) else (None, None)
            if name not in fields:
                errors.append(("InvalidQuery", f"cannot search {resource} by {name!r}"))
            elif op not in _OPS:
                errors.append(("InvalidQuery", f"unknown operator {op!r}"))
            else:
                value = term.get("value")
                if op == "in" and not isinstance(value, list):
                    errors.append(("InvalidQuery", "operator in needs a list value"))
                else:
                    where.append((fields[name], _OPS[op], value))
        if errors:
            raise ApiError(400, errors)
        total, items = self.store.search(resource, where, top or 100, skip or 0)
        return _envelope("search", items, total)

    # -- creates --------------------------------------------------------------------------
    def _add_account(self, b: dict[str, Any]) -> Response:
        errors: list[tuple[str, str]] = []
        name = b.get("name")
        role = b.get("accountTypeName")
        if not isinstance(name, str) or not name.strip():
            errors.append(("Required", "name is required"))
        elif len(name) > 100:
            errors.append(("InvalidValue", "name must be at most 100 characters"))
        if role not in ROLES:
            errors.append(("InvalidValue", f"accountTypeName must be one of {', '.join(ROLES)}"))
        parent_raw, invoicer_raw = b.get("parentAccountId"), b.get("invoicerAccountId")
        parent = _int(parent_raw) if parent_raw is not None else None
        parent_acc = None
        if role == "Partner" and parent_raw is not None:
            errors.append(("InvalidParent", "a Partner account has no parent"))
        elif role in ("Enterprise", "Customer"):
            parent_acc = self.store.account(parent) if parent is not None else None
            if parent_acc is None:
                errors.append(("InvalidParent", f"parent account {parent_raw!r} does not exist"))
            elif (role, parent_acc["accountTypeName"]) not in (("Enterprise", "Partner"), ("Customer", "Enterprise")):
                errors.append(
                    ("InvalidParent", f"a {role} account cannot be a child of a {parent_acc['accountTypeName']} account")
                )
        invoicer = _int(invoicer_raw) if invoicer_raw is not None else None
        if invoicer_raw is not None:
            # Same bill group: the invoicer must be in the new account's owner chain (below the partner).
            chain = self.store.ancestors(parent) if parent_acc is not None and parent is not None else []
            inv = self.store.account(invoicer) if invoicer is not None else None
            if inv is None:
                errors.append(("InvalidInvoicer", f"invoicer account {invoicer_raw!r} does not exist"))
            elif invoicer not in chain or inv["accountTypeName"] == "Partner":
                errors.append(("InvalidInvoicer", f"invoicer account {invoicer} is not in this account's bill group"))
        pw = b.get("portalPassword")
        if pw is not None and (not isinstance(pw, str) or not pw):
            errors.append(("InvalidValue", "portalPassword must be a non-empty string"))
        ref = b.get("externalReference")
        if ref is not None and not isinstance(ref, str):
            errors.append(("InvalidValue", "externalReference must be text"))
        if errors:
            raise ApiError(400, errors)
        acc = self.store.add_account(str(name).strip(), str(role), parent, invoicer, ref, pw)
        self._bump("creates")
        return _envelope("add", [acc])

    def _add_contact(self, b: dict[str, Any]) -> Response:
        errors: list[tuple[str, str]] = []
        account = _int(b.get("accountId"))
        if account is None or self.store.account(account) is None:
            errors.append(("InvalidValue", f"account {b.get('accountId')!r} does not exist"))
        ctype = b.get("contactTypeName") or "Billing"
        if ctype not in ("Billing", "Primary", "Technical"):
            errors.append(("InvalidValue", "contactTypeName must be Billing, Primary or Technical"))
        for f in ("firstName", "lastName", "address1", "city", "zip"):
            if not isinstance(b.get(f), str) or not b[f].strip():
                errors.append(("Required", f"{f} is required"))
        country = b.get("country") or "US"
        if country not in ("US", "CA"):
            errors.append(("InvalidValue", "country must be US or CA"))
        if country == "US" and not (isinstance(b.get("state"), str) and re.fullmatch(r"[A-Z]{2}", b["state"])):
            errors.append(("Required", "state is required for a US address (two letters)"))
        emails = b.get("emails")
        if not isinstance(emails, list) or not emails:
            errors.append(("Required", "a billing contact needs at least one e-mail address"))
        else:
            for e in emails:
                if not isinstance(e, str) or not _EMAIL.match(e):
                    errors.append(("InvalidEmail", f"invalid e-mail address {e!r}"))
        if errors:
            raise ApiError(400, errors)
        assert account is not None and isinstance(emails, list)
        contact = self.store.add_contact(account, ctype, b, [str(e) for e in emails])
        self._bump("creates")
        return _envelope("add", [contact])

    def _add_package(self, b: dict[str, Any]) -> Response:
        errors: list[tuple[str, str]] = []
        account = _int(b.get("accountId"))
        if account is None or self.store.account(account) is None:
            errors.append(("InvalidValue", f"account {b.get('accountId')!r} does not exist"))
        name = b.get("packageName")
        active = self.store.package_active(name) if isinstance(name, str) else None
        if active is None:
            errors.append(("InvalidPackage", f"package {name!r} does not exist"))
        elif not active:
            errors.append(("InactivePackage", f"package {name!r} is not active"))
        qty = _int(b.get("quantity", 1))
        if qty is None or qty < 1:
            errors.append(("InvalidValue", "quantity must be a whole number >= 1"))
        eff = b.get("effective")
        if not isinstance(eff, str) or not _DATE.match(eff):
            errors.append(("InvalidValue", "effective must be an ISO 8601 date"))
        if errors:
            raise ApiError(400, errors)
        assert account is not None and isinstance(name, str) and qty is not None and isinstance(eff, str)
        pkg = self.store.add_account_package(account, name, qty, eff[:10])
        self._bump("creates")
        return _envelope("add", [pkg])

    # -- journal --------------------------------------------------------------------------
    def journal_entry(self, request: Request, response: Response | None) -> tuple[Any, Any] | None:
        if self.journal.path is None:
            return None
        body: Any
        if request.path == AUTH_PATH:
            # The system's own log does not keep its clients' secrets or the tokens it hands out.
            form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
            body = {k: ("***" if k == "client_secret" else v) for k, v in form.items()}
        else:
            body = _decode(request.body)
        resp: Any = None
        if response is not None:
            rbody = _decode(response.body)
            if request.path == AUTH_PATH and isinstance(rbody, dict) and "access_token" in rbody:
                rbody = {**rbody, "access_token": "***"}
            resp = {"status": response.status, "body": rbody}
        return {"method": request.method, "path": request.path, "body": body}, resp


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
