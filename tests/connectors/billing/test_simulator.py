"""The simulator's rules, spoken to over plain HTTP (no client logic in the way)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.billing.simulator import BillingSim
from connectors.common.simhttp import RunningSim

from .conftest import CLIENT_ID, CLIENT_SECRET, sim_packages

API = "/ResourceServer/api/v10/"


@pytest.fixture
def http(sim: RunningSim) -> Any:
    with httpx.Client(base_url=sim.base_url) as c:
        r = c.post(
            "/AuthorizationServer/api/v10/Access/Login",
            data={"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
        )
        assert r.status_code == 200 and r.json()["expires_in"] == 1800
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield c


def post(http: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return http.post(API + path, json=body)


def item(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 200, r.text
    env = r.json()
    assert set(env) == {"trackingId", "type", "results"}
    return dict(env["results"]["items"][0])


def messages(r: httpx.Response) -> list[str]:
    return [e["message"] for e in r.json()["errors"]]


def tree(http: httpx.Client) -> tuple[int, int, int]:
    p = item(post(http, "Account", {"name": "Partner A", "accountTypeName": "Partner"}))["identity"]
    e = item(post(http, "Account", {"name": "X Enterprise", "accountTypeName": "Enterprise", "parentAccountId": p}))
    c = item(
        post(
            http,
            "Account",
            {"name": "X", "accountTypeName": "Customer", "parentAccountId": e["identity"], "invoicerAccountId": e["identity"]},
        )
    )
    return p, e["identity"], c["identity"]


def test_no_token_or_bad_token_is_401(sim: RunningSim) -> None:
    with httpx.Client(base_url=sim.base_url) as c:
        assert c.post(API + "Account/Search", json={"query": {}}).status_code == 401
        r = c.post(API + "Account/Search", json={"query": {}}, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and r.json()["errors"][0]["message"]


def test_hierarchy_invoicer_and_top(http: httpx.Client) -> None:
    p, e, c = tree(http)
    cust = item(http.get(f"{API}Account/{c}"))
    assert (cust["parentAccountId"], cust["topAccountId"], cust["invoicerAccountId"]) == (e, p, e)
    ent = item(http.get(f"{API}Account/{e}"))
    assert ent["invoicerAccountId"] == e  # invoices itself by default
    links = post(http, "Account/Parent/Search", {"query": {"search": [{"name": "topAccountId", "value": p}]}})
    assert {x["accountId"] for x in links.json()["results"]["items"]} == {p, e, c}


def test_parent_and_invoicer_rules(http: httpx.Client) -> None:
    p, e, _c = tree(http)
    _other_p, other_e, _ = tree(http)
    r = post(http, "Account", {"name": "Y", "accountTypeName": "Customer", "parentAccountId": e, "invoicerAccountId": other_e})
    assert r.status_code == 400 and "not in this account's bill group" in messages(r)[0]
    r = post(http, "Account", {"name": "Y", "accountTypeName": "Customer", "parentAccountId": p})
    assert r.status_code == 400 and "cannot be a child of a Partner" in messages(r)[0]
    r = post(http, "Account", {"name": "Y", "accountTypeName": "Customer", "parentAccountId": 9999})
    assert r.status_code == 400 and "does not exist" in messages(r)[0]


def test_no_idempotency_a_second_post_duplicates(sim: RunningSim, http: httpx.Client) -> None:
    _p, e, _c = tree(http)
    body = {"name": "X", "accountTypeName": "Customer", "parentAccountId": e}
    item(post(http, "Account", body))
    assert isinstance(sim.app, BillingSim)
    assert sim.app.store.duplicate_accounts() != []


def test_package_and_contact_rules_report_everything(sim: RunningSim, http: httpx.Client) -> None:
    _p, _e, c = tree(http)
    assert isinstance(sim.app, BillingSim)
    sim.app.store.set_package_active("RetailRates", False)
    r = post(http, "Account/Package", {"accountId": c, "packageName": "RetailRates", "quantity": 0})
    assert r.status_code == 400
    assert len(messages(r)) == 3  # inactive, quantity, effective
    r = post(http, "Account/Package", {"accountId": c, "packageName": "No Such", "quantity": 1, "effective": "2026-01-01"})
    assert "does not exist" in messages(r)[0]
    ok = item(
        post(
            http,
            "Account/Package",
            {"accountId": c, "packageName": "BroadWorks Group", "quantity": 1, "effective": "2026-01-01T00:00:00Z"},
        )
    )
    assert ok["effective"] == "2026-01-01T00:00:00Z"
    r = post(
        http,
        "Contact",
        {
            "accountId": c,
            "contactTypeName": "Billing",
            "firstName": "A",
            "lastName": "B",
            "address1": "1 Main",
            "city": "Austin",
            "zip": "78701",
            "country": "US",
            "emails": ["good@x.com", "bad@"],
        },
    )
    assert r.status_code == 400
    assert len(messages(r)) == 2  # state required for US + bad e-mail
    r = post(
        http,
        "Contact",
        {
            "accountId": c,
            "contactTypeName": "Billing",
            "firstName": "A",
            "lastName": "B",
            "address1": "1 Rue",
            "city": "Montreal",
            "state": "QC",
            "zip": "H2X 1Y4",
            "country": "CA",
            "emails": ["a@b.ca"],
        },
    )
    assert r.status_code == 200


def test_search_rejects_unknown_fields(http: httpx.Client) -> None:
    r = post(http, "Account/Search", {"query": {"top": 0, "search": [{"name": "password", "value": "x"}]}})
    assert r.status_code == 400 and len(messages(r)) == 2


def test_state_outlives_the_server(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite"
    a = BillingSim(path, CLIENT_ID, CLIENT_SECRET, packages=sim_packages())
    a.store.add_account("Kept", "Partner", None, None, None, None)
    a.close()
    b = BillingSim(path, CLIENT_ID, CLIENT_SECRET, packages=[])
    try:
        assert b.store.count("accounts") == 1
        assert b.store.package_active("RetailRates") is True
    finally:
        b.close()
