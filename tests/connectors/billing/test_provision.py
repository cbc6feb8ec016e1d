"""The billing provisioner against the simulator served on loopback: end state read back over REST."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from connectors.billing.client import BillingClient
from connectors.billing.provision import BROADWORKS_ID, STEPS, BillingProvisioner, broadworks_id
from connectors.billing.readback import list_partner_accounts, read_back, read_customers, read_partner, unexplained
from connectors.billing.simulator import BillingSim
from connectors.common.simhttp import Faults, RunningSim
from core.order import BILL_ENTERPRISE, BILL_GROUP, CustomerOrder

from .conftest import Recorder, line, make_order


def _app(sim: RunningSim) -> BillingSim:
    assert isinstance(sim.app, BillingSim)
    return sim.app


def _assert_billed(client: BillingClient, order: CustomerOrder, result_ids: dict[str, str] | None = None) -> dict[str, Any]:
    rb = read_back(client, order.partner_id, order.partner_name, order.account)
    assert rb["found"] and rb["duplicates"] == 0
    ent, cust = rb["enterprise"], rb["customer"]
    assert ent["name"] == f"{order.account} Enterprise" and ent["role"] == "Enterprise"
    assert cust["name"] == order.account and cust["role"] == "Customer"
    assert ent["parent_id"] == rb["partner_account_id"]
    assert cust["parent_id"] == ent["id"]
    assert rb["billing_type"] == order.billing_type
    expected_invoicer = ent["id"] if order.billing_type == BILL_ENTERPRISE else cust["id"]
    assert cust["invoicer_id"] == expected_invoicer
    assert ent["invoicer_id"] == ent["id"]
    assert rb["missing_auto_packages"] == []
    assert [(p["name"], p["quantity"], p["effective"]) for p in ent["packages"]] == [
        ("BroadWorks Enterprise", 1, order.billing_start)
    ]
    want = sorted(
        [("BroadWorks Group", 1, order.billing_start), ("RetailRates", 1, order.billing_start)]
        + [(p.billing_package, p.quantity, order.billing_start) for p in order.packages]
    )
    assert sorted((p["name"], p["quantity"], p["effective"]) for p in cust["packages"]) == want
    contact = rb["contact"]
    assert contact is not None
    assert contact["emails"] == list(order.emails)
    assert (contact["first_name"], contact["last_name"], contact["state"]) == (
        order.first_name,
        order.last_name,
        order.address.state,
    )
    # The contact lives on the invoicer only.
    other = cust if order.billing_type == BILL_ENTERPRISE else ent
    assert other["contacts"] == []
    assert cust["has_portal_password"]
    # issue 12: both accounts carry the customer's BroadWorks enterprise and group ids
    for acc in (ent, cust):
        assert (acc["enterprise_id"], acc["group_id"]) == (order.enterprise_id, order.group_id)
    if result_ids is not None:
        assert result_ids["enterprise_account_id"] == ent["id"]
        assert result_ids["customer_account_id"] == cust["id"]
    return rb


@pytest.mark.parametrize("billing_type", [BILL_ENTERPRISE, BILL_GROUP])
def test_customer_billed_with_two_accounts(sim: RunningSim, make_client: Any, billing_type: str) -> None:
    client = make_client(sim)
    order = make_order(billing_type=billing_type)
    rec = Recorder()
    result = BillingProvisioner(client).provision(order, {}, rec)
    assert result.status == "done", result.error
    assert result.system == "billing" and result.account == order.account
    _assert_billed(client, order, result.external_ids)
    accounts = list_partner_accounts(client, order.partner_id)
    assert sorted(a["role"] for a in accounts) == ["Customer", "Enterprise"]
    # Each step: pending before it is sent, then done with an external id for the accounts.
    assert [e.step for e in rec.events if e.status == "pending"] == list(STEPS)
    final = rec.final()
    assert all(final[s].status == "done" for s in STEPS)
    assert final["enterprise_account"].external_id == result.external_ids["enterprise_account_id"]
    assert final["customer_account"].external_id == result.external_ids["customer_account_id"]
    for e in rec.events:
        assert "Portal#" not in repr(e)


def test_rerun_creates_nothing(sim: RunningSim, make_client: Any) -> None:
    client = make_client(sim)
    order = make_order()
    first = BillingProvisioner(client).provision(order, {}, Recorder())
    store = _app(sim).store
    before = (store.count("accounts"), store.count("contacts"), store.count("account_packages"))
    creates = _app(sim).counts["creates"]
    second = BillingProvisioner(make_client(sim)).provision(order, {}, Recorder())
    assert second.status == "done"
    assert second.external_ids == first.external_ids
    assert (store.count("accounts"), store.count("contacts"), store.count("account_packages")) == before
    assert _app(sim).counts["creates"] == creates


def test_done_steps_are_skipped_without_a_request(sim: RunningSim, make_client: Any) -> None:
    order = make_order()
    rec = Recorder()
    BillingProvisioner(make_client(sim)).provision(order, {}, rec)
    done = {e.step: e.external_id for e in rec.events if e.status == "done"}
    fresh = make_client(sim)
    again = Recorder()
    result = BillingProvisioner(fresh).provision(order, done, again)
    assert result.status == "done"
    assert fresh.request_count == 0
    assert again.events == []
    assert result.external_ids["customer_account_id"] == done["customer_account"]


def test_resume_runs_only_the_missing_steps(sim: RunningSim, make_client: Any) -> None:
    order = make_order(billing_type=BILL_GROUP)
    rec = Recorder()
    BillingProvisioner(make_client(sim)).provision(order, {}, rec)
    done = {e.step: e.external_id for e in rec.events if e.status == "done"}
    partial = {k: v for k, v in done.items() if k in ("partner_account", "enterprise_account", "enterprise_package")}
    again = Recorder()
    result = BillingProvisioner(make_client(sim)).provision(order, partial, again)
    assert result.status == "done"
    assert [e.step for e in again.events if e.status == "pending"] == ["customer_account", "billing_contact", "customer_packages"]
    assert _app(sim).store.duplicate_accounts() == []
    assert _app(sim).store.duplicate_packages() == []


def test_two_partners_acme_never_meet(sim: RunningSim, make_client: Any) -> None:
    client = make_client(sim)
    prov = BillingProvisioner(client)
    a = make_order("Acme", partner_id="P1", partner_name="North Voice")
    b = make_order("Acme", partner_id="P2", partner_name="South Voice", billing_type=BILL_GROUP)
    ra, rb = prov.provision(a, {}, Recorder()), prov.provision(b, {}, Recorder())
    assert ra.status == rb.status == "done"
    assert ra.external_ids["customer_account_id"] != rb.external_ids["customer_account_id"]
    assert ra.external_ids["enterprise_account_id"] != rb.external_ids["enterprise_account_id"]
    _assert_billed(client, a, ra.external_ids)
    _assert_billed(client, b, rb.external_ids)
    assert len(list_partner_accounts(client, "P1")) == len(list_partner_accounts(client, "P2")) == 2
    assert _app(sim).store.count("accounts") == 6  # two partner owners + 2 x 2


def test_repeated_package_lines_are_a_multiset(sim: RunningSim, make_client: Any) -> None:
    # The same billing package under two order types, twice with the same quantity: all kept.
    pk = (
        line("Enterprise UC - Phone Prime", "Enterprise UC - Phone Prime", 3, seat=True),
        line("Enterprise UC - Phone Prime", "Enterprise UC - Phone Prime", 3, order_type="Hosted UC One", seat=True),
        line("Enterprise UC - Phone Prime", "Enterprise UC - Phone Prime", 1, order_type="Hosted UC One", seat=True),
    )
    client = make_client(sim)
    order = make_order(packages=pk)
    assert BillingProvisioner(client).provision(order, {}, Recorder()).status == "done"
    assert BillingProvisioner(client).provision(order, {}, Recorder()).status == "done"
    _assert_billed(client, order)
    assert _app(sim).store.count("account_packages") == 1 + 2 + 3


def test_terminal_errors_reported_all_at_once_not_retried(sim: RunningSim, make_client: Any) -> None:
    client = make_client(sim)
    order = make_order(emails=("billing@acme", "ap at acme.com"), state="")
    rec = Recorder()
    result = BillingProvisioner(client).provision(order, {}, rec)
    assert result.status == "failed"
    assert result.error is not None
    for needle in ("'billing@acme'", "'ap at acme.com'", "state is required"):
        assert needle in result.error
    final = rec.final()
    assert final["billing_contact"].status == "failed"
    assert final["billing_contact"].error == result.error
    assert "customer_packages" not in final  # nothing after the failed step
    # the address and each e-mail are contact points of their own: three refusals, each sent once
    assert _app(sim).counts["rejected"] == 3
    assert result.external_ids["customer_account_id"]


def test_inactive_package_fails_the_package_step(sim: RunningSim, make_client: Any) -> None:
    _app(sim).store.set_package_active("Auto Attendant", False)
    result = BillingProvisioner(make_client(sim)).provision(make_order(), {}, Recorder())
    assert result.status == "failed"
    assert "'Auto Attendant' is not active" in (result.error or "")


def test_faults_and_lost_answers_same_end_state_no_duplicates(make_sim: Any, make_client: Any) -> None:
    sim = make_sim(faults=Faults(fault_rate=0.2, commit_timeout_rate=0.1, seed=7), rate_limit_share=0.2)
    client = make_client(sim)
    prov = BillingProvisioner(client)
    orders = [
        make_order(f"Customer {i:02d}", partner_id=f"P{i % 2}", billing_type=(BILL_ENTERPRISE, BILL_GROUP)[i % 2])
        for i in range(8)
    ]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda o: prov.provision(o, {}, Recorder()), orders))
    assert [r.status for r in results] == ["done"] * len(orders), [r.error for r in results]
    counts = sim.faults.counts
    assert counts["faults"] > 0 and counts["commit_timeouts"] > 0
    assert client.stats.in_doubt > 0 and client.stats.retries > 0
    app = _app(sim)
    assert app.store.duplicate_accounts() == []
    assert app.store.duplicate_packages() == []
    assert app.store.count("accounts") == 2 + 2 * len(orders)
    assert app.store.count("contacts") == len(orders)
    sim.faults.fault_rate = sim.faults.commit_timeout_rate = 0.0
    for order, result in zip(orders, results, strict=True):
        _assert_billed(client, order, result.external_ids)


def test_token_expiring_mid_run_is_renewed(make_sim: Any, make_client: Any) -> None:
    sim = make_sim(faults=Faults(latency_ms=40), token_life=0.6)
    client = make_client(sim)
    prov = BillingProvisioner(client)
    orders = [make_order(f"Clinic {i}", billing_type=(BILL_ENTERPRISE, BILL_GROUP)[i % 2]) for i in range(3)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda o: prov.provision(o, {}, Recorder()), orders))
    assert [r.status for r in results] == ["done"] * 3
    assert _app(sim).counts["logins"] >= 2  # the run outlived its first token
    for order in orders:
        _assert_billed(client, order)


def test_account_made_but_never_linked_is_adopted_not_made_again(sim: RunningSim, make_client: Any) -> None:
    # The run stopped between creating the enterprise account and linking it under the partner.
    client = make_client(sim)
    order = make_order()
    prov = BillingProvisioner(client)
    prov.ensure_partner(order.partner_id, order.partner_name)
    stray = client.create(
        "Account",
        {"name": "Acme Dental Enterprise", "accountTypeName": "Enterprise",
         "extensions": {BROADWORKS_ID: broadworks_id(order.enterprise_id, order.group_id)}},
        lookup=lambda: None,
    )
    # Another partner's unlinked account of the same name is not ours (other BroadWorks ids).
    client.create("Account", {"name": "Acme Dental Enterprise", "accountTypeName": "Enterprise",
                              "extensions": {BROADWORKS_ID: "P999_Acme/P999_Acme_G1"}}, lookup=lambda: None)
    result = prov.provision(order, {}, Recorder())
    assert result.status == "done", result.error
    assert result.external_ids["enterprise_account_id"] == str(stray["identity"])
    assert [name for _id, name in _app(sim).store.orphans()] == ["Acme Dental Enterprise"]  # only the foreign one
    _assert_billed(client, order, result.external_ids)


def test_bulk_read_back_matches_by_broadworks_ids_in_few_requests(sim: RunningSim, make_client: Any) -> None:
    client = make_client(sim)
    orders = [make_order(f"Clinic {i:02d}", billing_type=(BILL_ENTERPRISE, BILL_GROUP)[i % 2]) for i in range(12)]
    prov = BillingProvisioner(client)
    for o in orders:
        assert prov.provision(o, {}, Recorder()).status == "done"
    # Finance renamed one customer in billing: it is still found, by its BroadWorks ids.
    _app(sim).store._db.execute("UPDATE accounts SET name = 'Clinic 03 LLC' WHERE name = 'Clinic 03'")
    plans = [{"partner_id": o.partner_id, "partner_name": o.partner_name, "account": o.account,
              "enterprise_id": o.enterprise_id, "group_id": o.group_id} for o in orders]
    before = client.request_count
    views = read_customers(client, plans)
    assert client.request_count - before <= 7  # partner, links, accounts, packages, contacts, points
    for o in orders:
        v = views[(o.partner_id, o.account)]
        assert v["found"] and v["duplicates"] == 0 and v["billing_type"] == o.billing_type, o.account
    assert views[("P100", "Clinic 03")]["customer"]["name"] == "Clinic 03 LLC"
    assert unexplained(read_partner(client, "P100"), plans) == []
    # An account carrying Clinic 00's ids under another name is someone else's: reported, not merged.
    stray = CustomerOrder.from_dict({**orders[0].to_dict(), "account": "Stray Clinic"}, portal_password="x")
    assert prov.provision(stray, {}, Recorder()).status == "done"
    views = read_customers(client, plans)
    assert views[("P100", "Clinic 00")]["duplicates"] == 0
    extra = unexplained(read_partner(client, "P100"), plans)
    assert [(x["account"], x["billing"]["found"]) for x in extra] == [("Stray Clinic", True)]
