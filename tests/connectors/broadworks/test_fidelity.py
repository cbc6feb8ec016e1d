"""Protocol fidelity: nothing hangs on an error number, sessions are recovered, text and ranges read right."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from connectors.broadworks import commands as C
from connectors.broadworks import provision as provision_module
from connectors.broadworks import sim_errors as E
from connectors.broadworks.client import OcipClient
from connectors.broadworks.ocip import parse_responses, response_document
from connectors.broadworks.provision import BroadWorksProvisioner
from connectors.broadworks.simulator import BroadWorksSim
from connectors.broadworks.state import CustomerState, _present, enterprise_exists, expand_dns, read_back, read_state
from connectors.common.errors import TerminalError
from connectors.common.simhttp import Faults, RunningSim
from core.order import CustomerOrder
from tests.connectors.broadworks.conftest import FAST, PASSWORD, USER, Credentials, Recorder, SimFactory, make_order, url_of

ROOT = Path(__file__).resolve().parents[3]


def _app(sim: RunningSim) -> BroadWorksSim:
    assert isinstance(sim.app, BroadWorksSim)
    return sim.app


def _provision(client: OcipClient, order: CustomerOrder, creds: Credentials | None = None) -> tuple[str, str | None]:
    result = BroadWorksProvisioner(client, on_admin_credentials=creds or Credentials()).provision(order, {}, Recorder())
    return result.status, result.error


# ------------------------------------------------------------------ error numbers


def test_alternate_errors_onboard_exactly_once(sim_factory: SimFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No errorCode element, other numbers: a refused add is looked up, and nothing is created twice."""
    journal = tmp_path / "bw.jsonl"
    sim = sim_factory(journal=journal, error_variant="alternate")
    order = make_order()
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        assert _provision(c, order) == ("done", None)
        first = _app(sim).accepted_adds()
        # A second run whose first look is stale (another run created everything meanwhile): every
        # add it sends is refused as a duplicate under a number the client has never heard of.
        real = provision_module.read_state
        calls: list[int] = []

        def stale_once(client: OcipClient, sp: str, group_id: str) -> CustomerState:
            calls.append(1)
            return CustomerState() if len(calls) == 1 else real(client, sp, group_id)

        monkeypatch.setattr(provision_module, "read_state", stale_once)
        assert _provision(c, order) == ("done", None)
        assert enterprise_exists(c, order.enterprise_id)
    app = _app(sim)
    assert app.accepted_adds() == first  # exactly once
    assert app.rejected_duplicates() == 1  # the stale add was refused, then looked up, never resent
    answers = [json.loads(line)["response"] or "" for line in journal.read_text().splitlines()]
    errors = [a for a in answers if "ErrorResponse" in a]
    assert errors and not any("<errorCode>" in a for a in errors)
    assert all(re.search(r"\[Error 8\d{3}\]", a) for a in errors)


def test_alternate_errors_survive_lost_answers(sim_factory: SimFactory, tmp_path: Path) -> None:
    orders = [make_order(f"Lossy {i}", f"lossy{i}", block=300 + 10 * i) for i in range(3)]
    clean = sim_factory(error_variant="alternate", state=tmp_path / "clean.sqlite")
    faults = Faults(fault_rate=0.15, commit_timeout_rate=0.15, seed=11)
    chaos = sim_factory(faults, error_variant="alternate", state=tmp_path / "chaos.sqlite")
    with OcipClient(url_of(clean), USER, PASSWORD, retry=FAST) as c:
        assert all(_provision(c, o)[0] == "done" for o in orders)
    with OcipClient(url_of(chaos), USER, PASSWORD, retry=dataclasses.replace(FAST, attempts=12)) as c:
        for o in orders:
            status, error = _provision(c, o)
            assert status == "done", error
    assert chaos.faults.counts["faults"] > 0 and chaos.faults.counts["commit_timeouts"] > 0
    for o in orders:
        assert _app(chaos).store.snapshot(o.enterprise_id) == _app(clean).store.snapshot(o.enterprise_id)
    assert _app(chaos).accepted_adds() == _app(clean).accepted_adds()
    assert _app(chaos).rejected_duplicates() == 0


def test_a_get_error_is_absence_only_when_the_list_agrees() -> None:
    doc = response_document("s", [E.ErrorStyle("alternate").command(E.ERR_NOT_FOUND, "whatever the server says")])
    _, (err,) = parse_responses(doc)
    assert _present(err, listed=False, what="GroupGetRequest22V5") is None
    with pytest.raises(TerminalError):
        _present(err, listed=True, what="GroupGetRequest22V5")


def test_client_code_never_reads_error_numbers() -> None:
    for name in ("client.py", "state.py", "provision.py", "commands.py"):
        text = (ROOT / "connectors" / "broadworks" / name).read_text(encoding="utf-8")
        assert "sim_errors" not in text and "ERR_" not in text, name
        assert not re.search(r"error_code\s*==", text), name


def test_enterprise_exists_reads_a_list_request(sim_factory: SimFactory, tmp_path: Path) -> None:
    journal = tmp_path / "bw.jsonl"
    sim = sim_factory(journal=journal, error_variant="alternate")
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        assert enterprise_exists(c, "p1-acme") is False
        c.call(C.sp_add("p1-acme-2", "d.example", "Other"))  # a longer id that merely starts alike
        assert enterprise_exists(c, "p1-acme") is False
        c.call(C.sp_add("p1-acme", "d.example", "Acme"))
        assert enterprise_exists(c, "p1-acme") is True
    sent = [json.loads(line)["request"] for line in journal.read_text().splitlines()]
    assert any("ServiceProviderGetListRequest" in s for s in sent)
    assert not any("ServiceProviderGetRequest22V4" in s for s in sent)


# ------------------------------------------------------------------ sessions


@pytest.mark.parametrize("refusal", ["User is not logged in", "Invalid sessionId supplied", "fault"])
def test_session_invalidated_on_the_server_costs_one_relogin(sim_factory: SimFactory, refusal: str) -> None:
    """Lost between the look-up and an add: re-login, look up, then the add; one login more, one add."""
    sim = sim_factory(error_variant="alternate", session_refusal=refusal)
    order = make_order()
    app = _app(sim)
    expired: list[bool] = []

    class ExpireBeforeAdminAdd(Credentials):
        def __call__(self, order: CustomerOrder, user_id: str, password: str) -> None:
            super().__call__(order, user_id, password)
            if not expired:
                expired.append(True)
                app.expire_sessions()  # the server forgets every login right before the admin add

    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST, concurrency=1) as c:
        creds = ExpireBeforeAdminAdd()
        assert _provision(c, order, creds) == ("done", None)
        assert expired and c.logins == 2
        app.expire_sessions()
        assert c.get([C.sp_list_exact(order.enterprise_id)])[0].type == "ServiceProviderGetListResponse"  # a Get: resent
        assert c.logins == 3
    assert app.accepted_adds("ServiceProviderAdminAddRequest14") == 1
    assert app.rejected_duplicates() == 0


def test_logout_when_the_pool_closes(sim_factory: SimFactory, tmp_path: Path) -> None:
    journal = tmp_path / "bw.jsonl"
    sim = sim_factory(journal=journal)
    c = OcipClient(url_of(sim), USER, PASSWORD, retry=FAST)
    c.call(C.sp_add("e1", "e1.example", "E1"))
    c.close()
    assert c.logouts == 1 and _app(sim).logouts() == 1
    last = json.loads(journal.read_text().splitlines()[-1])
    assert "LogoutRequest" in last["request"] and "SuccessResponse" in last["response"]


# ------------------------------------------------------------------ text and numbers


def test_cafe_mueller_round_trips(sim: RunningSim, client: OcipClient) -> None:
    order = make_order("Café Müller", "cafe")
    assert _provision(client, order)[0] == "done"
    got = read_back(client, order.enterprise_id, order.group_id)
    assert got["enterprise_name"] == "Café Müller LLC"
    assert got["group_name"] == "Café Müller LLC"
    # the answers really were declared ISO-8859-1, and the simulator stored what was sent
    row = _app(sim).store.one("SELECT name FROM grp WHERE id=?", order.group_id)
    assert row is not None and row["name"] == "Café Müller LLC"


def test_text_beyond_latin1_survives_as_character_references(client: OcipClient) -> None:
    client.call(C.sp_add("e-euro", "e.example", "Euro € Ltd"))
    assert client.call(C.sp_get("e-euro")).text("serviceProviderName") == "Euro € Ltd"


def test_range_rows_expand() -> None:
    assert expand_dns("+1-5125550100 - +1-5125550103") == [f"+1-512555010{i}" for i in range(4)]
    assert expand_dns("+1-5125550100") == ["+1-5125550100"]
    with pytest.raises(TerminalError):
        expand_dns("+1-5125550109 - +1-5125550100")


def test_simulator_answers_ranges_and_the_read_back_expands_them(sim: RunningSim, client: OcipClient) -> None:
    order = make_order()
    assert _provision(client, order)[0] == "done"
    client.call(C.sp_dn_add(order.enterprise_id, ["+1-5125550900", "+1-5125550901", "+1-5125550902", "+1-5125550950"]))
    summary = client.get([C.sp_dn_summary(order.enterprise_id)])[0].table("dnSummaryTable")
    cells = [row["Phone Numbers"] for row in summary]
    assert "+1-5125550100 - +1-5125550104" in cells  # the five assigned numbers: one row
    assert "+1-5125550900 - +1-5125550902" in cells and "+1-5125550950" in cells
    st = read_state(client, order.enterprise_id, order.group_id)
    assert sorted(n for n, g in st.dns.items() if g == order.group_id) == [f"+1-512555010{i}" for i in range(5)]
    got = read_back(client, order.enterprise_id, order.group_id)
    assert got["numbers"] == [f"+1-512555010{i}" for i in range(5)]
    assert got["numbers_unassigned"] == ["+1-5125550900", "+1-5125550901", "+1-5125550902", "+1-5125550950"]
