from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from connectors.common.errors import AuthError, TerminalError
from connectors.common.simhttp import Faults, Request, Response
from connectors.tickets.simulator import TicketsSim

from .conftest import TOKEN, ScriptedFaults, SimEnv, StartSim


def test_ensure_ticket_looks_up_before_it_opens(tickets: SimEnv) -> None:
    with tickets.client() as client:
        tid, created = client.ensure_ticket("p1:Acme:lnp_order", "LNP for Acme", "Port 2 numbers", ["onboarding"])
        again, created_again = client.ensure_ticket("p1:Acme:lnp_order", "LNP for Acme", "Port 2 numbers")

    assert created is True and created_again is False
    assert again == tid
    stored = tickets.sim.tickets("p1:Acme:lnp_order")
    assert [t["id"] for t in stored] == [tid]
    assert stored[0]["subject"] == "LNP for Acme" and stored[0]["description"] == "Port 2 numbers"
    assert stored[0]["tags"] == ["onboarding"] and stored[0]["status"] == "new"
    # The second call only looked: one POST in the whole exchange.
    assert tickets.posts() == 1


def test_zendesk_shapes_create_show_list_and_pagination(tickets: SimEnv) -> None:
    with tickets.client() as client:
        made = [client.create_ticket(f"p:a:k{i}", f"S{i}", f"B{i}", ["x"], priority="high") for i in range(5)]
        assert [t.external_id for t in made] == [f"p:a:k{i}" for i in range(5)]
        assert made[0].priority == "high" and made[0].type == "task"

        listed = client.list_tickets(per_page=2)  # three pages, followed through next_page
        assert [t.id for t in listed] == [t.id for t in made]

        shown = client.get_ticket(made[3].id)
        assert shown is not None and shown.subject == "S3" and shown.description == "B3"
        assert client.get_ticket(99999) is None

    page = httpx.get(
        f"{tickets.url}/api/v2/tickets.json",
        params={"per_page": 2, "page": 3},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).json()
    assert page["count"] == 5 and page["next_page"] is None and "page=2" in page["previous_page"]
    assert len(page["tickets"]) == 1


def test_no_server_side_dedupe_so_a_blind_retry_duplicates(tickets: SimEnv) -> None:
    with tickets.client() as client:
        first = client.create_ticket("p:a:trunking", "Trunking", "Please call")
        client.create_ticket("p:a:trunking", "Trunking", "Please call")
        assert len(tickets.sim.tickets("p:a:trunking")) == 2
        # The oldest one is "the" ticket; ensure_ticket opens no third.
        assert client.ensure_ticket("p:a:trunking", "Trunking", "Please call") == (first.id, False)
    assert len(tickets.sim.tickets("p:a:trunking")) == 2


def test_answer_lost_after_commit_is_looked_up_not_resent(start_tickets: StartSim) -> None:
    # look-up GET answered, POST applied and its answer dropped, then everything answered.
    env = start_tickets(ScriptedFaults([(False, False), (False, True)]))
    with env.client() as client:
        tid, created = client.ensure_ticket("p:a:toll_free_new", "Toll free", "New number")
        assert client.stats.in_doubt == 1
    assert created is True
    assert [t["id"] for t in env.sim.tickets("p:a:toll_free_new")] == [tid]
    posts = [e for e in env.entries() if e["request"]["method"] == "POST"]
    assert len(posts) == 1 and posts[0]["delivered"] is False  # the journal saw it go unanswered
    assert posts[0]["response"]["status"] == 201  # ...and still holds what the system answered (applied)


def test_transient_fault_before_commit_is_retried(start_tickets: StartSim) -> None:
    env = start_tickets(ScriptedFaults([(False, False), (True, False)]))  # the first POST gets a 503
    with env.client() as client:
        tid, created = client.ensure_ticket("p:a:did_backorder:512-555", "Backorder", "10 numbers")
        assert client.stats.retries == 1 and client.stats.in_doubt == 0
    assert created and [t["id"] for t in env.sim.tickets()] == [tid]
    statuses = [e["response"]["status"] for e in env.entries() if e["request"]["method"] == "POST"]
    assert statuses == [503, 201]


class RateLimitedSim(TicketsSim):
    def transient_fault(self, request: Request) -> Response:
        return Response(429, b'{"error": "TooManyRequests"}', headers={"Retry-After": "0"})


def test_429_waits_retry_after_then_succeeds(start_tickets: StartSim) -> None:
    env = start_tickets(ScriptedFaults([(True, False), (True, False)]), sim_cls=RateLimitedSim)
    with env.client() as client:
        tid, created = client.ensure_ticket("p:a:pending_e911", "E911", "Address pending")
        assert client.stats.retries == 2
    assert created and [t["id"] for t in env.sim.tickets()] == [tid]
    assert [e["response"]["status"] for e in env.entries()][:2] == [429, 429]


def test_wrong_token_is_a_terminal_auth_error_without_retries(tickets: SimEnv) -> None:
    with tickets.client(token="wrong") as client:
        with pytest.raises(AuthError) as err:
            client.ensure_ticket("p:a:lnp_order", "LNP", "x")
        assert client.stats.retries == 0
    assert err.value.code == "401" and err.value.system == "tickets"
    assert "wrong" not in str(err.value)
    assert tickets.sim.tickets() == []


def test_rejected_ticket_is_terminal_with_zendesk_message(tickets: SimEnv) -> None:
    with tickets.client() as client:
        with pytest.raises(TerminalError) as err:
            client.ensure_ticket("p:a:lnp_order", "LNP", "x", priority="whenever")
        assert client.stats.retries == 0
    assert err.value.code == "422" and "Priority: whenever is not valid" in str(err.value)
    assert tickets.posts() == 1 and tickets.sim.tickets() == []


def test_journal_lines_follow_design_and_hold_no_token(tickets: SimEnv) -> None:
    with tickets.client() as client:
        client.ensure_ticket("p:a:resporg_change", "RespOrg", "Change RespOrg")
    entries = tickets.entries()
    assert [e["request"]["method"] for e in entries] == ["GET", "POST"]
    get, post = entries
    assert set(get) == {"time", "request", "response"}
    assert get["request"]["path"] == "/api/v2/tickets.json?external_id=p%3Aa%3Aresporg_change"
    assert get["response"] == {"status": 200, "body": {"tickets": [], "next_page": None, "previous_page": None, "count": 0}}
    assert post["request"]["body"]["ticket"]["comment"] == {"body": "Change RespOrg"}
    assert post["response"]["status"] == 201 and post["response"]["body"]["ticket"]["external_id"] == "p:a:resporg_change"
    assert TOKEN not in tickets.journal.read_text(encoding="utf-8")


def test_state_outlives_the_server(start_tickets: StartSim, tmp_path: Path) -> None:
    state = tmp_path / "state" / "tickets.sqlite"
    first = start_tickets(state=state)
    with first.client() as client:
        tid, _ = client.ensure_ticket("p:a:lnp_order", "LNP", "x")
    first.running.stop()

    second = start_tickets(state=state)
    with second.client() as client:
        assert client.ensure_ticket("p:a:lnp_order", "LNP", "x") == (tid, False)
    assert second.posts() == 0


def test_faults_and_lost_answers_still_give_one_ticket_per_external_id(start_tickets: StartSim) -> None:
    faults = Faults(fault_rate=0.2, commit_timeout_rate=0.1, seed=11)
    env = start_tickets(faults)
    keys = [f"p9:Cust {i}:did_backorder:512-{i:03d}" for i in range(40)]
    with env.client() as client, ThreadPoolExecutor(max_workers=4) as pool:
        # Each key twice, concurrently: the second call must find the first one's ticket.
        results = list(pool.map(lambda k: client.ensure_ticket(k, "Backorder", f"numbers for {k}"), keys + keys))

    stored = env.sim.tickets()
    assert sorted(t["external_id"] for t in stored) == sorted(keys)  # exactly one each
    by_key = {t["external_id"]: t["id"] for t in stored}
    assert all(tid == by_key[k] for k, (tid, _) in zip(keys + keys, results, strict=True))
    assert sum(created for _, created in results) == len(keys)
    assert faults.counts["faults"] > 0 and faults.counts["commit_timeouts"] > 0


def test_show_many_reads_a_hundred_tickets_per_request_and_the_simulator_refuses_more(tickets: SimEnv) -> None:
    with tickets.client() as client:
        made = [client.create_ticket(f"p:a:k{i}", f"S{i}", f"B{i}") for i in range(205)]
        before = len(tickets.entries())
        shown = client.show_many([t.id for t in made] + [99999])  # an id the system does not hold: not returned
        gets = [e for e in tickets.entries()[before:] if e["request"]["method"] == "GET"]

    assert sorted(t.id for t in shown) == sorted(t.id for t in made)
    assert {t.id: t.subject for t in shown}[made[150].id] == "S150"
    assert len(gets) == 3 and all("show_many" in e["request"]["path"] for e in gets)  # 206 ids: 100 + 100 + 6
    too_many = httpx.get(f"{tickets.url}/api/v2/tickets/show_many.json",
                         params={"ids": ",".join(str(t.id) for t in made[:101])},
                         headers={"Authorization": f"Bearer {TOKEN}"})
    assert too_many.status_code == 400 and "100" in too_many.text
    bad = httpx.get(f"{tickets.url}/api/v2/tickets/show_many.json", params={"ids": "1,x"},
                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert bad.status_code == 400
