"""The simulator's rules and shapes, spoken to over plain HTTP (no client logic in the way)."""

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
        assert r.json()["token_type"] == "bearer" and r.json()["actingOwnerId"] == 1
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield c


def post(http: httpx.Client, path: str, body: dict[str, Any]) -> httpx.Response:
    return http.post(API + path, json=body)


def created(r: httpx.Response, dto: str) -> dict[str, Any]:
    """The documented create reply; returns the instance."""
    assert r.status_code == 200, r.text
    env = r.json()
    assert set(env) == {"trackingId", "type", "results"} and env["type"] == "create"
    assert env["results"]["totalCount"] == 1
    (entry,) = env["results"]["items"]
    assert set(entry) == {"identity", "action", "dtoTypeKey", "instance"}
    assert entry["action"] == "created" and entry["dtoTypeKey"] == dto
    assert entry["identity"] == entry["instance"]["identity"]
    return dict(entry["instance"])


def found(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "search"
    return list(r.json()["results"]["items"])


def messages(r: httpx.Response) -> list[str]:
    body = r.json()
    assert set(body) == {"trackingId", "type", "errors"}
    assert all(isinstance(e["code"], int) and not isinstance(e["code"], bool) for e in body["errors"])
    return [e["message"] for e in body["errors"]]


def search(http: httpx.Client, resource: str, *terms: tuple[str, str, Any], **query: Any) -> httpx.Response:
    q = {"search": [{"name": n, "operator": o, "value": v} for n, o, v in terms], **query}
    return post(http, f"{resource}/Search", {"query": q})


def account(http: httpx.Client, name: str, role: str, **extra: Any) -> int:
    return int(created(post(http, "Account", {"name": name, "accountTypeName": role, **extra}), "account")["identity"])


def link(http: httpx.Client, child: int, parent: int) -> httpx.Response:
    return post(http, "Account/Parent", {"accountId": child, "parentAccountId": parent})


def tree(http: httpx.Client, partner: str = "Partner A") -> tuple[int, int, int]:
    p = account(http, partner, "Partner")
    e = account(http, "X Enterprise", "Enterprise", extensions={"broadWorksId": "P_X/P_X_G1"})
    created(link(http, e, p), "accountParent")
    c = account(http, "X", "Customer", invoicerAccountId=e)
    created(link(http, c, e), "accountParent")
    return p, e, c


def test_no_token_or_bad_token_is_401(sim: RunningSim) -> None:
    with httpx.Client(base_url=sim.base_url) as c:
        assert c.post(API + "Account/Search", json={"query": {}}).status_code == 401
        r = c.post(API + "Account/Search", json={"query": {}}, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and messages(r)


def test_hierarchy_goes_through_account_parent(http: httpx.Client) -> None:
    p, e, c = tree(http)
    cust = http.get(f"{API}Account/{c}").json()["results"]["items"][0]
    assert cust["invoicerAccountId"] == e and cust["ownerId"] == 1
    assert "parentAccountId" not in cust  # the hierarchy lives in Account/Parent, not on Account
    ent = http.get(f"{API}Account/{e}").json()["results"]["items"][0]
    assert ent["invoicerAccountId"] == e and ent["extensions"] == {"broadWorksId": "P_X/P_X_G1"}
    links = found(search(http, "Account/Parent", ("topAccountId", "eq", p)))
    assert {(x["accountId"], x["parentAccountId"], x["topAccountId"]) for x in links} == {(e, p, p), (c, e, p)}
    named = found(search(http, "Account/Parent", ("parentAccountId", "eq", e), ("accountName", "eq", "X")))
    assert [x["accountId"] for x in named] == [c]


def test_parent_and_invoicer_rules(http: httpx.Client) -> None:
    p, e, c = tree(http)
    _p2, other_e, _ = tree(http, "Partner B")
    y = account(http, "Y", "Customer", invoicerAccountId=other_e)
    r = link(http, y, e)
    assert r.status_code == 400 and "not in this account's bill group" in messages(r)[0]
    z = account(http, "Z", "Customer")
    r = link(http, z, p)
    assert r.status_code == 400 and "cannot be a child of a Partner" in messages(r)[0]
    r = link(http, c, e)
    assert r.status_code == 400 and "already has a parent" in messages(r)[0]
    r = post(http, "Account", {"name": "W", "accountTypeName": "Customer", "parentAccountId": e, "ownerId": 2})
    assert r.status_code == 400 and len(messages(r)) == 2  # both refused fields named at once
    r = post(http, "Account", {"name": "W", "accountTypeName": "Customer", "extensions": {"nickname": "w"}})
    assert "no custom field 'nickname'" in messages(r)[0]


def test_no_idempotency_a_second_post_duplicates(sim: RunningSim, http: httpx.Client) -> None:
    _p, e, _c = tree(http)
    created(link(http, account(http, "X", "Customer"), e), "accountParent")
    assert isinstance(sim.app, BillingSim)
    assert sim.app.store.duplicate_accounts() != []


def test_contacts_hold_names_and_contact_points_hold_addresses(sim: RunningSim, http: httpx.Client) -> None:
    _p, _e, c = tree(http)
    r = post(http, "Contact", {"accountId": c, "contactTypeName": "Billing", "firstName": "A", "lastName": "B",
                               "emails": ["a@b.com"], "city": "Austin"})
    assert r.status_code == 400 and all("is a contact point" in m for m in messages(r))
    contact = created(post(http, "Contact", {"accountId": c, "contactTypeName": "Billing", "firstName": "A",
                                             "lastName": "B"}), "contact")
    cid = contact["identity"]
    r = post(http, "ContactPoint", {"contactId": cid, "contactPointTypeName": "address", "address1": "1 Main",
                                    "city": "Austin", "zip": "78701", "country": "US"})
    assert r.status_code == 400 and messages(r) == ["state is required for a US address (two letters)"]
    r = post(http, "ContactPoint", {"contactId": cid, "contactPointTypeName": "email", "value": "bad@"})
    assert r.status_code == 400 and "invalid e-mail" in messages(r)[0]
    addr = created(post(http, "ContactPoint", {"contactId": cid, "contactPointTypeName": "address", "address1": "1 Rue",
                                               "city": "Montreal", "state": "QC", "zip": "H2X 1Y4", "country": "CA"}),
                   "contactPoint")
    mail = created(post(http, "ContactPoint", {"contactId": cid, "contactPointTypeName": "email", "value": "a@b.ca"}),
                   "contactPoint")
    points = found(search(http, "ContactPoint", ("contactId", "eq", cid)))
    assert [p["identity"] for p in points] == [addr["identity"], mail["identity"]]
    assert points[1]["value"] == "a@b.ca" and points[0]["city"] == "Montreal"


def test_package_rules_report_everything(sim: RunningSim, http: httpx.Client) -> None:
    _p, _e, c = tree(http)
    assert isinstance(sim.app, BillingSim)
    sim.app.store.set_package_active("RetailRates", False)
    r = post(http, "Account/Package", {"accountId": c, "packageName": "RetailRates", "quantity": 0})
    assert r.status_code == 400
    assert len(messages(r)) == 3  # inactive, quantity, effective
    r = post(http, "Account/Package", {"accountId": c, "packageName": "No Such", "quantity": 1, "effective": "2026-01-01"})
    assert "does not exist" in messages(r)[0]
    ok = created(
        post(http, "Account/Package",
             {"accountId": c, "packageName": "BroadWorks Group", "quantity": 1, "effective": "2026-01-01T00:00:00Z"}),
        "accountPackage",
    )
    assert ok["effective"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ({"top": 10, "skip": 10}, "'skip'"),
        ({"top": 10001}, "top must be"),
        ({"search": [{"name": "name", "operator": "ne", "value": "x"}]}, "unknown operator 'ne'"),
        ({"search": [{"name": "name", "operator": "in", "value": ["x"]}]}, "unknown operator 'in'"),
        ({"search": [{"name": "name", "value": "x"}]}, "{name, operator, value}"),
        ({"search": [{"name": "password", "operator": "eq", "value": "x"}]}, "not a searchable field"),
        ({"pagination": {"pageNumber": 0, "pageSize": 10}}, "pageNumber must be >= 1"),
        ({"pagination": {"pageNumber": 1, "pageSize": 10001}}, "pageSize from 1 to 10000"),
        ({"orderBy": [{"name": "name", "direction": "up"}]}, "orderBy"),
    ],
)
def test_search_refuses_what_the_documents_do_not_show(http: httpx.Client, query: dict[str, Any], needle: str) -> None:
    r = post(http, "Account/Search", {"query": query})
    assert r.status_code == 400 and needle in " ".join(messages(r))


def test_search_operators_and_pages(http: httpx.Client) -> None:
    ids = [account(http, f"Acct {i}", "Partner") for i in range(7)]
    between = found(search(http, "Account", ("identity", "gtEq", ids[2]), ("identity", "lt", ids[4])))
    assert [a["identity"] for a in between] == ids[2:4]
    assert len(found(search(http, "Account", ("name", "notEq", "Acct 0")))) == 6
    assert [a["name"] for a in found(search(http, "Account", ("name", "contains", "ct 5")))] == ["Acct 5"]
    r = search(http, "Account", pagination={"pageNumber": 2, "pageSize": 3})
    assert r.json()["results"]["totalCount"] == 7 and [a["identity"] for a in found(r)] == ids[3:6]
    desc = found(search(http, "Account", orderBy=[{"name": "identity", "direction": "desc"}], top=2))
    assert [a["identity"] for a in desc] == ids[:-3:-1]


def test_state_outlives_the_server(tmp_path: Path) -> None:
    path = tmp_path / "b.sqlite"
    a = BillingSim(path, CLIENT_ID, CLIENT_SECRET, packages=sim_packages())
    a.store.add_account("Kept", "Partner", None, None, None)
    a.close()
    b = BillingSim(path, CLIENT_ID, CLIENT_SECRET, packages=[])
    try:
        assert b.store.count("accounts") == 1
        assert b.store.package_active("RetailRates") is True
    finally:
        b.close()
