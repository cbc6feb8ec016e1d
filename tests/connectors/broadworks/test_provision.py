from __future__ import annotations

import dataclasses

import pytest

from connectors.broadworks.client import OcipClient
from connectors.broadworks.provision import STEPS, BroadWorksProvisioner
from connectors.broadworks.service_plan import plan_services
from connectors.broadworks.sim_store import password_hash
from connectors.broadworks.simulator import BroadWorksSim
from connectors.broadworks.state import enterprise_exists, read_back
from connectors.common.simhttp import Faults, RunningSim
from core.order import CustomerOrder
from tests.connectors.broadworks.conftest import FAST, PASSWORD, USER, Credentials, Recorder, SimFactory, make_order, url_of


def _app(sim: RunningSim) -> BroadWorksSim:
    assert isinstance(sim.app, BroadWorksSim)
    return sim.app


def _run(client: OcipClient, order: CustomerOrder, done: dict[str, str | None] | None = None):  # type: ignore[no-untyped-def]
    rec, creds = Recorder(), Credentials()
    result = BroadWorksProvisioner(client, on_admin_credentials=creds).provision(order, done or {}, rec)
    return result, rec, creds


def test_end_to_end_builds_the_customer(sim: RunningSim, client: OcipClient, order: CustomerOrder) -> None:
    result, rec, creds = _run(client, order)
    assert result.status == "done", result.error
    assert rec.final() == dict.fromkeys(STEPS, "done")
    # pending is recorded before every step's done
    assert [e.status for e in rec.events if e.step == "group"] == ["pending", "done"]
    assert result.external_ids["enterprise"] == order.enterprise_id
    assert result.external_ids["group"] == order.group_id
    assert result.external_ids["admin"] == order.admin_user_id

    rb = read_back(client, order.enterprise_id, order.group_id)
    assert rb["enterprise_exists"] and rb["group_exists"]
    assert rb["default_domain"] == order.default_domain
    assert rb["user_limit"] == order.user_limit == 6
    assert rb["group_address"]["addressLine1"] == "100 Main St"  # the primary E911 location
    assert rb["time_zone"] == "America/Chicago"
    # two lines of the same seat package make one pack with the summed quantity
    assert set(rb["service_packs"]) == {"Enterprise Standard", "Enterprise UC - Phone Prime"}
    assert rb["service_packs"]["Enterprise UC - Phone Prime"]["quantity"] == 2
    assert "Voice Messaging User" in rb["service_packs"]["Enterprise Standard"]["services"]
    # quantities add up across packages: 4 + 2 seats + 2 voice mail add-ons
    assert rb["services"]["user"]["Voice Messaging User"] == 8
    assert rb["services"]["group"]["Hunt Group"] == 2
    assert set(rb["group_services_assigned"]) == {"Auto Attendant", "Hunt Group", "Music On Hold", "Call Park", "Call Pickup"}
    assert rb["numbers"] == [f"+1-512555{n:04d}" for n in range(100, 105)]
    assert rb["calling_line_id"] == "+1-5125550100"
    assert rb["admins"] == {order.admin_user_id: "Customer"}
    # credentials were handed over once, and they are the ones BroadWorks holds
    assert len(creds.calls) == 1
    _, uid, pw = creds.calls[0]
    row = _app(sim).store.one("SELECT pw_hash FROM admin WHERE user_id=?", uid)
    assert row is not None and row["pw_hash"] == password_hash(uid, pw)
    assert len(pw) >= 12


def test_few_round_trips_for_a_new_customer(client: OcipClient, order: CustomerOrder) -> None:
    before = client.round_trips
    result, _, _ = _run(client, order)
    assert result.status == "done"
    # 2 login + 1 batched Get + at most one document per step
    assert client.round_trips - before <= 2 + 1 + len(STEPS)


def test_rerun_creates_nothing(sim: RunningSim, client: OcipClient, order: CustomerOrder) -> None:
    _run(client, order)
    app = _app(sim)
    snap = app.store.snapshot(order.enterprise_id)
    adds = app.accepted_adds()
    result, rec, creds = _run(client, order)
    assert result.status == "done"
    assert app.accepted_adds() == adds  # no Add of any kind accepted again
    assert app.rejected_duplicates() == 0  # and none even attempted: looked up first
    after = app.store.snapshot(order.enterprise_id)
    assert {k: v for k, v in after.items() if k != "admins"} == {k: v for k, v in snap.items() if k != "admins"}
    # the admin existed but the ledger did not say "done": a fresh password, handed over again
    assert len(creds.calls) == 1
    assert rec.final()["admin"] == "done"
    row = app.store.one("SELECT pw_hash FROM admin WHERE user_id=?", order.admin_user_id)
    assert row is not None and row["pw_hash"] == password_hash(order.admin_user_id, creds.calls[0][2])


def test_done_steps_are_skipped_with_zero_requests(client: OcipClient, order: CustomerOrder) -> None:
    first, _, _ = _run(client, order)
    done: dict[str, str | None] = {s: first.external_ids.get(s) for s in STEPS}
    before = client.round_trips
    result, rec, creds = _run(client, order, done)
    assert result.status == "done"
    assert client.round_trips == before
    assert rec.events == [] and creds.calls == []
    assert result.external_ids["enterprise"] == order.enterprise_id


def test_partial_done_resumes_the_rest(sim: RunningSim, client: OcipClient, order: CustomerOrder) -> None:
    done: dict[str, str | None] = {"enterprise": order.enterprise_id}
    # the ledger claims the enterprise is done, but nothing exists: the next step fails terminally
    result, rec, _ = _run(client, order, done)
    assert result.status == "failed"
    assert rec.final() == {"enterprise_services": "failed"}
    assert "4008" in (result.error or "")
    assert _app(sim).store.count("grp") == 0


def test_terminal_error_stops_the_customer(sim: RunningSim, client: OcipClient, order: CustomerOrder) -> None:
    other = make_order("Other Co", "other")  # holds the same numbers already
    assert _run(client, other)[0].status == "done"
    result, rec, creds = _run(client, order)
    assert result.status == "failed"
    assert rec.final()["numbers_added"] == "failed"
    failed = next(e for e in rec.events if e.status == "failed")
    assert failed.error and "4100" in failed.error and failed.step == "numbers_added"
    assert result.error and result.error.startswith("numbers_added")
    assert "numbers_assigned" not in rec.final() and "admin" not in rec.final()
    assert creds.calls == []
    row = _app(sim).store.one("SELECT sp FROM dn WHERE number='+1-5125550100'")
    assert row is not None and row["sp"] == other.enterprise_id


def test_nothing_to_do_steps_send_nothing(sim: RunningSim, client: OcipClient, order: CustomerOrder) -> None:
    bare = dataclasses.replace(order, numbers=(), main_number="", packages=order.packages[-2:])
    assert plan_services(bare).packs == {}
    result, rec, _ = _run(client, bare)
    assert result.status == "done"
    assert rec.final() == dict.fromkeys(STEPS, "done")
    app = _app(sim)
    assert app.accepted_adds("ServiceProviderServicePackAddRequest") == 0
    assert app.accepted_adds("ServiceProviderDnAddListRequest") == 0
    assert app.store.count("dn") == 0


def test_customer_exists_lookup(client: OcipClient, order: CustomerOrder) -> None:
    assert enterprise_exists(client, order.enterprise_id) is False
    _run(client, order)
    assert enterprise_exists(client, order.enterprise_id) is True


def test_faults_reach_the_same_end_state(sim_factory: SimFactory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    orders = [make_order(f"Cust {i}", f"c{i}", block=100 + 10 * i) for i in range(4)]
    clean = sim_factory(state=tmp_path / "clean.sqlite")
    with OcipClient(url_of(clean), USER, PASSWORD, retry=FAST) as c:
        for o in orders:
            assert _run(c, o)[0].status == "done"
    chaos = sim_factory(Faults(fault_rate=0.2, commit_timeout_rate=0.1, seed=7), state=tmp_path / "chaos.sqlite")
    policy = dataclasses.replace(FAST, attempts=12)
    with OcipClient(url_of(chaos), USER, PASSWORD, retry=policy, timeout=5.0) as c:
        for o in orders:
            result = _run(c, o)[0]
            assert result.status == "done", result.error
        assert c.stats.retries > 0
    assert chaos.faults.counts["faults"] > 0 and chaos.faults.counts["commit_timeouts"] > 0
    for o in orders:
        a, b = _app(clean).store.snapshot(o.enterprise_id), _app(chaos).store.snapshot(o.enterprise_id)
        assert a == b
    # a blind retry of an Add would have been accepted twice or rejected as a duplicate: neither happened
    assert _app(chaos).accepted_adds() == _app(clean).accepted_adds()
    assert _app(chaos).rejected_duplicates() == 0


@pytest.mark.parametrize(
    "add",
    [
        "ServiceProviderAddRequest13mp2",
        "ServiceProviderServicePackAddRequest",
        "GroupAddRequest",
        "ServiceProviderDnAddListRequest",
        "ServiceProviderAdminAddRequest14",
    ],
)
def test_lost_answer_to_an_add_is_settled_by_lookup(sim: RunningSim, order: CustomerOrder, add: str) -> None:
    """The add is applied, then the connection drops: the provisioner looks up and never re-adds."""
    app = _app(sim)
    original = app.handle
    fired: list[bool] = []

    def drop_after_applying(request):  # type: ignore[no-untyped-def]
        resp = original(request)
        if not fired and f'xsi:type="{add}"'.encode() in request.body.replace(b"&quot;", b'"'):
            fired.append(True)
            raise ConnectionResetError("answer lost")  # the server closes the connection unanswered
        return resp

    app.handle = drop_after_applying  # type: ignore[method-assign]
    sim.server.handle_error = lambda *a: None  # type: ignore[method-assign]  # keep test output quiet
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        result, _rec, creds = _run(c, order)
        assert fired and c.stats.in_doubt == 1
    assert result.status == "done", result.error
    assert app.rejected_duplicates() == 0
    expected = {"ServiceProviderServicePackAddRequest": 2}.get(add, 1)
    assert app.accepted_adds(add) == expected
    assert len(creds.calls) == 1
    uid, pw = creds.calls[0][1:]
    row = app.store.one("SELECT pw_hash FROM admin WHERE user_id=?", uid)
    assert row is not None and row["pw_hash"] == password_hash(uid, pw)
