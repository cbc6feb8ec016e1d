"""ONBOARD_OCIP_REQUESTS=consolidated: same customer, same state, exactly once; classic stays the default."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient
from connectors.broadworks.ocip import Command
from connectors.broadworks.provision import STEPS, BroadWorksProvisioner, OcipRequests
from connectors.broadworks.sim_errors import SCHEMA_SUMMARY
from connectors.broadworks.simulator import BroadWorksSim
from connectors.broadworks.state import read_back
from connectors.common.simhttp import Faults, RunningSim
from connectors.systems import connect
from core.order import CustomerOrder, SystemResult
from core.settings import Settings
from tests.connectors.broadworks.conftest import FAST, PASSWORD, USER, Credentials, Recorder, SimFactory, make_order, url_of

SP_ADD, GROUP_ADD = "ServiceProviderConsolidatedAddRequest", "GroupConsolidatedAddRequest"
# the classic adds a Consolidated run must never send (the admin add is common to both modes)
CLASSIC_ADDS = ("ServiceProviderAddRequest13mp2", "ServiceProviderServicePackAddRequest", "GroupAddRequest",
                "GroupServiceAssignListRequest", "ServiceProviderDnAddListRequest", "GroupDnAssignListRequest")


def _app(sim: RunningSim) -> BroadWorksSim:
    assert isinstance(sim.app, BroadWorksSim)
    return sim.app


def _provision(
    client: OcipClient, order: CustomerOrder, requests: OcipRequests, done: dict[str, str | None] | None = None
) -> tuple[SystemResult, Recorder, Credentials]:
    rec, creds = Recorder(), Credentials()
    prov = BroadWorksProvisioner(client, on_admin_credentials=creds, requests=requests)
    return prov.provision(order, done or {}, rec), rec, creds


def _built(
    sim_factory: SimFactory, tmp_path: Path, order: CustomerOrder, requests: OcipRequests
) -> tuple[BroadWorksSim, dict[str, Any]]:
    sim = sim_factory(state=tmp_path / f"bw-{requests}.sqlite")  # one server per mode, each its own store
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        result, rec, _ = _provision(c, order, requests)
        assert result.status == "done", result.error
        assert rec.final() == dict.fromkeys(STEPS, "done")
        return _app(sim), read_back(c, order.enterprise_id, order.group_id)


def test_consolidated_reads_back_the_same_customer_as_classic(
    sim_factory: SimFactory, tmp_path: Path, order: CustomerOrder
) -> None:
    classic_app, classic_rb = _built(sim_factory, tmp_path, order, "classic")
    cons_app, cons_rb = _built(sim_factory, tmp_path, order, "consolidated")
    assert cons_rb == classic_rb
    assert cons_rb["numbers"] and cons_rb["service_packs"] and cons_rb["group_services_assigned"]
    assert cons_rb["calling_line_id"] == "+1-5125550100" and cons_rb["admins"] == {order.admin_user_id: "Customer"}
    # the stores hold the same rows (contacts, addresses, quantities; admins without password hashes)
    assert cons_app.store.snapshot(order.enterprise_id) == classic_app.store.snapshot(order.enterprise_id)
    # consolidated really used the Consolidated adds, and none of the classic adds they replace
    assert cons_app.accepted_adds(SP_ADD) == 1 and cons_app.accepted_adds(GROUP_ADD) == 1
    assert all(cons_app.accepted_adds(t) == 0 for t in CLASSIC_ADDS)
    # and classic, the default, sent no Consolidated request
    assert classic_app.accepted_adds(SP_ADD) == 0 and classic_app.accepted_adds(GROUP_ADD) == 0
    assert classic_app.accepted_adds("ServiceProviderAddRequest13mp2") == 1


def test_classic_is_the_default(client: OcipClient) -> None:
    assert BroadWorksProvisioner(client, on_admin_credentials=Credentials()).requests == "classic"
    assert Settings().ocip_requests == "classic"
    with pytest.raises(ValueError):
        BroadWorksProvisioner(client, on_admin_credentials=Credentials(), requests="modern")  # type: ignore[arg-type]


def test_the_setting_reaches_the_provisioner(monkeypatch: pytest.MonkeyPatch, sim: RunningSim) -> None:
    monkeypatch.setenv("ONBOARD_OCIP_REQUESTS", "consolidated")
    urls = {"broadworks": url_of(sim), "billing": "http://127.0.0.1:9", "tickets": "http://127.0.0.1:9"}
    systems = connect(urls, Settings())
    try:
        prov = dict(systems.provisioners(Credentials()))["broadworks"]
        assert isinstance(prov, BroadWorksProvisioner) and prov.requests == "consolidated"
    finally:
        systems.close()


def test_rerun_after_consolidated_sends_no_add(sim: RunningSim, client: OcipClient, order: CustomerOrder) -> None:
    _provision(client, order, "consolidated")
    app = _app(sim)
    snap, adds = app.store.snapshot(order.enterprise_id), app.accepted_adds()
    result, rec, _ = _provision(client, order, "consolidated")
    assert result.status == "done" and rec.final() == dict.fromkeys(STEPS, "done")
    assert app.accepted_adds() == adds and app.rejected_duplicates() == 0
    assert {k: v for k, v in app.store.snapshot(order.enterprise_id).items() if k != "admins"} == {
        k: v for k, v in snap.items() if k != "admins"
    }


def test_consolidated_completes_a_customer_begun_in_classic(sim: RunningSim, client: OcipClient, order: CustomerOrder) -> None:
    """The enterprise exists (classic, alone): the group add carries no number yet, the later steps add them."""
    assert client.send([C.sp_add(order.enterprise_id, order.default_domain, order.company)])[0].is_error is False
    result, _, _ = _provision(client, order, "consolidated", {"enterprise": order.enterprise_id})
    assert result.status == "done", result.error
    app = _app(sim)
    assert app.accepted_adds(SP_ADD) == 0 and app.accepted_adds(GROUP_ADD) == 1
    assert app.accepted_adds("ServiceProviderDnAddListRequest") == 1 and app.accepted_adds("GroupDnAssignListRequest") == 1
    rb = read_back(client, order.enterprise_id, order.group_id)
    assert rb["numbers"] == [f"+1-512555{n:04d}" for n in range(100, 105)] and rb["calling_line_id"] == "+1-5125550100"


@pytest.mark.parametrize("add", [SP_ADD, GROUP_ADD])
def test_lost_answer_to_a_consolidated_add_is_never_sent_twice(sim: RunningSim, order: CustomerOrder, add: str) -> None:
    app = _app(sim)
    original = app.handle
    fired: list[bool] = []

    def drop_after_applying(request):  # type: ignore[no-untyped-def]
        resp = original(request)
        if not fired and f'xsi:type="{add}"'.encode() in request.body.replace(b"&quot;", b'"'):
            fired.append(True)
            raise ConnectionResetError("answer lost")  # applied, then the connection closes unanswered
        return resp

    app.handle = drop_after_applying  # type: ignore[method-assign]
    sim.server.handle_error = lambda *a: None  # type: ignore[method-assign]
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        result, rec, _ = _provision(c, order, "consolidated")
        assert fired and c.stats.in_doubt == 1
        assert result.status == "done", result.error
        assert rec.final() == dict.fromkeys(STEPS, "done")
        rb = read_back(c, order.enterprise_id, order.group_id)
    assert app.accepted_adds(add) == 1 and app.rejected_duplicates() == 0
    assert all(app.accepted_adds(t) == 0 for t in CLASSIC_ADDS)
    assert rb["group_exists"] and len(rb["numbers"]) == 5


# ---------------------------------------------------------------- the simulator: strict and all or nothing


def _send(client: OcipClient, cmd: Command) -> tuple[bool, str]:
    resp = client.send([cmd])[0]
    return resp.is_error, etree.tostring(resp.element, encoding="unicode")


def test_a_refused_consolidated_enterprise_leaves_nothing(sim: RunningSim, client: OcipClient) -> None:
    # the pack hands out a user service the same request never authorizes: the whole add is refused
    cmd = C.sp_consolidated_add(
        "e1",
        "acme.example.com",
        "Acme",
        user_services={"Authentication": 5},
        packs={"P": (5, ["Voice Messaging User"])},
        numbers=["+1-5125550100"],
    )
    err, text = _send(client, cmd)
    assert err and "not authorized" in text
    snap = _app(sim).store.snapshot("e1")
    assert snap["sp"] is None and snap["services"] == [] and snap["dns"] == []


def test_a_refused_consolidated_group_leaves_nothing(sim: RunningSim, client: OcipClient) -> None:
    assert not _send(client, C.sp_consolidated_add("e1", "d.example.com", "E", group_services={"Auto Attendant": 1}))[0]
    # the number was never added to the enterprise's pool
    cmd = C.group_consolidated_add(
        "e1",
        "g1",
        "d.example.com",
        3,
        group_services={"Auto Attendant": 1},
        assign=["Auto Attendant"],
        numbers=["+1-5125550100"],
    )
    err, text = _send(client, cmd)
    assert err and "pool" in text
    snap = _app(sim).store.snapshot("e1")
    assert snap["groups"] == [] and snap["group_auth"] == [] and snap["group_assign"] == []


def test_consolidated_quantity_rules_apply(client: OcipClient) -> None:
    assert not _send(client, C.sp_consolidated_add("e1", "d.example.com", "E", group_services={"Auto Attendant": 1}))[0]
    over = C.group_consolidated_add("e1", "g1", "d.example.com", 3, group_services={"Auto Attendant": 2})
    err, text = _send(client, over)
    assert err and "exceeds" in text


@pytest.mark.parametrize(
    "cmd",
    [
        # servicePackAuthorization before userServiceAuthorization: the classic order, wrong here
        Command(
            GROUP_ADD,
            [
                ("serviceProviderId", "e1"),
                ("groupId", "g1"),
                ("defaultDomain", "d"),
                ("userLimit", 1),
                ("servicePackAuthorization", [("servicePackName", "P"), ("authorizedQuantity", [("quantity", 1)])]),
                ("userServiceAuthorization", [("serviceName", "Authentication"), ("authorizedQuantity", [("quantity", 1)])]),
            ],
        ),
        Command(GROUP_ADD, [("serviceProviderId", "e1"), ("groupId", "g1"), ("defaultDomain", "d")]),  # no userLimit
        Command(SP_ADD, [("isEnterprise", True), ("serviceProviderId", "e" * 31), ("defaultDomain", "d")]),  # too long
        Command(
            SP_ADD,
            [
                ("isEnterprise", True),
                ("serviceProviderId", "e1"),
                ("defaultDomain", "d"),
                ("groupServiceAuthorization", [("serviceName", "No Such Service"), ("authorizedQuantity", [("quantity", 1)])]),
            ],
        ),
    ],
    ids=["order", "required", "length", "enumeration"],
)
def test_the_simulator_refuses_invalid_consolidated_documents(sim: RunningSim, client: OcipClient, cmd: Command) -> None:
    err, text = _send(client, cmd)
    assert err and SCHEMA_SUMMARY in text  # refused by the schema check, before any rule
    assert _app(sim).store.snapshot("e1")["sp"] is None


def test_two_customers_in_consolidated(sim: RunningSim, client: OcipClient) -> None:
    for suffix, block in (("one", 200), ("two", 300)):
        o = make_order(f"Customer {suffix}", suffix, block)
        result, _, _ = _provision(client, o, "consolidated")
        assert result.status == "done", result.error
        assert len(read_back(client, o.enterprise_id, o.group_id)["numbers"]) == 5


def test_commit_timeouts_and_faults_in_consolidated_end_like_clean_classic(sim_factory: SimFactory, tmp_path: Path) -> None:
    """The simulator's commit-timeout knob (applied, answer lost) and transient faults: no add twice."""
    orders = [make_order(f"Cust {i}", f"c{i}", block=100 + 10 * i) for i in range(4)]
    clean = sim_factory(state=tmp_path / "clean.sqlite")
    with OcipClient(url_of(clean), USER, PASSWORD, retry=FAST) as c:
        for o in orders:
            assert _provision(c, o, "classic")[0].status == "done"
    chaos = sim_factory(Faults(fault_rate=0.2, commit_timeout_rate=0.2, seed=11), state=tmp_path / "chaos.sqlite")
    with OcipClient(url_of(chaos), USER, PASSWORD, retry=dataclasses.replace(FAST, attempts=12), timeout=5.0) as c:
        for o in orders:
            result = _provision(c, o, "consolidated")[0]
            assert result.status == "done", result.error
        assert c.stats.in_doubt > 0
    assert chaos.faults.counts["commit_timeouts"] > 0
    for o in orders:
        assert _app(chaos).store.snapshot(o.enterprise_id) == _app(clean).store.snapshot(o.enterprise_id)
    assert _app(chaos).accepted_adds(SP_ADD) == len(orders) == _app(chaos).accepted_adds(GROUP_ADD)
    assert _app(chaos).rejected_duplicates() == 0


def test_resume_after_the_enterprise_add_sends_only_what_is_left(
    sim: RunningSim, client: OcipClient, order: CustomerOrder
) -> None:
    """A run crashed right after its enterprise add: the ledger holds ``enterprise`` done, nothing else."""
    first, rec, _ = _provision(client, order, "consolidated", {s: None for s in STEPS if s != "enterprise"})
    assert first.status == "done" and set(rec.final()) == {"enterprise"}
    app = _app(sim)
    assert app.accepted_adds(SP_ADD) == 1 and app.accepted_adds(GROUP_ADD) == 0
    result, rec, _ = _provision(client, order, "consolidated", {"enterprise": order.enterprise_id})
    assert result.status == "done", result.error
    assert rec.final() == {s: "done" for s in STEPS if s != "enterprise"}
    # services, packs and numbers came with the enterprise: looked up, never re-sent
    assert app.accepted_adds(SP_ADD) == 1 and app.accepted_adds(GROUP_ADD) == 1 and app.rejected_duplicates() == 0
    assert all(app.accepted_adds(t) == 0 for t in CLASSIC_ADDS)
    rb = read_back(client, order.enterprise_id, order.group_id)
    assert len(rb["numbers"]) == 5 and rb["calling_line_id"] == "+1-5125550100"
