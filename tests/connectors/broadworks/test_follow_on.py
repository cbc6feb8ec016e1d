"""BroadWorks for follow-on orders (issue 19): authorizations and limits raised, never lowered; nothing
created that a follow-on builds on."""

from __future__ import annotations

import dataclasses

from connectors.broadworks.client import OcipClient
from connectors.broadworks.provision import BroadWorksProvisioner
from connectors.broadworks.state import read_back
from connectors.common.simhttp import RunningSim
from core.order import ADD_SERVICES, NEW_GROUP, CustomerOrder
from tests.connectors.broadworks.conftest import Credentials, Recorder, _line, make_order


def _run(client: OcipClient, order: CustomerOrder) -> tuple[str, str | None, Recorder]:
    rec = Recorder()
    res = BroadWorksProvisioner(client, on_admin_credentials=Credentials()).provision(order, {}, rec)
    return res.status, res.error, rec


def _add_services(first: CustomerOrder, *lines: tuple[str, str, int]) -> CustomerOrder:
    new = tuple(_line(*x) for x in lines)
    cumulative = first.packages + new
    return dataclasses.replace(first, order_kind=ADD_SERVICES, packages=new, numbers=(), e911=(), main_number="",
                               admin_user_id="", group_packages=cumulative, enterprise_packages=cumulative,
                               user_limit=sum(p.quantity for p in cumulative if p.seat))


def test_add_services_raises_quantities_and_never_lowers_them(sim: RunningSim, client: OcipClient) -> None:
    first = make_order()
    assert _run(client, first)[0] == "done"
    # an operator already gave the group more of one pack and a bigger user limit by hand
    sim_store = sim.app.store  # type: ignore[attr-defined]
    with sim_store.tx() as db:
        db.execute("UPDATE pack SET qty = 50 WHERE sp = ? AND name = 'Enterprise Standard'", (first.enterprise_id,))
        db.execute("UPDATE grp_auth SET qty = 40 WHERE sp = ? AND grp = ? AND name = 'Enterprise Standard'",
                   (first.enterprise_id, first.group_id))
        db.execute("UPDATE grp SET user_limit = 99 WHERE sp = ? AND id = ?", (first.enterprise_id, first.group_id))
    order = _add_services(first, ("Hosted PBX", "Enterprise Standard", 2), ("Hosted PBX", "Enterprise Premium", 3))
    status, error, rec = _run(client, order)
    assert status == "done", error
    rb = read_back(client, first.enterprise_id, first.group_id)
    packs = rb["group_services_authorized"]["packs"]
    assert packs["Enterprise Standard"] == 40 and packs["Enterprise Premium"] == 3  # kept; added
    assert rb["service_packs"]["Enterprise Standard"]["quantity"] == 50 and rb["user_limit"] == 99
    assert rb["service_packs"]["Enterprise Premium"]["quantity"] == 3
    assert not any(e.step == "enterprise" and e.status == "failed" for e in rec.events)


def test_add_services_raises_a_pack_the_enterprise_holds_too_few_of(sim: RunningSim, client: OcipClient) -> None:
    first = make_order()
    assert _run(client, first)[0] == "done"
    order = _add_services(first, ("Hosted PBX", "Enterprise Standard", 3))
    assert _run(client, order)[0] == "done"
    rb = read_back(client, first.enterprise_id, first.group_id)
    assert rb["service_packs"]["Enterprise Standard"]["quantity"] == 7  # 4 + 3
    assert rb["group_services_authorized"]["packs"]["Enterprise Standard"] == 7
    assert rb["user_limit"] == order.user_limit
    # a second run after the ledger was lost asks for nothing more: the targets do not move
    assert _run(client, order)[0] == "done"
    assert read_back(client, first.enterprise_id, first.group_id) == rb


def test_a_follow_on_never_creates_its_enterprise_or_group(sim: RunningSim, client: OcipClient) -> None:
    order = dataclasses.replace(make_order(), order_kind=NEW_GROUP, admin_user_id="")
    status, error, _ = _run(client, order)
    assert status == "failed" and error is not None and "ENTERPRISE_NOT_FOUND" in error
    assert read_back(client, order.enterprise_id, order.group_id)["enterprise_exists"] is False
    first = make_order()
    assert _run(client, first)[0] == "done"
    gone = dataclasses.replace(_add_services(first, ("Hosted PBX", "Enterprise Standard", 1)), group_id="nope_G9")
    status, error, _ = _run(client, gone)
    assert status == "failed" and error is not None and "CUSTOMER_NOT_FOUND" in error
    assert read_back(client, first.enterprise_id, "nope_G9")["group_exists"] is False
