"""The billing client's protocol handling against the simulator: login, tokens, typed errors, retries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectors.billing.client import BillingClient, Cond
from connectors.billing.simulator import BillingSim
from connectors.common.errors import AuthError, InDoubtError, TerminalError, TransientError
from connectors.common.retry import RetryPolicy
from connectors.common.simhttp import Faults, RunningSim

from .conftest import CLIENT_ID, CLIENT_SECRET, PORTAL_PASSWORD, Recorder, make_order


def _app(sim: RunningSim) -> BillingSim:
    assert isinstance(sim.app, BillingSim)
    return sim.app


def _partner(client: BillingClient, name: str = "P") -> dict[str, Any]:
    return client.create("Account", {"name": name, "accountTypeName": "Partner"}, lookup=lambda: None)


def test_wrong_secret_is_an_auth_error_and_not_retried(sim: RunningSim) -> None:
    client = BillingClient(sim.base_url, CLIENT_ID, "wrong", retry=RetryPolicy(attempts=5, base_delay=0.001))
    try:
        with pytest.raises(AuthError):
            client.search("Account", {})
        assert client.request_count == 1
        assert "wrong" not in repr(client) and CLIENT_SECRET not in repr(client)
    finally:
        client.close()


def test_lazy_login_and_request_counter(sim: RunningSim, make_client: Any) -> None:
    client = make_client(sim)
    assert client.request_count == 0
    assert client.search("Account", {"name": "nobody"}) == []
    assert client.request_count == 2  # login + search
    client.search("Account", {"name": "nobody"})
    assert client.request_count == 3 and _app(sim).counts["logins"] == 1


def test_401_logs_in_again_once(sim: RunningSim, make_client: Any) -> None:
    client = make_client(sim)
    _partner(client)
    _app(sim).revoke_tokens()
    assert len(client.search("Account", {"accountTypeName": "Partner"})) == 1
    assert _app(sim).counts["unauthorized"] == 1
    assert _app(sim).counts["logins"] == 2


def test_400_reports_every_message_at_once_and_is_not_retried(sim: RunningSim, make_client: Any) -> None:
    client = make_client(sim)
    with pytest.raises(TerminalError) as err:
        client.create(
            "Account",
            {"name": "", "accountTypeName": "Customer", "parentAccountId": 7, "invoicerAccountId": 999},
            lookup=lambda: None,
        )
    msg = str(err.value)
    assert "name is required" in msg and "invoicer account 999 does not exist" in msg
    assert "link the parent through Account/Parent" in msg
    assert err.value.code == "10400000"  # the documented number, kept as the error's code
    assert _app(sim).counts["rejected"] == 1
    assert client.request_count == 2


def test_503_is_retried_then_given_up(make_sim: Any, make_client: Any) -> None:
    sim = make_sim(faults=Faults(), rate_limit_share=0.0)
    client = make_client(sim, retry=RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002))
    client.login()
    sim.faults.fault_rate = 1.0
    with pytest.raises(TransientError) as err:
        client.search("Account", {})
    assert not isinstance(err.value, InDoubtError)
    assert client.stats.retries == 2
    assert client.request_count == 1 + 3


def test_429_carries_retry_after(make_sim: Any, make_client: Any) -> None:
    sim = make_sim(faults=Faults(), rate_limit_share=1.0)
    client = make_client(sim, retry=RetryPolicy(attempts=1))
    client.login()
    sim.faults.fault_rate = 1.0
    with pytest.raises(TransientError) as err:
        client.search("Account", {})
    assert err.value.retry_after == 1.0


def test_lost_answer_to_a_post_is_in_doubt_but_a_lost_search_is_not(make_sim: Any, make_client: Any) -> None:
    sim = make_sim(faults=Faults())
    client = make_client(sim, retry=RetryPolicy(attempts=1))
    client.login()
    sim.faults.commit_timeout_rate = 1.0
    with pytest.raises(InDoubtError):
        client.request("POST", "Account", {"name": "P", "accountTypeName": "Partner"})
    assert _app(sim).store.count("accounts") == 1  # applied, answer dropped
    with pytest.raises(TransientError) as err:
        client.request("POST", "Account/Search", {"query": {"top": 1}})
    assert not isinstance(err.value, InDoubtError)


def test_in_doubt_create_is_looked_up_not_sent_again(make_sim: Any, make_client: Any) -> None:
    sim = make_sim(faults=Faults())
    client = make_client(sim)
    client.login()
    sim.faults.commit_timeout_rate = 1.0
    looked: list[int] = []

    def lookup() -> dict[str, Any] | None:
        sim.faults.commit_timeout_rate = 0.0
        looked.append(1)
        found = client.search("Account", {"name": "P"})
        return found[0] if found else None

    acc = client.create("Account", {"name": "P", "accountTypeName": "Partner"}, lookup=lookup)
    assert looked == [1] and acc["name"] == "P"
    assert _app(sim).store.count("accounts") == 1
    assert client.stats.in_doubt == 1


def test_search_pages_and_get(sim: RunningSim, make_client: Any) -> None:
    client = make_client(sim)
    ids = [_partner(client, f"P{i}")["identity"] for i in range(5)]
    total, first = client.search_page("Account", {}, size=2)
    assert total == 5 and [a["identity"] for a in first] == ids[:2]
    _total, third = client.search_page("Account", {}, page=3, size=2)
    assert [a["identity"] for a in third] == ids[4:]
    assert [a["identity"] for a in client.search_all("Account", {}, page=2)] == ids
    assert [a["name"] for a in client.search("Account", {"name": Cond("contains", "3")})] == ["P3"]
    assert [a["identity"] for a in client.search("Account", {"identity": [Cond("gt", ids[0]), Cond("ltEq", ids[2])]})] == ids[1:3]
    got = client.get(f"Account/{ids[3]}")
    assert got is not None and got["name"] == "P3"
    assert client.get("Account/424242") is None


def test_journal_shape_and_secrets(make_sim: Any, make_client: Any, tmp_path: Path) -> None:
    from connectors.billing.provision import BillingProvisioner

    sim = make_sim(journal=True)
    client = make_client(sim)
    assert BillingProvisioner(client).provision(make_order(), {}, Recorder()).status == "done"
    lines = [json.loads(x) for x in (tmp_path / "sim" / "billing.jsonl").read_text().splitlines()]
    assert len(lines) == client.request_count
    for entry in lines:
        assert set(entry) == {"time", "request", "response"}
        assert set(entry["request"]) == {"method", "path", "body"}
        assert set(entry["response"]) == {"status", "body"}
    login = lines[0]
    assert login["request"]["path"].endswith("/Access/Login")
    assert login["request"]["body"]["client_secret"] == "***"
    assert login["response"]["body"]["access_token"] == "***"
    text = "\n".join(json.dumps(x) for x in lines)
    assert CLIENT_SECRET not in text
    creates = [x for x in lines if x["request"]["path"].endswith("/Account") and x["request"]["method"] == "POST"]
    assert {c["request"]["body"]["accountTypeName"] for c in creates} == {"Partner", "Enterprise", "Customer"}
    assert all(c["response"]["body"]["results"]["items"][0]["identity"] for c in creates)
    # The simulated system keeps a digest of the portal password, never the text.
    state = b"".join(p.read_bytes() for p in (tmp_path / "sim").glob("billing.sqlite*"))
    assert PORTAL_PASSWORD.encode() not in state
