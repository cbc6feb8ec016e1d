"""The journal every simulator shares: an answer dropped after commit is still logged, marked undelivered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.common.simhttp import Faults, Journal, Request, Response, SimApp, start_sim


class Counter(SimApp):
    """Applies every POST (a counter goes up) and answers with the new value."""

    def __init__(self, journal: Path) -> None:
        self.journal = Journal(journal)
        self.value = 0

    def handle(self, request: Request) -> Response:
        self.value += 1
        return Response(201, json.dumps({"value": self.value}).encode())

    def journal_entry(self, request: Request, response: Response | None) -> tuple[Any, Any] | None:
        body = None if response is None else {"status": response.status, "body": json.loads(response.body)}
        return {"method": request.method, "path": request.path, "body": None}, body


def test_dropped_answer_is_journaled_with_delivered_false(tmp_path: Path) -> None:
    journal = tmp_path / "sim.jsonl"
    app = Counter(journal)
    sim = start_sim(app, Faults())
    try:
        with httpx.Client(timeout=2.0) as http:
            assert http.post(sim.base_url + "/x").json() == {"value": 1}
            sim.faults.commit_timeout_rate = 1.0
            with pytest.raises(httpx.TransportError):
                http.post(sim.base_url + "/x")
    finally:
        sim.stop()
    assert app.value == 2  # applied, though never answered
    first, second = (json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines())
    assert set(first) == {"time", "request", "response"}  # a delivered answer: the DESIGN §7 shape
    assert second["delivered"] is False
    assert second["response"] == {"status": 201, "body": {"value": 2}}
