"""BroadWorks fixtures: the simulator as a real loopback server, a client, a realistic order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.broadworks.client import OcipClient
from connectors.broadworks.simulator import ENDPOINT, BroadWorksSim
from connectors.common.retry import RetryPolicy
from connectors.common.simhttp import Faults, RunningSim, start_sim
from core.order import (
    BILL_ENTERPRISE,
    Address,
    BroadWorksService,
    CustomerOrder,
    Location,
    Number,
    PackageLine,
    StepEvent,
)
from data.catalog import load_catalog

USER, PASSWORD = "sysadmin", "Sim-Pa55word!"
FAST = RetryPolicy(attempts=8, base_delay=0.001, max_delay=0.01)


def url_of(sim: RunningSim) -> str:
    return sim.base_url + ENDPOINT


SimFactory = Callable[..., RunningSim]


@pytest.fixture
def sim_factory(tmp_path: Path) -> Iterator[SimFactory]:
    started: list[RunningSim] = []

    def make(
        faults: Faults | None = None, *, state: Path | None = None, journal: Path | None = None, **knobs: Any
    ) -> RunningSim:
        app = BroadWorksSim(state or tmp_path / "bw.sqlite", USER, PASSWORD, journal=journal, **knobs)
        running = start_sim(app, faults)
        started.append(running)
        return running

    yield make
    for s in started:
        s.stop()


@pytest.fixture
def sim(sim_factory: SimFactory) -> RunningSim:
    return sim_factory()


@pytest.fixture
def client(sim: RunningSim) -> Iterator[OcipClient]:
    c = OcipClient(url_of(sim), USER, PASSWORD, retry=FAST, timeout=5.0)
    yield c
    c.close()


def _line(order_type: str, package: str, qty: int) -> PackageLine:
    p = load_catalog().package(order_type, package)
    assert p is not None, package
    return PackageLine(
        order_type=p.order_type,
        package=p.name,
        quantity=qty,
        billing_package=p.billing_package,
        seat=p.seat,
        dids_included=p.dids_included,
        mrc=p.mrc,
        nrc=p.nrc,
        services=tuple(BroadWorksService(kind, name) for kind, name in p.services),  # type: ignore[arg-type]
    )


def make_order(account: str = "Acme Dental", suffix: str = "acme", block: int = 100) -> CustomerOrder:
    numbers = tuple(Number(f"+1512555{n:04d}") for n in range(block, block + 5))
    hq = Address("100 Main St", "Austin", "TX", "78701")
    packages = (
        _line("Hosted PBX", "Enterprise Standard", 4),
        _line("Hosted PBX", "Enterprise UC - Phone Prime", 1),
        _line("Hosted UC One", "Enterprise UC - Phone Prime", 1),
        _line("AlaCarte Features", "Auto Attendant", 1),
        _line("AlaCarte Features", "Hunt Group", 2),
        _line("AlaCarte Features", "Music On Hold", 1),
        _line("AlaCarte Features", "Voice Mail Add On", 2),
        _line("AlaCarte Features", "Broadsoft Provisioning Fee", 1),
        _line("DID", "Additional DID's", 1),
    )
    seats = sum(p.quantity for p in packages if p.seat)
    return CustomerOrder(
        partner_id="p1",
        partner_name="Partner One",
        partner_email="ops@partner.example",
        account=account,
        company=f"{account} LLC",
        enterprise_id=f"p1-{suffix}",
        group_id=f"p1-{suffix}-g1",
        first_name="Dana",
        last_name="Lee",
        address=Address("200 Billing Ave", "Austin", "TX", "78702", line2="Suite 4"),
        emails=("billing@acme.example",),
        default_domain=f"{suffix}.example.com",
        time_zone="America/Chicago",
        billing_type=BILL_ENTERPRISE,
        billing_start="2030-01-01",
        packages=packages,
        numbers=numbers,
        e911=(Location("HQ", hq, numbers[0].number),),
        main_number=numbers[0].number,
        user_limit=seats,
        admin_user_id=f"{suffix}-admin",
    )


@pytest.fixture
def order() -> CustomerOrder:
    return make_order()


class Recorder:
    def __init__(self) -> None:
        self.events: list[StepEvent] = []

    def __call__(self, event: StepEvent) -> None:
        self.events.append(event)

    def final(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for e in self.events:
            out[e.step] = e.status
        return out


class Credentials:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def __call__(self, order: CustomerOrder, user_id: str, password: str) -> None:
        self.calls.append((order.account, user_id, password))
