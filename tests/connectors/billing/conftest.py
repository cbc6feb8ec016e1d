"""The billing simulator as a real loopback server, a client for it, and hand-built orders."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from connectors.billing.client import BillingClient
from connectors.billing.simulator import BillingSim
from connectors.common.retry import RetryPolicy
from connectors.common.simhttp import Faults, RunningSim, start_sim
from core.order import (
    AUTO_PACKAGES,
    BILL_ENTERPRISE,
    Address,
    CustomerOrder,
    Location,
    PackageLine,
    StepEvent,
)
from data.catalog import load_catalog
from transforms.plan import enterprise_id, group_id

CLIENT_ID = "onboard"
CLIENT_SECRET = "s3cret-billing"
PORTAL_PASSWORD = "Portal#Pass-9921"
FAST_RETRY = RetryPolicy(attempts=14, base_delay=0.005, max_delay=0.03)


def sim_packages() -> list[str]:
    """What the flow passes: every billing package of the catalog plus the three auto-added ones."""
    return sorted({p.billing_package for p in load_catalog().lines} | set(AUTO_PACKAGES))


SimFactory = Callable[..., RunningSim]


@pytest.fixture
def make_sim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimFactory]:
    # The stdlib handler writes headers and body in two sends; with Nagle on, every answer waits
    # ~40 ms for a delayed ACK. TCP_NODELAY for these tests only (simhttp should set it itself).
    monkeypatch.setattr(BaseHTTPRequestHandler, "disable_nagle_algorithm", True)
    running: list[RunningSim] = []

    def make(*, faults: Faults | None = None, token_life: float = 1800, journal: bool = False, **kw: Any) -> RunningSim:
        app = BillingSim(
            tmp_path / "sim" / "billing.sqlite",
            CLIENT_ID,
            CLIENT_SECRET,
            packages=sim_packages(),
            token_life=token_life,
            journal=tmp_path / "sim" / "billing.jsonl" if journal else None,
            **kw,
        )
        sim = start_sim(app, faults)
        running.append(sim)
        return sim

    yield make
    for sim in running:
        sim.stop()


@pytest.fixture
def sim(make_sim: SimFactory) -> RunningSim:
    return make_sim()


@pytest.fixture
def make_client() -> Iterator[Callable[[RunningSim], BillingClient]]:
    clients: list[BillingClient] = []

    def make(sim: RunningSim, **kw: Any) -> BillingClient:
        kw.setdefault("retry", FAST_RETRY)
        c = BillingClient(sim.base_url, CLIENT_ID, CLIENT_SECRET, timeout=5.0, **kw)
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def line(
    package: str, billing_package: str, quantity: int, *, order_type: str = "Hosted PBX", seat: bool = False, mrc: float = 10.0
) -> PackageLine:
    return PackageLine(order_type, package, quantity, billing_package, seat, 1 if seat else 0, mrc, 0.0)


def make_order(
    account: str = "Acme Dental",
    *,
    partner_id: str = "P100",
    partner_name: str = "Bright Voice",
    billing_type: str = BILL_ENTERPRISE,
    emails: tuple[str, ...] = ("billing@acmedental.com", "ap@acmedental.com"),
    state: str = "TX",
    packages: tuple[PackageLine, ...] | None = None,
) -> CustomerOrder:
    addr = Address("100 Main St", "Austin", state, "78701", "US", "Suite 4")
    if packages is None:
        packages = (
            line("Enterprise Standard", "Enterprise Standard", 12, seat=True, mrc=24.0),
            line("Receptionist User", "Receptionist User", 1, seat=True, mrc=30.0),
            line("Additional DID's", "Additional DID's", 5, order_type="DID", mrc=1.0),
            line("Auto Attendant", "Auto Attendant", 2, order_type="AlaCarte Features", mrc=15.0),
        )
    return CustomerOrder(
        partner_id=partner_id,
        partner_name=partner_name,
        partner_email="ops@brightvoice.example",
        account=account,
        company=account,
        enterprise_id=enterprise_id(partner_id, account),
        group_id=group_id(partner_id, account),
        first_name="Dana",
        last_name="Whitfield",
        address=addr,
        emails=emails,
        default_domain="acmedental.com",
        time_zone="America/Chicago",
        billing_type=billing_type,
        billing_start="2026-01-01",
        packages=packages,
        e911=(Location("HQ", addr, "+15125550100"),),
        main_number="+15125550100",
        user_limit=13,
        admin_user_id="acme-admin",
        batch_id="0123456789abcdef",
        portal_password=PORTAL_PASSWORD,
    )


class Recorder:
    """A StepRecorder that keeps every event (thread-safe enough: list.append is atomic)."""

    def __init__(self) -> None:
        self.events: list[StepEvent] = []

    def __call__(self, event: StepEvent) -> None:
        self.events.append(event)

    def final(self) -> dict[str, StepEvent]:
        out: dict[str, StepEvent] = {}
        for e in self.events:
            out[e.step] = e
        return out
