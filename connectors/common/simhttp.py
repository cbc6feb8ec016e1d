"""A small threaded HTTP server that simulators build on.

It gives every simulator the same fault knobs (DESIGN §6/§7):

- ``latency_ms``: every request is held this long before it is handled;
- ``fault_rate``: share of requests answered with a transient fault *before* anything changes;
- ``commit_timeout_rate``: share of requests that are applied and then left unanswered (the
  connection is closed without a response, so the client cannot know whether it worked).

The stdlib server is used (not an ASGI stack) because "apply, then drop the connection" is the
fault we most need to reproduce and ASGI servers always answer something.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Faults:
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    commit_timeout_rate: float = 0.0
    seed: int | None = None
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    counts: dict[str, int] = field(default_factory=lambda: {"requests": 0, "faults": 0, "commit_timeouts": 0})
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.seed is not None:
            self._rng.seed(self.seed)

    def roll(self) -> tuple[bool, bool]:
        """(fault before applying, drop the answer after applying) for one request."""
        with self._lock:
            self.counts["requests"] += 1
            fault = self._rng.random() < self.fault_rate
            drop = (not fault) and self._rng.random() < self.commit_timeout_rate
            if fault:
                self.counts["faults"] += 1
            if drop:
                self.counts["commit_timeouts"] += 1
            return fault, drop


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class Journal:
    """Appends one JSON object per line: ``{"time", "request", "response"}`` (DESIGN §7).

    An answer the system produced but never delivered (timeout after commit) is still written, with
    ``"delivered": false`` beside it: the system's own log must tell an applied add from a refused one.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, request: Any, response: Any, *, delivered: bool = True) -> None:
        if self.path is None:
            return
        entry: dict[str, Any] = {"time": datetime.now(UTC).isoformat(), "request": request, "response": response}
        if not delivered:
            entry["delivered"] = False
        line = json.dumps(entry, ensure_ascii=False)
        # 0600: the journal holds what the requests held (DESIGN §5, issue 14)
        with self._lock, open(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "a",
                              encoding="utf-8") as fh:
            fh.write(line + "\n")


class SimApp:
    """What a simulator implements. ``handle`` runs after the fault roll said "go ahead".

    ``transient_fault`` is the answer a real server gives when it is overloaded or its back end is
    unreachable; subclasses shape it the way their system does.
    """

    journal: Journal = Journal(None)

    def handle(self, request: Request) -> Response:  # pragma: no cover - interface
        raise NotImplementedError

    def transient_fault(self, request: Request) -> Response:
        return Response(503, b'{"errors": [{"code": 503, "message": "Service temporarily unavailable"}]}')

    def journal_entry(self, request: Request, response: Response | None) -> tuple[Any, Any] | None:
        """What the journal records for one exchange; None records nothing."""
        return None


def _make_handler(app: SimApp, faults: Faults) -> type[BaseHTTPRequestHandler]:
    from urllib.parse import parse_qs, urlsplit

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in separate writes; with Nagle + delayed ACK each request would wait ~40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: the journal is the log

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            req = Request(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            if faults.latency_ms:
                time.sleep(faults.latency_ms / 1000.0)
            fault, drop = faults.roll()
            resp = app.transient_fault(req) if fault else app.handle(req)
            entry = app.journal_entry(req, resp)
            if entry is not None:
                app.journal.write(entry[0], entry[1], delivered=not drop)
            if drop:
                # Applied, but the answer never leaves: the client sees the connection close.
                self.close_connection = True
                return
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
            for k, v in resp.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(resp.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


@dataclass
class RunningSim:
    server: ThreadingHTTPServer
    thread: threading.Thread
    app: SimApp
    faults: Faults

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        close: Callable[[], None] | None = getattr(self.app, "close", None)
        if close is not None:
            close()


def start_sim(app: SimApp, faults: Faults | None = None, *, host: str = "127.0.0.1", port: int = 0) -> RunningSim:
    """Serve ``app`` on loopback in a background thread; port 0 picks a free port."""
    faults = faults or Faults()
    server = _Server((host, port), _make_handler(app, faults))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"sim-{type(app).__name__}", daemon=True
    )
    thread.start()
    return RunningSim(server, thread, app, faults)


def serve_forever(app: SimApp, faults: Faults, *, host: str = "127.0.0.1", port: int = 0) -> None:
    """Run in the foreground until interrupted (``onboard sim ...``)."""
    server = _Server((host, port), _make_handler(app, faults))
    print(f"listening on http://{host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
