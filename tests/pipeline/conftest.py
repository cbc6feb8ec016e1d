"""Flow-level fixtures: the three simulators as real loopback servers, and settings pointing at them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from connectors.billing.simulator import BillingSim
from connectors.broadworks.simulator import ENDPOINT, BroadWorksSim
from connectors.common.simhttp import Faults, RunningSim, start_sim
from connectors.systems import billing_packages
from connectors.tickets.simulator import TicketsSim
from core.settings import SIM_SECRET, SIM_USER, Settings
from data.samples.generate import sample_rows, write_xlsx


@dataclass
class Sims:
    broadworks: RunningSim
    billing: RunningSim
    tickets: RunningSim

    @property
    def bw(self) -> BroadWorksSim:
        app = self.broadworks.app
        assert isinstance(app, BroadWorksSim)
        return app

    @property
    def bl(self) -> BillingSim:
        app = self.billing.app
        assert isinstance(app, BillingSim)
        return app

    @property
    def tk(self) -> TicketsSim:
        app = self.tickets.app
        assert isinstance(app, TicketsSim)
        return app


def start_sims(folder: Path, faults: Faults | None = None, journal: Path | None = None) -> Sims:
    def f() -> Faults:
        return Faults(faults.latency_ms, faults.fault_rate, faults.commit_timeout_rate, seed=faults.seed) if faults else Faults()

    folder.mkdir(parents=True, exist_ok=True)
    return Sims(
        start_sim(BroadWorksSim(folder / "bw.sqlite", SIM_USER, SIM_SECRET,
                                journal=journal / "broadworks.jsonl" if journal else None), f()),
        start_sim(BillingSim(folder / "billing.sqlite", SIM_USER, SIM_SECRET, packages=billing_packages(),
                             journal=journal / "billing.jsonl" if journal else None), f()),
        start_sim(TicketsSim(folder / "tickets.sqlite", SIM_SECRET), f()),
    )


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Sims]:
    s = start_sims(tmp_path / "sims", journal=tmp_path / "journal")
    yield s
    for r in (s.broadworks, s.billing, s.tickets):
        r.stop()


def settings_for(home: Path, s: Sims, **extra: object) -> Settings:
    return Settings(
        home=home,
        broadworks_url=s.broadworks.base_url + ENDPOINT,
        billing_url=s.billing.base_url,
        tickets_url=s.tickets.base_url,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def sample_book(tmp_path: Path) -> Path:
    return write_xlsx(sample_rows(24), tmp_path / "orders.xlsx")
