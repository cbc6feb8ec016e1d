from __future__ import annotations

from dataclasses import replace

from connectors.common.simhttp import Faults
from connectors.tickets.provision import TicketsProvisioner, follow_up_external_id, follow_up_step
from core.order import BILL_GROUP, Address, CustomerOrder, FollowUp, PackageLine, StepEvent

from .conftest import SimEnv, StartSim

FOLLOW_UPS = (
    FollowUp("did_backorder", "512-555", "DID backorder 512-555", "10 numbers in 512-555 for Acme"),
    FollowUp("lnp_order", "", "LNP order", "Port +15125550100 from Old Carrier"),
    FollowUp("pending_e911", "", "Pending E911", "No E911 address yet"),
)


def make_order(follow_ups: tuple[FollowUp, ...] = FOLLOW_UPS, account: str = "Acme Dental") -> CustomerOrder:
    return CustomerOrder(
        partner_id="p42",
        partner_name="Partner 42",
        partner_email="noc@p42.example",
        account=account,
        company=account,
        enterprise_id="p42-acme",
        group_id="p42-acme-g1",
        first_name="Ann",
        last_name="Lee",
        address=Address("1 Main St", "Austin", "TX", "78701"),
        emails=("billing@acme.example",),
        default_domain="acme.example",
        time_zone="America/Chicago",
        billing_type=BILL_GROUP,
        billing_start="2030-01-01",
        packages=(PackageLine("Hosted", "Seat", 2, "Seat", True, 1, 20.0, 0.0),),
        follow_ups=follow_ups,
    )


class Recorder:
    def __init__(self) -> None:
        self.events: list[StepEvent] = []

    def __call__(self, event: StepEvent) -> None:
        self.events.append(event)


def test_step_names_and_external_ids() -> None:
    order = make_order()
    assert [follow_up_step(f) for f in FOLLOW_UPS] == [
        "ticket:did_backorder:512-555",
        "ticket:lnp_order",
        "ticket:pending_e911",
    ]
    assert [follow_up_external_id(order, f) for f in FOLLOW_UPS] == [
        "p42:Acme Dental:did_backorder:512-555",
        "p42:Acme Dental:lnp_order",
        "p42:Acme Dental:pending_e911",
    ]


def test_one_ticket_per_follow_up_and_a_rerun_opens_none(tickets: SimEnv) -> None:
    order = make_order()
    with tickets.client() as client:
        prov = TicketsProvisioner(client)
        assert prov.system == "tickets"
        rec = Recorder()
        result = prov.provision(order, {}, rec)

        assert result.status == "done" and result.error is None and result.system == "tickets"
        stored = {t["external_id"]: t for t in tickets.sim.tickets()}
        assert set(stored) == {follow_up_external_id(order, f) for f in FOLLOW_UPS}
        assert result.external_ids == {follow_up_step(f): str(stored[follow_up_external_id(order, f)]["id"]) for f in FOLLOW_UPS}
        assert [(e.step, e.status, e.system, e.account) for e in rec.events] == [
            (follow_up_step(f), "done", "tickets", "Acme Dental") for f in FOLLOW_UPS
        ]
        assert stored["p42:Acme Dental:pending_e911"]["priority"] == "high"
        assert stored["p42:Acme Dental:lnp_order"]["priority"] == "normal"
        assert set(stored["p42:Acme Dental:lnp_order"]["tags"]) >= {"onboarding", "lnp_order", "partner_p42"}

        # Re-run with an empty ledger (a re-upload): every step is found, nothing is opened.
        rerun = prov.provision(order, {}, Recorder())
        assert rerun.external_ids == result.external_ids
        assert len(tickets.sim.tickets()) == 3
        assert tickets.posts() == 3

        # Resume with the ledger: done steps are skipped without a single request.
        before = len(tickets.entries())
        rec2 = Recorder()
        resumed = prov.provision(order, result.external_ids, rec2)
        assert resumed.status == "done" and resumed.external_ids == result.external_ids
        assert rec2.events == [] and len(tickets.entries()) == before


def test_partly_done_ledger_sends_only_the_rest(tickets: SimEnv) -> None:
    order = make_order()
    with tickets.client() as client:
        rec = Recorder()
        result = TicketsProvisioner(client).provision(order, {"ticket:lnp_order": "777"}, rec)
    assert [e.step for e in rec.events] == ["ticket:did_backorder:512-555", "ticket:pending_e911"]
    assert result.external_ids["ticket:lnp_order"] == "777"
    assert {t["external_id"] for t in tickets.sim.tickets()} == {
        "p42:Acme Dental:did_backorder:512-555",
        "p42:Acme Dental:pending_e911",
    }


def test_no_follow_ups_is_done_with_nothing_sent(tickets: SimEnv) -> None:
    with tickets.client() as client:
        rec = Recorder()
        result = TicketsProvisioner(client).provision(make_order(()), {}, rec)
    assert result.status == "done" and result.external_ids == {} and rec.events == []
    assert tickets.entries() == []


def test_refused_token_fails_the_step_and_stops(tickets: SimEnv) -> None:
    with tickets.client(token="nope") as client:
        rec = Recorder()
        result = TicketsProvisioner(client).provision(make_order(), {}, rec)
    assert result.status == "failed" and result.error is not None and "token refused" in result.error
    assert [(e.step, e.status) for e in rec.events] == [("ticket:did_backorder:512-555", "failed")]
    assert tickets.sim.tickets() == []


def test_rejected_follow_up_fails_alone(tickets: SimEnv) -> None:
    bad = FollowUp("toll_free_port", "8005550100", "Toll free port", "   ")  # blank body: Zendesk says 422
    order = make_order((FOLLOW_UPS[1], bad, FOLLOW_UPS[2]))
    with tickets.client() as client:
        rec = Recorder()
        result = TicketsProvisioner(client).provision(order, {}, rec)
    assert result.status == "failed" and "ticket:toll_free_port:8005550100" in (result.error or "")
    assert [(e.step, e.status) for e in rec.events] == [
        ("ticket:lnp_order", "done"),
        ("ticket:toll_free_port:8005550100", "failed"),
        ("ticket:pending_e911", "done"),
    ]
    assert set(result.external_ids) == {"ticket:lnp_order", "ticket:pending_e911"}


def test_many_customers_under_faults_get_exactly_their_tickets(start_tickets: StartSim) -> None:
    env = start_tickets(Faults(fault_rate=0.2, commit_timeout_rate=0.1, seed=5))
    orders = [make_order(account=f"Cust {i}") for i in range(8)]
    with env.client() as client:
        prov = TicketsProvisioner(client)
        results = [prov.provision(o, {}, Recorder()) for o in orders]
        results += [prov.provision(replace(o), {}, Recorder()) for o in orders]  # a full re-run
    assert all(r.status == "done" for r in results)
    stored = [t["external_id"] for t in env.sim.tickets()]
    assert sorted(stored) == sorted(follow_up_external_id(o, f) for o in orders for f in FOLLOW_UPS)
    assert results[:8] == results[8:]
