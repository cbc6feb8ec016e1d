from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from connectors.broadworks import commands as C
from connectors.broadworks import sim_errors as E
from connectors.broadworks.client import OcipClient
from connectors.broadworks.ocip import Command, build_document, parse_responses, soap_request, unwrap_response
from connectors.broadworks.simulator import ENDPOINT, BroadWorksSim
from connectors.common.errors import InDoubtError
from connectors.common.simhttp import RunningSim
from tests.connectors.broadworks.conftest import FAST, PASSWORD, USER, SimFactory, url_of


def _app(sim: RunningSim) -> BroadWorksSim:
    assert isinstance(sim.app, BroadWorksSim)
    return sim.app


def test_state_outlives_the_process(sim_factory: SimFactory, tmp_path: Path) -> None:
    state = tmp_path / "durable.sqlite"
    first = sim_factory(state=state)
    with OcipClient(url_of(first), USER, PASSWORD, retry=FAST) as c:
        c.call(C.sp_add("e1", "e1.example", "E1"))
        c.call(C.sp_dn_add("e1", ["+1-5125550100"]))
    first.stop()
    second = sim_factory(state=state)
    with OcipClient(url_of(second), USER, PASSWORD, retry=FAST) as c:
        assert c.call(C.sp_get("e1")).text("defaultDomain") == "e1.example"
        table = c.call(C.sp_dn_summary("e1")).table("dnSummaryTable")
        assert [r["Phone Numbers"] for r in table] == ["+1-5125550100"]


def test_duplicates_are_rejected_and_counted(sim: RunningSim, client: OcipClient) -> None:
    client.send([C.sp_add("e1", "d.example", "E1")])
    client.send([C.sp_dn_add("e1", ["+1-5125550100", "+1-5125550101"])])
    (dup_sp,) = client.send([C.sp_add("e1", "d.example", "E1")])
    (dup_dn,) = client.send([C.sp_dn_add("e1", ["+1-5125550102", "+1-5125550101"])])
    assert dup_sp.error_code == dup_dn.error_code == E.ERR_DUPLICATE
    app = _app(sim)
    assert app.accepted_adds("ServiceProviderAddRequest13mp2") == 1
    assert app.rejected_duplicates() == 2
    # the rejected list changed nothing, not even its first (new) number
    assert app.store.count("dn") == 2


def test_element_order_and_required_elements_are_checked(client: OcipClient) -> None:
    bad_order = Command(
        "ServiceProviderAddRequest13mp2", [("serviceProviderId", "e1"), ("isEnterprise", True), ("defaultDomain", "d")]
    )
    missing = Command("GroupAddRequest", [("serviceProviderId", "e1"), ("groupId", "g"), ("userLimit", 1)])
    unknown = Command("ServiceProviderFlyRequest", [("serviceProviderId", "e1")])
    bad_dn = C.sp_dn_add("e1", ["5125550100"])
    a, b, c, d = client.send([bad_order, missing, unknown, bad_dn])
    assert a.error_code == b.error_code == c.error_code == d.error_code == E.ERR_SCHEMA
    assert "defaultDomain" in (b.detail or "")
    assert "not supported" in (c.detail or "")
    assert a.summary == "[Error 6004] OCI XML Request validation error"


def test_session_and_login_are_checked(sim: RunningSim) -> None:
    url = url_of(sim)
    body = soap_request(build_document("nosession", [C.sp_get("x")]))
    r = httpx.post(url, content=body, headers={"Content-Type": "text/xml"})
    _, (resp,) = parse_responses(unwrap_response(r.content))
    assert resp.error_code == E.ERR_SESSION
    # a signed password computed over the wrong nonce is refused
    with httpx.Client() as h:
        auth = h.post(url, content=soap_request(build_document("s1", [C.authentication(USER)])))
        cookie = auth.cookies["JSESSIONID"]
        login = C.login14sp4(USER, "0" * 32)
        h.cookies.clear()
        r = h.post(url, content=soap_request(build_document("s1", [login])), headers={"Cookie": f"JSESSIONID={cookie}"})
        _, (resp,) = parse_responses(unwrap_response(r.content))
    assert resp.error_code == E.ERR_LOGIN_FAILED


def test_unknown_path_and_garbage(sim: RunningSim) -> None:
    assert httpx.post(sim.base_url + "/other", content=b"x").status_code == 404
    r = httpx.post(sim.base_url + ENDPOINT, content=b"<not-soap/>")
    assert r.status_code == 500 and b"Fault" in r.content


def test_journal_holds_documents_as_received_and_sent(sim_factory: SimFactory, tmp_path: Path) -> None:
    journal = tmp_path / "bw.jsonl"
    sim = sim_factory(journal=journal)
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        c.call(C.sp_add("e1", "d.example", "E & Co"))
    lines = [json.loads(x) for x in journal.read_text().splitlines()]
    assert len(lines) == 4  # authentication, login, the add, and the logout on close
    assert "LogoutRequest" in lines[-1]["request"] and "SuccessResponse" in lines[-1]["response"]
    last = lines[-2]
    assert set(last) == {"time", "request", "response"}
    assert last["request"].startswith('<?xml version="1.0" encoding="ISO-8859-1"?><BroadsoftDocument')
    assert "<serviceProviderName>E &amp; Co</serviceProviderName>" in last["request"]
    assert 'xsi:type="c:SuccessResponse"' in last["response"]


def test_gets_answer_what_was_built(client: OcipClient) -> None:
    client.call(C.sp_add("e1", "d.example", "E1"))
    client.call(C.sp_service_auth_modify("e1", {"Hunt Group": 2}, {"Authentication": 3, "Voice Messaging User": None}))
    client.call(C.sp_pack_add("e1", "Seat", 3, ["Authentication"]))
    client.call(C.group_add("e1", "g1", "d.example", 3))
    client.call(C.group_service_auth_modify("e1", "g1", {"Seat": 3}, {"Hunt Group": 2}, {}))
    client.call(C.group_service_assign("e1", "g1", ["Hunt Group"]))
    client.call(C.sp_dn_add("e1", ["+1-5125550100"]))
    client.call(C.group_dn_assign("e1", "g1", ["+1-5125550100"]))
    client.call(C.group_modify_clid("e1", "g1", "+1-5125550100"))
    client.call(C.sp_admin_add("e1", "adm", "A", "B", "Passw0rd!x"))
    auth = client.call(C.sp_service_auth_get("e1"))
    users = {r["Service Name"]: r["Quantity"] for r in auth.table("userServicesAuthorizationTable")}
    assert users == {"Authentication": "3", "Voice Messaging User": "Unlimited"}
    g = client.call(C.group_service_auth_get("e1", "g1"))
    assert g.table("groupServicesAuthorizationTable")[0]["Assigned"] == "true"
    assert client.call(C.group_get("e1", "g1")).text("callingLineIdPhoneNumber") == "+1-5125550100"
    assert client.call(C.group_dn_list("e1", "g1")).texts("phoneNumber") == ["+1-5125550100"]
    admins = client.call(C.sp_admin_list("e1")).table("serviceProviderAdminTable")
    assert admins == [
        {"Administrator ID": "adm", "Last Name": "B", "First Name": "A", "Administrator Type": "Customer", "Language": "English"}
    ]
    # a pack may only hold services authorized to the enterprise
    (bad,) = client.send([C.sp_pack_add("e1", "Other", 1, ["Call Recording"])])
    assert bad.error_code == E.ERR_NOT_AUTHORIZED
    # a weak admin password is refused
    (weak,) = client.send([C.sp_admin_modify_password("adm", "short")])
    assert weak.error_code == E.ERR_INVALID_REQUEST


def test_journal_keeps_an_answer_that_was_never_delivered(sim_factory: SimFactory, tmp_path: Path) -> None:
    """Timeout after commit: the line holds the SuccessResponse the system produced, delivered false."""
    journal = tmp_path / "bw.jsonl"
    sim = sim_factory(journal=journal)
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        c.get([C.sp_list_exact("e1")])  # logged in, nothing dropped yet
        sim.faults.commit_timeout_rate = 1.0
        with pytest.raises(InDoubtError):
            c.send([C.sp_add("e1", "d.example", "E1")])
        sim.faults.commit_timeout_rate = 0.0
        c.send([C.sp_add("e1", "d.example", "E1")])  # refused now: it exists
    lines = [json.loads(x) for x in journal.read_text().splitlines()]
    adds = [e for e in lines if "ServiceProviderAddRequest13mp2" in e["request"]]
    assert len(adds) == 2
    applied, refused = adds
    assert applied["delivered"] is False and "SuccessResponse" in applied["response"]
    assert "delivered" not in refused and "ErrorResponse" in refused["response"]
    assert all("delivered" not in e for e in lines if e is not applied)


def test_list_requests_honour_exact_search_criteria(client: OcipClient) -> None:
    client.send([C.sp_add("e1", "d.example", "One"), C.sp_add("E1", "d.example", "Upper"), C.sp_add("e10", "d.example", "Ten")])
    client.send([C.group_add("e1", "g1", "d.example", 1), C.group_add("e1", "g10", "d.example", 1)])
    sps, groups = client.get([C.sp_list_exact("e1"), C.group_list_exact("e1", "g1")])
    assert [r["Service Provider Id"] for r in sps.table("serviceProviderTable")] == ["e1"]
    assert [r["Group Id"] for r in groups.table("groupTable")] == ["g1"]
    (none,) = client.get([C.sp_list_exact("nobody")])
    assert none.type == "ServiceProviderGetListResponse" and none.table("serviceProviderTable") == []
    client.send([C.sp_dn_add("e1", ["+1-5125550100", "+1-5125550101", "+1-5125550102"])])
    exact = [("mode", "Equal To"), ("value", "+1-5125550101"), ("isCaseInsensitive", False)]
    search = Command("ServiceProviderDnGetSummaryListRequest", [("serviceProviderId", "e1"), ("searchCriteriaDn", exact)])
    (dns,) = client.get([search])
    assert [r["Phone Numbers"] for r in dns.table("dnSummaryTable")] == ["+1-5125550101"]
