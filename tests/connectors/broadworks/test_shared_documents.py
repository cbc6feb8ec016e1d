"""Several customers' commands in one OCI-P document (issue 18 b): each customer still provisions exactly
once, one customer's ErrorResponse is its own, and lost answers are settled by looking up."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lxml import etree

from connectors.broadworks.client import OcipClient
from connectors.broadworks.ocip import MAX_COMMANDS
from connectors.broadworks.provision import STEPS, BroadWorksProvisioner
from connectors.broadworks.shared_documents import SharedDocuments
from connectors.broadworks.simulator import BroadWorksSim
from connectors.broadworks.state import read_back
from connectors.broadworks.step_levels import NEEDS, levels
from connectors.common.simhttp import Faults
from core.order import CustomerOrder, SystemResult
from tests.connectors.broadworks.conftest import FAST, PASSWORD, USER, Credentials, Recorder, SimFactory, make_order, url_of


def _orders(n: int) -> list[CustomerOrder]:
    return [make_order(f"Shared {i}", f"shared{i}", block=100 + 20 * i) for i in range(n)]


def _provision_all(client: OcipClient, orders: list[CustomerOrder]) -> tuple[list[SystemResult], SharedDocuments]:
    shared = SharedDocuments(client, sessions=2, members=len(orders))
    prov = BroadWorksProvisioner(shared, on_admin_credentials=Credentials(), parallel_steps=True)

    def one(order: CustomerOrder) -> SystemResult:
        try:
            return prov.provision(order, {}, Recorder())
        finally:
            shared.leave()

    try:
        with ThreadPoolExecutor(max_workers=len(orders)) as pool:
            return list(pool.map(one, orders)), shared
    finally:
        shared.close()


def _documents(journal: Path) -> list[list[etree._Element]]:
    out = []
    for line in journal.read_text().splitlines():
        root = etree.fromstring(json.loads(line)["request"].encode("ISO-8859-1"))
        out.append([c for c in root if etree.QName(c).localname == "command"])
    return out


def test_customers_share_documents_and_each_is_built_once(sim_factory: SimFactory, tmp_path: Path) -> None:
    sim = sim_factory(journal=tmp_path / "bw.jsonl")
    orders = _orders(8)
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST, concurrency=2) as client:
        results, shared = _provision_all(client, orders)
        assert [r.status for r in results] == ["done"] * len(orders), [r.error for r in results]
        for o in orders:
            rb = read_back(client, o.enterprise_id, o.group_id)
            assert rb["enterprise_exists"] and rb["group_exists"] and rb["calling_line_id"], o.account
    app = sim.app
    assert isinstance(app, BroadWorksSim)
    assert app.rejected_duplicates() == 0
    docs = _documents(tmp_path / "bw.jsonl")
    assert max(len(d) for d in docs) <= MAX_COMMANDS
    assert sum(len({c.findtext("serviceProviderId") for c in d} - {None}) > 1 for d in docs) >= 3
    # 8 customers x 11 steps and look-ups would be 88 documents one customer at a time
    assert shared.documents <= 30


def test_one_customers_error_response_fails_that_customer_only(sim_factory: SimFactory, tmp_path: Path) -> None:
    sim = sim_factory(journal=tmp_path / "bw.jsonl")
    orders = _orders(6)
    bad = orders[2] = make_order("Too Long", "x" * 31, block=900)  # 31 bytes: refused by the R25 schema
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST, concurrency=2) as client:
        results, _ = _provision_all(client, orders)
    assert [r.status for r in results] == ["done", "done", "failed", "done", "done", "done"]
    assert "6004" in (results[2].error or "")
    # its refused enterprise add was looked up, not sent again, and none of its dependent commands was sent
    ids = ("serviceProviderId", "searchCriteriaServiceProviderId/value")
    sent = [c.get("{http://www.w3.org/2001/XMLSchema-instance}type") for d in _documents(tmp_path / "bw.jsonl")
            for c in d if bad.enterprise_id in {c.findtext(i) for i in ids}]
    assert [t for t in sent if "Get" not in t] == ["ServiceProviderAddRequest13mp2"]


def test_lost_answers_of_shared_documents_are_looked_up_never_resent(sim_factory: SimFactory, tmp_path: Path) -> None:
    sim = sim_factory(Faults(commit_timeout_rate=0.2, fault_rate=0.1, seed=11))
    orders = _orders(8)
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST, concurrency=2, timeout=1.0) as client:
        results, _ = _provision_all(client, orders)
        assert [r.status for r in results] == ["done"] * len(orders), [r.error for r in results]
    app = sim.app
    assert isinstance(app, BroadWorksSim)
    assert app.rejected_duplicates() == 0  # every lost answer was settled by a look-up, not by sending again
    assert app.accepted_adds("ServiceProviderAddRequest13mp2") == len(orders)
    assert app.accepted_adds("GroupAddRequest") == len(orders)


def test_no_step_goes_out_before_the_steps_it_needs() -> None:
    order = list(STEPS)
    lv = levels(order)
    assert [s for level in lv for s in level] == sorted(order, key=lambda s: next(i for i, x in enumerate(lv) if s in x))
    at = {s: i for i, level in enumerate(lv) for s in level}
    for step, needs in NEEDS.items():
        assert all(at[n] < at[step] for n in needs), step
    assert at["group"] > at["enterprise"] and at["numbers_assigned"] > at["group"] and at["admin"] > at["group"]
    # a step nobody declared needs every step before it
    assert levels([*order, "later"])[-1] == ["later"]
    assert len(lv) <= 5  # ten steps, five rounds


def test_a_failed_level_stops_the_customer(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    order = make_order("Half Done", "halfdone", block=700)
    # the ledger says the enterprise is done, but BroadWorks holds nothing: the whole second level fails
    # (each step refused on its own), and nothing of a later level is sent
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST, concurrency=2) as client:
        rec = Recorder()
        result = BroadWorksProvisioner(client, on_admin_credentials=Credentials(), parallel_steps=True).provision(
            order, {"enterprise": order.enterprise_id}, rec)
    assert result.status == "failed"
    assert set(rec.final()) <= {"enterprise_services", "group", "numbers_added"}
    assert "failed" in rec.final().values()
    app = sim.app
    assert isinstance(app, BroadWorksSim) and app.store.count("grp") == 0 and app.accepted_adds() == 0
