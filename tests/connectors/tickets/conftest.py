"""The tickets simulator as a real loopback server, and a client pointed at it."""

from __future__ import annotations

import json
import socketserver
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connectors.common.retry import RetryPolicy
from connectors.common.simhttp import Faults, RunningSim, start_sim
from connectors.tickets.client import TicketsClient
from connectors.tickets.simulator import TicketsSim

TOKEN = "sim-token-3f9a"
FAST = RetryPolicy(attempts=12, base_delay=0.005, max_delay=0.05)


class ScriptedFaults(Faults):
    """Faults decided in advance, request by request: (fault before applying, drop the answer)."""

    def __init__(self, script: list[tuple[bool, bool]]) -> None:
        super().__init__()
        self.script = list(script)

    def roll(self) -> tuple[bool, bool]:
        with self._lock:
            self.counts["requests"] += 1
            return self.script.pop(0) if self.script else (False, False)


@dataclass
class SimEnv:
    running: RunningSim
    sim: TicketsSim
    journal: Path

    @property
    def url(self) -> str:
        return self.running.base_url

    def client(self, token: str = TOKEN, retry: RetryPolicy = FAST) -> TicketsClient:
        return TicketsClient(self.url, token, timeout=5.0, retry=retry)

    def entries(self) -> list[dict[str, Any]]:
        if not self.journal.exists():
            return []
        return [json.loads(line) for line in self.journal.read_text(encoding="utf-8").splitlines()]

    def posts(self) -> int:
        return sum(1 for e in self.entries() if e["request"]["method"] == "POST")


StartSim = Callable[..., SimEnv]


@pytest.fixture
def start_tickets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StartSim]:
    # The stdlib handler writes headers and body in two segments; with Nagle on, loopback delayed
    # ACKs add ~40 ms to every request. Until simhttp sets this itself, switch it off for our servers.
    monkeypatch.setattr(socketserver.StreamRequestHandler, "disable_nagle_algorithm", True)
    started: list[RunningSim] = []

    def start(faults: Faults | None = None, *, state: Path | None = None, sim_cls: type[TicketsSim] = TicketsSim) -> SimEnv:
        journal = tmp_path / f"journal-{len(started)}.jsonl"
        sim = sim_cls(state or tmp_path / "sim" / "tickets.sqlite", TOKEN, journal=journal)
        running = start_sim(sim, faults)
        started.append(running)
        return SimEnv(running, sim, journal)

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def tickets(start_tickets: StartSim) -> SimEnv:
    return start_tickets()
