"""REST client for a LogiSense-style billing system (API v10).

One ``httpx.Client`` (a connection pool) is shared by every worker thread; the bearer token is
shared too and renewed under a lock, shortly before it expires or once after a 401.

Error typing (DESIGN §6): 401 -> one fresh login, then ``AuthError``; 429 / 503 -> ``TransientError``
(with Retry-After); other 5xx, timeouts and connection loss -> ``TransientError``, or ``InDoubtError``
when a state-changing request was already sent (the answer is lost, it may have been applied);
400/404/409/422 -> ``TerminalError`` carrying every message the server reported.

Rate limits: LogiSense's documents name none; a 429 is honoured with its Retry-After, as before.

``request`` never retries by itself (except the re-login); ``search``/``get``/``create`` wrap it in
``call_with_retry``; ``create`` takes a look-up so an in-doubt POST is looked up, never re-sent blindly
(the system has no idempotency key).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from connectors.billing.replies import ReplyError, created_instance, parse_errors, parse_page, parse_token
from connectors.common.errors import AuthError, InDoubtError, TerminalError, TransientError
from connectors.common.retry import RetryPolicy, RetryStats, call_with_retry

AUTH_PATH = "/AuthorizationServer/api/v10/Access/Login"
API_PATH = "/ResourceServer/api/v10"

Item = dict[str, Any]
Filters = Mapping[str, Any]


class NotFoundError(TerminalError):
    """404: the object asked for does not exist."""


@dataclass(frozen=True)
class Cond:
    """A search term other than ``eq``: ``{"created": Cond("gtEq", "2026-01-01")}``."""

    operator: str
    value: Any


OPERATORS = ("eq", "notEq", "lt", "ltEq", "gt", "gtEq", "contains")  # "Search Requests", developer.logisense.com
MAX_PAGE = 10000  # "Search Requests": top "in the range 1 to 10000"


def search_body(filters: Filters, *, page: int = 1, size: int = 100) -> dict[str, Any]:
    """``{"query": {"top", "search": [{"name", "operator", "value"}], "orderBy", "pagination"}}`` as
    "Search Requests" (developer.logisense.com) documents it; pages by ``pageNumber``/``pageSize``
    ("It is recommended that API developers ... use pagination"), ordered by identity so pages are stable."""
    if not 1 <= size <= MAX_PAGE or page < 1:
        raise ValueError(f"page {page} of size {size}: pages start at 1 and hold 1..{MAX_PAGE} items")
    terms = []
    for name, v in filters.items():
        for c in v if isinstance(v, list) else [v]:  # a list: several terms on one field (a range)
            op, value = (c.operator, c.value) if isinstance(c, Cond) else ("eq", c)
            if op not in OPERATORS:
                raise ValueError(f"operator {op!r} is not one of {OPERATORS}")
            terms.append({"name": name, "operator": op, "value": value})
    return {
        "query": {
            "top": size,
            "search": terms,
            "orderBy": [{"name": "identity", "direction": "asc"}],
            "pagination": {"pageNumber": page, "pageSize": size},
        }
    }


def _messages(resp: httpx.Response) -> tuple[str | None, str]:
    """(first code, every message joined) of an error answer ("API Logging": all errors at once)."""
    try:
        data = resp.json()
    except ValueError:
        return None, resp.text[:500] or f"HTTP {resp.status_code}"
    errors = parse_errors(data)
    if not errors:
        return None, f"HTTP {resp.status_code}"
    code = errors[0][0]
    return (str(code) if code is not None else None), "; ".join(m for _, m in errors if m)


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class BillingClient:
    """Thread-safe client; ``request_count`` counts every HTTP request sent (login included)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        pool_size: int = 32,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.retry = retry or RetryPolicy()
        self.stats = RetryStats()
        self._http = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size),
        )
        self._lock = threading.Lock()  # guards the counters
        self._auth_lock = threading.Lock()  # one login at a time
        self._token: str | None = None
        self._expires_at = 0.0
        self._requests = 0
        self.logins = 0

    def __repr__(self) -> str:  # never shows the secret or the token
        return f"BillingClient({self.base_url!r}, client_id={self._client_id!r})"

    # -- counters -------------------------------------------------------------------------
    @property
    def request_count(self) -> int:
        return self._requests

    def _count(self) -> None:
        with self._lock:
            self._requests += 1

    # -- token ----------------------------------------------------------------------------
    def _login_locked(self) -> None:
        self._count()
        try:
            resp = self._http.post(
                self.base_url + AUTH_PATH,
                data={
                    "grant_type": "password",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                },
            )
        except httpx.HTTPError as exc:  # a login changes nothing worth looking up
            raise TransientError(f"billing login failed: {type(exc).__name__}") from exc
        if resp.status_code == 429 or resp.status_code >= 500:
            raise TransientError(f"billing login: HTTP {resp.status_code}", retry_after=_retry_after(resp))
        if resp.status_code != 200:
            code, msg = _messages(resp)
            raise AuthError(f"billing login refused: {msg}", code=code)
        try:
            token, life = parse_token(resp.json())
        except ValueError:
            raise ReplyError("billing login answered something other than JSON") from None
        # Renew a little early so a request never leaves with a token about to lapse.
        margin = min(60.0, life * 0.1)
        self._token = token
        self._expires_at = time.monotonic() + life - margin
        self.logins += 1

    def _current_token(self) -> str:
        with self._auth_lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                self._login_locked()
            assert self._token is not None
            return self._token

    def _renew_after_401(self, rejected: str) -> str:
        with self._auth_lock:
            # Another worker may already have logged in again: use its token.
            if self._token == rejected or self._token is None:
                self._login_locked()
            assert self._token is not None
            return self._token

    def login(self) -> None:
        with self._auth_lock:
            self._login_locked()

    # -- one exchange ---------------------------------------------------------------------
    def _exchange(self, method: str, url: str, body: Any, token: str, mutating: bool) -> httpx.Response:
        self._count()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        try:
            return self._http.request(method, url, json=body, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Never reached the server: nothing can have been applied.
            raise TransientError(f"billing unreachable: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            if mutating:
                raise InDoubtError(f"billing {method} {url.rsplit(API_PATH, 1)[-1]}: answer lost") from exc
            raise TransientError(f"billing {method}: {type(exc).__name__}") from exc

    def request(self, method: str, resource: str, body: Any = None, *, mutating: bool | None = None) -> Item:
        """Send one request (re-login once on 401); return the decoded envelope or raise typed."""
        if mutating is None:
            mutating = method != "GET" and not resource.endswith("/Search")
        url = f"{self.base_url}{API_PATH}/{resource.lstrip('/')}"
        token = self._current_token()
        resp = self._exchange(method, url, body, token, mutating)
        if resp.status_code == 401:
            token = self._renew_after_401(token)
            resp = self._exchange(method, url, body, token, mutating)
            if resp.status_code == 401:
                code, msg = _messages(resp)
                raise AuthError(f"billing refused the token: {msg}", code=code)
        return self._decode(resp, mutating)

    def _decode(self, resp: httpx.Response, mutating: bool) -> Item:
        status = resp.status_code
        if 200 <= status < 300:
            data = resp.json()
            return data if isinstance(data, dict) else {"results": {"totalCount": 0, "items": []}}
        code, msg = _messages(resp)
        if status in (429, 503):  # answered before anything changed
            raise TransientError(f"billing busy: {msg}", code=code or str(status), retry_after=_retry_after(resp))
        if status >= 500:
            cls = InDoubtError if mutating else TransientError
            raise cls(f"billing error: {msg}", code=code or str(status))
        if status == 404:
            raise NotFoundError(msg, code=code or "404")
        raise TerminalError(msg, code=code or str(status))

    # -- with retries ---------------------------------------------------------------------
    def _retrying(self, fn: Callable[[], Item], lookup: Callable[[], Item | None] | None = None) -> Item:
        return call_with_retry(fn, self.retry, stats=self.stats, on_in_doubt=lookup)

    def search_page(self, resource: str, filters: Filters, *, page: int = 1, size: int = 100) -> tuple[int, list[Item]]:
        """(total matching, the items of page ``page``), ordered by identity."""
        body = search_body(filters, page=page, size=size)
        env = self._retrying(lambda: self.request("POST", f"{resource}/Search", body))
        return parse_page(env)

    def search(self, resource: str, filters: Filters, *, top: int = 100) -> list[Item]:
        return self.search_page(resource, filters, size=top)[1]

    def search_all(self, resource: str, filters: Filters, *, page: int = MAX_PAGE) -> list[Item]:
        """Every match, page after page (``pageNumber`` 1, 2, ...) of up to ``page`` items."""
        items: list[Item] = []
        number = 1
        while True:
            total, batch = self.search_page(resource, filters, page=number, size=page)
            items.extend(batch)
            if len(batch) < page or len(items) >= total:
                return items
            number += 1

    def get(self, resource: str) -> Item | None:
        """GET one object (first item); None when the system answers 404."""
        try:
            env = self._retrying(lambda: self.request("GET", resource))
        except NotFoundError:
            return None
        items = (env.get("results") or {}).get("items") or []
        return items[0] if items else None

    def create(self, resource: str, body: Mapping[str, Any], *, lookup: Callable[[], Item | None]) -> Item:
        """POST a new object and return it; when the answer is lost, ``lookup`` decides whether it was
        applied. "PATCH, POST, PUT & DELETE" (developer.logisense.com): the reply is ``{"trackingId",
        "type": "create", "results": {"items": [{"identity", "action": "created", "dtoTypeKey",
        "instance": {...the object...}}]}}``."""
        env = self._retrying(lambda: self.request("POST", resource, dict(body)), lookup=lambda: _wrap(lookup()))
        return created_instance(env, resource)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BillingClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _wrap(item: Item | None) -> Item | None:
    """A looked-up object in the shape ``create`` reads (a create-like envelope), or None."""
    if item is None:
        return None
    entry = {"identity": item.get("identity"), "action": "retrieved", "instance": item}
    return {"type": "lookup", "results": {"totalCount": 1, "items": [entry]}}
