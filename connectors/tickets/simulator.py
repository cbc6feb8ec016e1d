"""A Zendesk-style tickets server for loopback use (tests, demo, ``onboard sim tickets``).

Speaks the subset we use: create (``POST /api/v2/tickets.json``), list with offset pagination,
list by external_id, show one. Like Zendesk it does *not* dedupe on external_id: a blind retry opens a
second ticket, which is exactly what the client must avoid. State lives in SQLite so it outlives a run.
"""

from __future__ import annotations

import hmac
import json
import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlencode

from connectors.common.simhttp import Journal, Request, Response, SimApp

PRIORITIES = ("urgent", "high", "normal", "low")
TYPES = ("problem", "incident", "question", "task")
MAX_PER_PAGE = 100
_SHOW = re.compile(r"^/api/v2/tickets/(\d+)\.json$")
_LIST = "/api/v2/tickets.json"
_SHOW_MANY = ("/api/v2/tickets/show_many.json", "/api/v2/tickets/show_many")
SHOW_MANY_MAX = 100  # Zendesk's Show Multiple Tickets returns "up to 100" records: more ids are refused here

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id TEXT,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT,
    type TEXT,
    tags TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_external_id ON tickets (external_id);
"""


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(body).encode("utf-8"), headers=headers or {})


def _invalid(field: str, description: str, error: str = "InvalidValue") -> Response:
    return _json(
        422,
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {field: [{"description": description, "error": error}]},
        },
    )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tags(raw: Any) -> list[str] | None:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
        return None
    out: list[str] = []
    for t in raw:  # Zendesk: lower case, a space splits... we keep it one tag with underscores
        tag = re.sub(r"\s+", "_", t.strip().lower())
        if tag and tag not in out:
            out.append(tag)
    return out


class TicketsSim(SimApp):
    def __init__(self, state_path: Path, token: str, *, journal: Path | None = None) -> None:
        self.state_path = state_path
        self._token = token
        self.journal = Journal(journal)
        state_path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(state_path), check_same_thread=False, isolation_level=None)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # an acknowledged ticket survives a crash
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- the protocol -------------------------------------------------------------------------------

    def transient_fault(self, request: Request) -> Response:
        return _json(503, {"error": "ServiceUnavailable", "description": "Service temporarily unavailable"})

    def handle(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "")
        if not hmac.compare_digest(auth.encode("utf-8"), f"Bearer {self._token}".encode()):
            return _json(401, {"error": "Couldn't authenticate you"})
        if request.path == _LIST and request.method == "POST":
            return self._create(request)
        if request.path == _LIST and request.method == "GET":
            return self._list(request)
        if request.path in _SHOW_MANY and request.method == "GET":
            return self._show_many(request)
        m = _SHOW.match(request.path)
        if m and request.method == "GET":
            ticket = self._get(int(m.group(1)), request)
            if ticket is None:
                return _json(404, {"error": "RecordNotFound", "description": "Not found"})
            return _json(200, {"ticket": ticket})
        return _json(404, {"error": "InvalidEndpoint", "description": "Not found"})

    def journal_entry(self, request: Request, response: Response | None) -> tuple[Any, Any] | None:
        path = request.path
        if request.query:
            path += "?" + urlencode(request.query, doseq=True)
        req = {"method": request.method, "path": path, "body": _body_value(request.body)}
        resp = None if response is None else {"status": response.status, "body": _body_value(response.body)}
        return req, resp

    def _create(self, request: Request) -> Response:
        try:
            payload = json.loads(request.body or b"null")
        except ValueError:
            return _json(400, {"error": "InvalidJSON", "description": "The request body is not valid JSON"})
        ticket = payload.get("ticket") if isinstance(payload, dict) else None
        if not isinstance(ticket, dict):
            return _json(400, {"error": "ParameterMissing", "description": "Parameter ticket is required"})
        comment = ticket.get("comment")
        body = comment.get("body") if isinstance(comment, dict) else ticket.get("description")
        if not isinstance(body, str) or not body.strip():
            return _invalid("description", "Description: cannot be blank", "BlankValue")
        priority, kind = ticket.get("priority"), ticket.get("type")
        if priority is not None and priority not in PRIORITIES:
            return _invalid("priority", f"Priority: {priority} is not valid")
        if kind is not None and kind not in TYPES:
            return _invalid("type", f"Type: {kind} is not valid")
        external_id = ticket.get("external_id")
        if external_id is not None and (not isinstance(external_id, str) or len(external_id) > 255):
            return _invalid("external_id", "External ID: must be a string of at most 255 characters")
        tags = _tags(ticket.get("tags"))
        if tags is None:
            return _invalid("tags", "Tags: must be a list of strings")
        subject = ticket.get("subject")
        subject = subject if isinstance(subject, str) and subject.strip() else body.strip().splitlines()[0][:80]
        now = _now()
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO tickets (external_id, subject, description, status, priority, type, tags, created_at,"
                " updated_at) VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?)",
                (external_id, subject, body, priority, kind, json.dumps(tags), now, now),
            )
            new_id = int(cur.lastrowid or 0)
        created = self._get(new_id, request)
        assert created is not None
        audit = {"id": new_id, "ticket_id": new_id, "created_at": now, "events": [{"type": "Create"}]}
        return _json(201, {"ticket": created, "audit": audit}, {"Location": created["url"]})

    def _list(self, request: Request) -> Response:
        def one(name: str, default: int) -> int:
            try:
                return int(request.query.get(name, [str(default)])[0])
            except ValueError:
                return default

        page = max(one("page", 1), 1)
        per_page = min(max(one("per_page", MAX_PER_PAGE), 1), MAX_PER_PAGE)
        where, args = "", cast(tuple[str, ...], ())
        external_id = request.query.get("external_id", [None])[0]
        if external_id is not None:
            where, args = "WHERE external_id = ?", (external_id,)
        with self._lock:
            total = int(self._db.execute(f"SELECT count(*) FROM tickets {where}", args).fetchone()[0])
            rows = self._db.execute(
                f"SELECT * FROM tickets {where} ORDER BY id LIMIT ? OFFSET ?",
                (*args, per_page, (page - 1) * per_page),
            ).fetchall()

        def link(p: int) -> str:
            params: dict[str, Any] = {"page": p, "per_page": per_page}
            if external_id is not None:
                params["external_id"] = external_id
            return f"{_origin(request)}{_LIST}?{urlencode(params)}"

        return _json(
            200,
            {
                "tickets": [self._row(r, request) for r in rows],
                "next_page": link(page + 1) if page * per_page < total else None,
                "previous_page": link(page - 1) if page > 1 else None,
                "count": total,
            },
        )

    def _show_many(self, request: Request) -> Response:
        raw = ",".join(request.query.get("ids", []))
        parts = [p.strip() for p in raw.split(",") if p.strip()]
        # The reference documents the limit, not the answer to a request over it: a 400 with Zendesk's usual
        # error body is our assumption (no public page shows it); the client never sends more.
        if not parts or not all(p.isdigit() for p in parts):
            return _json(400, {"error": "InvalidValue", "description": "ids: a comma-separated list of ticket ids"})
        if len(parts) > SHOW_MANY_MAX:
            return _json(400, {"error": "InvalidValue", "description": f"ids: at most {SHOW_MANY_MAX} ticket ids"})
        ids = [int(p) for p in parts]
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self._db.execute(f"SELECT * FROM tickets WHERE id IN ({marks}) ORDER BY id", ids).fetchall()
        return _json(200, {"tickets": [self._row(r, request) for r in rows], "next_page": None, "previous_page": None,
                           "count": len(rows)})

    def _get(self, ticket_id: int, request: Request) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return None if row is None else self._row(row, request)

    @staticmethod
    def _row(row: tuple[Any, ...], request: Request) -> dict[str, Any]:
        tid, external_id, subject, description, status, priority, kind, tags, created, updated = row
        return {
            "id": tid,
            "url": f"{_origin(request)}/api/v2/tickets/{tid}.json",
            "external_id": external_id,
            "subject": subject,
            "raw_subject": subject,
            "description": description,
            "status": status,
            "priority": priority,
            "type": kind,
            "tags": json.loads(tags),
            "created_at": created,
            "updated_at": updated,
        }

    # -- for tests and read-back without HTTP ---------------------------------------------------------

    def tickets(self, external_id: str | None = None) -> list[dict[str, Any]]:
        """Stored tickets (all, or those with one external_id), oldest first."""
        sql, args = "SELECT * FROM tickets", cast(tuple[str, ...], ())
        if external_id is not None:
            sql, args = sql + " WHERE external_id = ?", (external_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        fake = Request("GET", _LIST, {}, {"host": "127.0.0.1"}, b"")
        return [self._row(r, fake) for r in rows]


def _origin(request: Request) -> str:
    return "http://" + request.headers.get("host", "127.0.0.1")


def _body_value(raw: bytes) -> Any:
    """A body for the journal: its JSON value, else its text, else None."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", errors="replace")
