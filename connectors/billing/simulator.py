"""A LogiSense Billing (REST v10) system on loopback (DESIGN §6, §7).

It answers in the shapes LogiSense's developer documentation shows and refuses anything else, as a
strict server would:

- "Tokens & Authentication" (developer.logisense.com/docs/tokens): ``POST
  /AuthorizationServer/api/v10/Access/Login`` with form fields ``client_id``, ``client_secret``,
  ``grant_type=password`` answers ``access_token``, ``refresh_token``, ``token_type: "bearer"``,
  ``expires_in: 1800`` ("maximum value 1800 - 30 minutes"), ``audience``, ``.issued``, ``.expires``,
  ``actingOwnerId``.
- "PATCH, POST, PUT & DELETE": a POST answers ``{"trackingId", "type": "create", "results":
  {"totalCount", "items": [{"identity", "action": "created", "dtoTypeKey", "instance": {...}}]}}``.
- "API Logging": "LogiSense's response to bad requests includes all errors not just the first error
  found", each ``{"code": 10400000 (Number), "message"}``, beside ``trackingId`` and ``type``.
- "Search Requests": ``POST <resource>/Search`` with ``{"query": {"top" (1..10000, default 100),
  "search": [{"name", "operator", "value"}], "orderBy": [{"name", "direction"}], "pagination":
  {"pageNumber", "pageSize"}}}``, operators ``eq notEq lt ltEq gt gtEq contains``.
- Account v10: ``ownerId`` is read-only (one Owner per system); ``invoicerAccountId`` is real.
  Account/Parent v5 "represents the hierarchy connections between different accounts": the parent is
  set by creating that link, never by a field on Account. Contact v2 holds names and a contact type;
  e-mail and postal address are ContactPoints (ContactPointType v10: "email", "phone", "address").

Rules it enforces: login and token expiry (401 after ``token_life``), a link's parent exists and fits
the tiers (Enterprise under Partner, Customer under Enterprise), the invoicer is in the account's
owner chain, the package exists and is active, e-mail contact points are valid addresses and a US
address has a state. There is NO idempotency: a POST sent twice makes two objects.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from connectors.billing.simrules import (
    BAD_REQUEST,
    NOT_FOUND,
    SERVER_BUSY,
    TOO_MANY_REQUESTS,
    UNAUTHORIZED,
    ApiError,
    SimRules,
    parse_search,
)
from connectors.billing.simstore import OWNER_ID, RESOURCES, SimStore
from connectors.common.simhttp import Journal, Request, Response, SimApp

AUTH_PATH = "/AuthorizationServer/api/v10/Access/Login"
API_PREFIX = "/ResourceServer/api/v10/"
CREATES = ("Account", "Account/Parent", "Contact", "ContactPoint", "Account/Package")


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(body).encode(), headers=headers or {})


def _tracking() -> str:
    return str(uuid.uuid4())


def envelope(kind: str, items: list[dict[str, Any]], total: int | None = None) -> dict[str, Any]:
    count = len(items) if total is None else total
    return {"trackingId": _tracking(), "type": kind, "results": {"totalCount": count, "items": items}}


def created(dto: str, obj: dict[str, Any]) -> dict[str, Any]:
    """The documented create reply: the object sits under ``instance``."""
    return envelope("create", [{"identity": obj["identity"], "action": "created", "dtoTypeKey": dto, "instance": obj}])


def error_body(kind: str, errors: list[tuple[int, str]]) -> dict[str, Any]:
    return {"trackingId": _tracking(), "type": kind, "errors": [{"code": c, "message": m} for c, m in errors]}


def _kind(method: str, path: str) -> str:
    if path.endswith("/Search"):
        return "search"
    return {"POST": "create", "GET": "get", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}.get(method, "get")


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
        owner_name: str = "Hosted Voice",
    ) -> None:
        self.store = SimStore(state_path, packages, owner_name=owner_name)
        self.rules = SimRules(self.store)
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
            return _json(400, error_body("create", [(BAD_REQUEST, "grant_type must be password")]))
        ok_id = secrets.compare_digest(form.get("client_id", ""), self._client_id)
        ok_secret = secrets.compare_digest(form.get("client_secret", ""), self._client_secret)
        if not (ok_id and ok_secret):
            return _json(401, error_body("create", [(UNAUTHORIZED, "invalid client credentials")]))
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._tokens = {t: exp for t, exp in self._tokens.items() if exp > now}
            self._tokens[token] = now + self.token_life
            self.counts["logins"] += 1
        issued = datetime.now(UTC).replace(microsecond=0)
        life = int(self.token_life) if float(self.token_life).is_integer() else self.token_life
        return _json(
            200,
            {
                "access_token": token,
                "refresh_token": secrets.token_hex(16),
                "token_type": "bearer",
                "expires_in": life,
                "audience": self._client_id,
                ".issued": issued.isoformat().replace("+00:00", "Z"),
                ".expires": (issued + timedelta(seconds=float(self.token_life))).isoformat().replace("+00:00", "Z"),
                "actingOwnerId": OWNER_ID,
            },
        )

    def _authorized(self, req: Request) -> bool:
        auth = req.headers.get("authorization", "")
        if not auth.lower().startswith("bearer "):
            return False
        with self._lock:
            exp = self._tokens.get(auth[7:].strip())
        return exp is not None and exp > time.monotonic()

    # -- HTTP -----------------------------------------------------------------------------
    def transient_fault(self, request: Request) -> Response:
        kind = _kind(request.method, request.path)
        if self._rng.random() < self.rate_limit_share:
            # Rate limits: the documents name none; we answer 429 with Retry-After like most REST servers.
            body = error_body(kind, [(TOO_MANY_REQUESTS, "rate limit exceeded, retry later")])
            return _json(429, body, {"Retry-After": "1"})
        return _json(503, error_body(kind, [(SERVER_BUSY, "service temporarily unavailable")]))

    def handle(self, request: Request) -> Response:
        kind = _kind(request.method, request.path)
        try:
            if request.path == AUTH_PATH:
                if request.method != "POST":
                    raise ApiError(405, [(NOT_FOUND, "use POST")])
                return self._login(request)
            if not request.path.startswith(API_PREFIX):
                raise ApiError(404, [(NOT_FOUND, f"no such endpoint {request.path}")])
            if not self._authorized(request):
                self._bump("unauthorized")
                return _json(401, error_body(kind, [(UNAUTHORIZED, "token missing or expired")]))
            return self._route(request.method, request.path[len(API_PREFIX) :].strip("/"), request)
        except ApiError as exc:
            if exc.status == 400:
                self._bump("rejected")
            return _json(exc.status, error_body(kind, exc.errors))

    def _body(self, req: Request) -> dict[str, Any]:
        try:
            data = json.loads(req.body or b"{}")
        except ValueError as exc:
            raise ApiError(400, [(BAD_REQUEST, "request body is not JSON")]) from exc
        if not isinstance(data, dict):
            raise ApiError(400, [(BAD_REQUEST, "request body must be an object")])
        return data

    def _route(self, method: str, path: str, req: Request) -> Response:
        if method == "POST" and path.endswith("/Search") and path[: -len("/Search")] in RESOURCES:
            resource = path[: -len("/Search")]
            query = parse_search(self._body(req), RESOURCES[resource][1])
            total, items = self.store.search(resource, query.where, query.order, query.limit, query.offset)
            return _json(200, envelope("search", items, total))
        if method == "POST" and path in CREATES:
            obj = self.rules.create(path, self._body(req))
            self._bump("creates")
            return _json(200, created(RESOURCES[path][4], obj))
        m = re.fullmatch(r"Account/(\d+)", path)
        if method == "GET" and m:
            acc = self.store.account(int(m.group(1)))
            if acc is None:
                raise ApiError(404, [(NOT_FOUND, f"account {m.group(1)} does not exist")])
            return _json(200, envelope("get", [acc]))
        raise ApiError(404, [(NOT_FOUND, f"no such endpoint {method} {path}")])

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
                rbody = {**rbody, "access_token": "***", "refresh_token": "***"}
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
