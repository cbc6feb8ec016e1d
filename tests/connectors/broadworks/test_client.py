from __future__ import annotations

import hashlib
import socket
import threading

import pytest

from connectors.broadworks import commands as C
from connectors.broadworks import sim_errors as E
from connectors.broadworks.client import LOGIN_TRIES, OcipClient, signed_password
from connectors.broadworks.simulator import BroadWorksSim
from connectors.common.errors import AuthError, InDoubtError, TerminalError, TransientError
from connectors.common.retry import RetryPolicy
from connectors.common.simhttp import Faults, RunningSim
from tests.connectors.broadworks.conftest import FAST, PASSWORD, USER, SimFactory, url_of


def test_signed_password_is_md5_of_nonce_and_sha1() -> None:
    sha = hashlib.sha1(b"pw").hexdigest()
    assert signed_password("123", "pw") == hashlib.md5(f"123:{sha}".encode()).hexdigest()
    assert signed_password("124", "pw") != signed_password("123", "pw")


def test_login_and_round_trips(sim: RunningSim, client: OcipClient) -> None:
    assert client.call(C.sp_add("e1", "e1.example", "E1")).type == "SuccessResponse"
    assert client.round_trips == 3  # AuthenticationRequest, LoginRequest14sp4, the add
    assert client.logins == 1
    resp = client.call(C.sp_get("e1"))
    assert resp.text("defaultDomain") == "e1.example"
    assert client.round_trips == 4 and client.logins == 1


def test_wrong_password_is_an_auth_error(sim: RunningSim) -> None:
    with OcipClient(url_of(sim), USER, "wrong", retry=FAST) as c, pytest.raises(AuthError) as info:
        c.call(C.sp_get("x"))
    assert info.value.code == E.ERR_LOGIN_FAILED
    assert "wrong" not in repr(c) and PASSWORD not in repr(c)


def test_session_loss_logs_in_again(sim: RunningSim, client: OcipClient) -> None:
    client.call(C.sp_add("e1", "e1.example", "E1"))
    assert isinstance(sim.app, BroadWorksSim)
    sim.app.expire_sessions()
    resp = client.call(C.sp_get("e1"))
    assert resp.type == "ServiceProviderGetResponse22V4"
    assert client.logins == 2


def test_error_response_is_terminal_with_code(client: OcipClient) -> None:
    client.call(C.sp_add("e1", "e1.example", "E1"))
    with pytest.raises(TerminalError) as info:
        client.call(C.sp_add("e1", "e1.example", "E1"))
    assert info.value.code == E.ERR_DUPLICATE
    assert "already exists" in str(info.value)


def test_no_ocs_connection_is_transient_and_retried(sim_factory: SimFactory) -> None:
    sim = sim_factory(Faults(fault_rate=1.0))
    with OcipClient(url_of(sim), USER, PASSWORD, retry=RetryPolicy(attempts=3, base_delay=0.001)) as c:
        with pytest.raises(TransientError) as info:
            c.get([C.sp_get("x")])
        assert not isinstance(info.value, InDoubtError)
        assert info.value.code == "NO_OCS_CONNECTION"
        # each of the 3 tries stopped at the AuthenticationRequest, which the login tried 3 times itself
        assert c.round_trips == 3 * LOGIN_TRIES
        assert c.stats.retries == 2 + 3 * (LOGIN_TRIES - 1)


def test_lost_answer_after_sending_is_in_doubt(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        c.get([C.sp_get("x")])  # logged in
        sim.faults.commit_timeout_rate = 1.0
        with pytest.raises(InDoubtError):
            c.send([C.sp_add("e1", "e1.example", "E1")])
        sim.faults.commit_timeout_rate = 0.0
        # it was applied all the same: the answer, not the request, was lost
        assert c.call(C.sp_get("e1")).text("defaultDomain") == "e1.example"


def test_gets_survive_random_faults(sim_factory: SimFactory) -> None:
    sim = sim_factory(Faults(fault_rate=0.3, commit_timeout_rate=0.2, seed=3))
    with OcipClient(url_of(sim), USER, PASSWORD, retry=RetryPolicy(attempts=20, base_delay=0.001, max_delay=0.005)) as c:
        for _ in range(10):
            (resp,) = c.get([C.sp_get("nope")])
            assert resp.error_code == E.ERR_NOT_FOUND
        assert c.stats.retries > 0
        assert c.stats.in_doubt == 0  # a lost answer to a Get is not "in doubt"


def test_unreachable_server_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with OcipClient(
        f"http://127.0.0.1:{port}/webservice/services/ProvisioningService",
        USER,
        PASSWORD,
        retry=RetryPolicy(attempts=2, base_delay=0.001),
    ) as c:
        with pytest.raises(TransientError) as info:
            c.get([C.sp_get("x")])
        assert not isinstance(info.value, InDoubtError)


def test_concurrent_use_shares_a_bounded_pool(sim: RunningSim) -> None:
    with OcipClient(url_of(sim), USER, PASSWORD, concurrency=3, retry=FAST) as c:
        errors: list[BaseException] = []

        def work(i: int) -> None:
            try:
                c.call(C.sp_add(f"e{i}", "d.example", f"E{i}"))
                assert c.call(C.sp_get(f"e{i}")).text("serviceProviderName") == f"E{i}"
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert 1 <= c.logins <= 3  # one login per pooled session, never more than the pool
    assert isinstance(sim.app, BroadWorksSim)
    assert sim.app.store.count("sp") == 12


def test_https_uses_login22v5(sim: RunningSim, tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert OcipClient("https://bw.invalid/x", USER, PASSWORD).secure is True
    journal = tmp_path / "j.jsonl"
    assert isinstance(sim.app, BroadWorksSim)
    sim.app.journal = type(sim.app.journal)(journal)
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        c.secure = True  # the simulator is plain http; the login choice is what is under test
        assert c.call(C.sp_add("e1", "d.example", "E1")).type == "SuccessResponse"
        assert c.round_trips == 2
    text = journal.read_text()
    assert 'xsi:type=\\"LoginRequest22V5\\"' in text and "AuthenticationRequest" not in text
