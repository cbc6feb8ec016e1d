"""Reply fixtures written by us in the documented shapes (tests/connectors/billing/fixtures): the
client's parsers read them, and the simulator answers in the same shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.billing.provision import account_broadworks_id, split_broadworks_id
from connectors.billing.replies import ReplyError, created_instance, parse_errors, parse_page, parse_token
from connectors.common.simhttp import RunningSim

from .conftest import CLIENT_ID, CLIENT_SECRET

FIXTURES = Path(__file__).parent / "fixtures"
API = "/ResourceServer/api/v10/"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_token_fixture_parses() -> None:
    token, life = parse_token(fixture("token.json"))
    assert token.startswith("eyJ") and life == 1800.0  # "1800" as text, as an older page shows it
    with pytest.raises(ReplyError):
        parse_token({"token_type": "bearer", "expires_in": 1800})
    assert parse_token({"access_token": "t", "expires_in": 86400})[1] == 1800.0  # never beyond the documented max


def test_create_fixture_parses_the_instance() -> None:
    acc = created_instance(fixture("create_account.json"), "Account")
    assert acc["identity"] == 2048 and acc["invoicerAccountId"] == 2047
    assert split_broadworks_id(account_broadworks_id(acc)) == ("P100_Acme_Dental", "P100_Acme_Dental_G1")
    # The shape the simulator used to answer (issue 13): the object flat in the item, type "add".
    flat = {"trackingId": "x", "type": "add", "results": {"totalCount": 1, "items": [{"identity": 5, "name": "A"}]}}
    with pytest.raises(ReplyError, match="no instance"):
        created_instance(flat, "Account")


def test_search_page_fixture_parses() -> None:
    total, items = parse_page(fixture("search_account_parent.json"))
    assert total == 3 and [(i["accountId"], i["parentAccountId"], i["topAccountId"]) for i in items] == [
        (2047, 1001, 1001), (2048, 2047, 1001)]
    with pytest.raises(ReplyError):
        parse_page({"trackingId": "x", "totalCount": 1})


def test_error_list_fixture_parses_every_error_with_numeric_codes() -> None:
    errors = parse_errors(fixture("errors.json"))
    assert [c for c, _ in errors] == [10400000, 13100000, 2000]
    assert all(m for _, m in errors)
    assert parse_errors({"errors": [{"code": "10400000", "message": "text code"}]}) == [(None, "text code")]


def _shape(value: Any) -> Any:
    """Keys, recursively (first list item), so two answers can be compared by shape."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if k not in ("instance", "extensions")} | (
            {"instance": "object"} if "instance" in value else {})
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__ if not isinstance(value, (int, float)) or isinstance(value, bool) else "number"


def test_simulator_answers_in_the_fixtures_shapes(sim: RunningSim) -> None:
    with httpx.Client(base_url=sim.base_url) as c:
        login = c.post("/AuthorizationServer/api/v10/Access/Login",
                       data={"grant_type": "password", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).json()
        assert set(login) == set(fixture("token.json"))
        c.headers["Authorization"] = f"Bearer {login['access_token']}"
        p = c.post(API + "Account", json={"name": "Bright Voice (P100)", "accountTypeName": "Partner"}).json()
        e = c.post(API + "Account", json={"name": "Acme Dental Enterprise", "accountTypeName": "Enterprise"}).json()
        pid, eid = created_instance(p)["identity"], created_instance(e)["identity"]
        c.post(API + "Account/Parent", json={"accountId": eid, "parentAccountId": pid})
        acc = c.post(API + "Account", json={"name": "Acme Dental", "accountTypeName": "Customer", "invoicerAccountId": eid,
                                            "extensions": {"broadWorksId": "P100_Acme_Dental/P100_Acme_Dental_G1"}}).json()
        assert _shape(acc) == _shape(fixture("create_account.json")) and acc["type"] == "create"
        assert set(created_instance(acc)) >= set(created_instance(fixture("create_account.json")))
        c.post(API + "Account/Parent", json={"accountId": created_instance(acc)["identity"], "parentAccountId": eid})
        page = c.post(API + "Account/Parent/Search", json={"query": {
            "top": 2, "search": [{"name": "topAccountId", "operator": "eq", "value": pid}],
            "pagination": {"pageNumber": 1, "pageSize": 2}}}).json()
        assert _shape(page) == _shape(fixture("search_account_parent.json"))
        bad = c.post(API + "Account", json={"name": "", "accountTypeName": "Customer", "invoicerAccountId": 999}).json()
        assert _shape(bad) == _shape(fixture("errors.json"))
        assert len(parse_errors(bad)) == 2
