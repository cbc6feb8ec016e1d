"""Zendesk-style tickets client (httpx), thread-safe.

Zendesk has no idempotency key for ticket creation: the same POST sent twice opens two tickets. So
every ticket we open carries an ``external_id`` (partner:account:kind[:detail]) and the client looks
it up (``GET /api/v2/tickets.json?external_id=...``) before it opens one, and again after a POST whose
answer was lost, before it sends that POST a second time.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import httpx

from connectors.common.errors import AuthError, ConnectorError, InDoubtError, TerminalError, TransientError
from connectors.common.retry import RetryPolicy, RetryStats, call_with_retry

T = TypeVar("T")
E = TypeVar("E", bound=ConnectorError)

TICKETS_PATH = "/api/v2/tickets.json"
SHOW_MANY_PATH = "/api/v2/tickets/show_many.json"
SHOW_MANY_MAX = 100  # "up to 100 tickets" per Show Multiple Tickets request (Zendesk API reference)
_LOCK_STRIPES = 64


@dataclass(frozen=True)
class Ticket:
    id: int
    external_id: str | None
    subject: str
    description: str
    status: str
    priority: str | None
    type: str | None
    tags: tuple[str, ...]
    created_at: str

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Ticket:
        return cls(
            id=int(d["id"]),
            external_id=d.get("external_id"),
            subject=str(d.get("subject") or ""),
            description=str(d.get("description") or ""),
            status=str(d.get("status") or ""),
            priority=d.get("priority"),
            type=d.get("type"),
            tags=tuple(d.get("tags") or ()),
            created_at=str(d.get("created_at") or ""),
        )


def _err(cls: type[E], message: str, **kw: Any) -> E:
    exc = cls(message, **kw)
    exc.system = "tickets"
    return exc


def _retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # an HTTP-date: fall back to our own backoff


def _zendesk_message(resp: httpx.Response) -> str:
    """Zendesk errors: ``{"error", "description", "details": {field: [{"description"}]}}``."""
    try:
        body = resp.json()
    except ValueError:
        return resp.text[:300] or resp.reason_phrase
    if not isinstance(body, dict):
        return str(body)[:300]
    parts: list[str] = []
    err = body.get("error")
    if isinstance(err, dict):  # some endpoints nest {"title", "message"}
        parts.append(str(err.get("message") or err.get("title") or ""))
    elif err:
        parts.append(str(err))
    if body.get("description"):
        parts.append(str(body["description"]))
    details = body.get("details")
    if isinstance(details, dict):
        for field_errors in details.values():
            for fe in field_errors if isinstance(field_errors, list) else [field_errors]:
                parts.append(str(fe.get("description") if isinstance(fe, dict) else fe))
    return ": ".join(p for p in parts if p) or resp.reason_phrase


class TicketsClient:
    """One client per process is enough: httpx's pool is thread-safe and so is every method here."""

    def __init__(self, base_url: str, token: str, *, timeout: float = 10.0, retry: RetryPolicy | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.retry = retry or RetryPolicy()
        self.stats = RetryStats()
        self._stats_lock = threading.Lock()
        # Two threads ensuring the same external_id must not both miss the look-up and both create:
        # a striped lock serialises them without a lock per key growing forever.
        self._stripes = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    def __repr__(self) -> str:  # never show the token
        return f"TicketsClient({self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TicketsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one HTTP exchange, errors typed ------------------------------------------------------------

    def _send(self, method: str, url: str, *, params: dict[str, Any] | None = None, json: Any = None) -> Any:
        applies = method not in ("GET", "HEAD")
        try:
            resp = self._http.request(method, url, params=params, json=json)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # Never reached the server: nothing can have been applied.
            raise _err(TransientError, f"tickets: cannot connect ({type(exc).__name__})") from exc
        except httpx.TransportError as exc:
            # Sent, but the answer was lost (read timeout, connection dropped): maybe applied.
            cls = InDoubtError if applies else TransientError
            raise _err(cls, f"tickets: no answer to {method} ({type(exc).__name__})") from exc
        return self._check(resp, applies)

    @staticmethod
    def _check(resp: httpx.Response, applies: bool) -> Any:
        status = resp.status_code
        if 200 <= status < 300:
            return resp.json() if resp.content else None
        msg = _zendesk_message(resp)
        code = str(status)
        if status == 401:
            raise _err(AuthError, f"tickets: token refused: {msg}", code=code)
        if status == 429:
            raise _err(TransientError, f"tickets: rate limited: {msg}", code=code, retry_after=_retry_after(resp))
        if status == 503:
            raise _err(TransientError, f"tickets: unavailable: {msg}", code=code, retry_after=_retry_after(resp))
        if status >= 500:
            # A 500/502/504 after a POST may come after the commit: look up before sending it again.
            cls = InDoubtError if applies else TransientError
            raise _err(cls, f"tickets: server error: {msg}", code=code, retry_after=_retry_after(resp))
        raise _err(TerminalError, f"tickets: rejected: {msg}", code=code)

    def _retrying(self, fn: Callable[[], T], stats: RetryStats | None, on_in_doubt: Callable[[], T | None] | None = None) -> T:
        local = RetryStats()
        try:
            return call_with_retry(fn, self.retry, stats=local, on_in_doubt=on_in_doubt)
        finally:
            with self._stats_lock:
                self.stats.retries += local.retries
                self.stats.in_doubt += local.in_doubt
            if stats is not None:
                stats.retries += local.retries
                stats.in_doubt += local.in_doubt

    # -- reads --------------------------------------------------------------------------------------

    def _pages(self, params: dict[str, Any], stats: RetryStats | None = None) -> Iterator[Ticket]:
        url: str | None = TICKETS_PATH
        query: dict[str, Any] | None = params
        while url is not None:
            body = self._retrying(partial(self._send, "GET", url, params=query), stats)
            for t in body.get("tickets", ()):
                yield Ticket.from_json(t)
            # Zendesk's next_page is an absolute URL carrying every parameter.
            url, query = body.get("next_page"), None

    def find_tickets(self, external_id: str, *, stats: RetryStats | None = None) -> list[Ticket]:
        """Every ticket with this external_id (Zendesk's list-by-external-id), oldest first."""
        found = [t for t in self._pages({"external_id": external_id}, stats) if t.external_id == external_id]
        return sorted(found, key=lambda t: t.id)

    def find_ticket(self, external_id: str, *, stats: RetryStats | None = None) -> Ticket | None:
        """The oldest ticket with this external_id (duplicates opened by others: the first one wins)."""
        found = self.find_tickets(external_id, stats=stats)
        return found[0] if found else None

    def get_ticket(self, ticket_id: int) -> Ticket | None:
        try:
            body = self._retrying(lambda: self._send("GET", f"/api/v2/tickets/{int(ticket_id)}.json"), None)
        except TerminalError as exc:
            if exc.code == "404":
                return None
            raise
        return Ticket.from_json(body["ticket"])

    def show_many(self, ticket_ids: Sequence[int], *, stats: RetryStats | None = None) -> list[Ticket]:
        """The tickets of these ids, 100 per request: Zendesk's "Show Multiple Tickets",
        ``GET /api/v2/tickets/show_many?ids={ids}`` ("a comma-separated list of ticket ids ... up to 100
        tickets", developer.zendesk.com ticket-management/tickets). An id it does not return is gone."""
        out: list[Ticket] = []
        ids = [int(i) for i in dict.fromkeys(ticket_ids)]
        for start in range(0, len(ids), SHOW_MANY_MAX):
            part = ",".join(str(i) for i in ids[start:start + SHOW_MANY_MAX])
            body = self._retrying(partial(self._send, "GET", SHOW_MANY_PATH, params={"ids": part}), stats)
            out += [Ticket.from_json(t) for t in body.get("tickets", ())]
        return out

    def list_tickets(self, *, per_page: int = 100) -> list[Ticket]:
        """Every ticket, page by page (read-back for reconciliation and tests)."""
        return list(self._pages({"page": 1, "per_page": per_page}))

    # -- writes -------------------------------------------------------------------------------------

    def create_ticket(
        self,
        external_id: str,
        subject: str,
        body: str,
        tags: Iterable[str] = (),
        *,
        priority: str = "normal",
        ticket_type: str = "task",
    ) -> Ticket:
        """One POST, no retry and no look-up: use ``ensure_ticket`` unless you mean a new ticket."""
        payload = {
            "ticket": {
                "subject": subject,
                "comment": {"body": body},
                "external_id": external_id,
                "tags": list(tags),
                "priority": priority,
                "type": ticket_type,
            }
        }
        answer = self._send("POST", TICKETS_PATH, json=payload)
        return Ticket.from_json(answer["ticket"])

    def ensure_ticket(
        self,
        external_id: str,
        subject: str,
        body: str,
        tags: Iterable[str] = (),
        *,
        priority: str = "normal",
        ticket_type: str = "task",
        stats: RetryStats | None = None,
    ) -> tuple[int, bool]:
        """(ticket id, created): the existing ticket for ``external_id``, else a new one.

        Transient failures are retried; a POST whose answer was lost is followed by a look-up, and
        only when that finds nothing is the POST sent again. ``created`` is True when this call
        opened the ticket (even if its answer was lost and the look-up found it).
        """
        tags = list(tags)
        lock = self._stripes[zlib.crc32(external_id.encode("utf-8")) % _LOCK_STRIPES]
        with lock:
            existing = self.find_ticket(external_id, stats=stats)
            if existing is not None:
                return existing.id, False

            def post() -> int:
                new = self.create_ticket(external_id, subject, body, tags, priority=priority, ticket_type=ticket_type)
                return new.id

            def recheck() -> int | None:
                found = self.find_ticket(external_id, stats=stats)
                return found.id if found is not None else None

            return self._retrying(post, stats, on_in_doubt=recheck), True
