"""What ``onboard serve`` adds for the portal: the order-sheet deployment, loopback by default, the port setting."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from prefect.client.schemas.objects import ConcurrencyLimitStrategy
from rich.console import Console

from flows.onboard_order_sheet import PORTAL_DEPLOYMENT, order_sheet_deployment
from onboard.demo import print_portal_hint
from onboard.errors import UsageError
from onboard.portal.submit import DEPLOYMENT
from onboard.portal.tokens import TokenStore
from onboard.serve import DEFAULT_PORTAL_PORT, portal_port, serve


def test_order_sheet_deployment_runs_one_at_a_time() -> None:
    dep = order_sheet_deployment()
    assert f"onboard_order_sheet/{dep.name}" == DEPLOYMENT and dep.name == PORTAL_DEPLOYMENT
    assert dep.concurrency_limit == 1
    assert dep.concurrency_options is not None
    assert dep.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
    assert dep.entrypoint == "flows.onboard_order_sheet.onboard_order_sheet"
    assert not dep.schedules  # started by the portal only


def test_portal_binds_loopback_by_default_on_the_configured_port(monkeypatch: pytest.MonkeyPatch) -> None:
    assert inspect.signature(serve).parameters["portal_host"].default == "127.0.0.1"
    monkeypatch.delenv("ONBOARD_PORTAL_PORT", raising=False)
    assert portal_port() == DEFAULT_PORTAL_PORT == 8080
    monkeypatch.setenv("ONBOARD_PORTAL_PORT", "9191")
    assert portal_port() == 9191
    monkeypatch.setenv("ONBOARD_PORTAL_PORT", "http")
    with pytest.raises(UsageError, match="ONBOARD_PORTAL_PORT"):
        portal_port()


def test_demo_prints_how_to_open_the_portal_with_a_working_token(isolated_home: Path) -> None:
    console = Console(record=True, width=200)
    print_portal_hint(console, isolated_home)
    text = console.export_text()
    assert "onboard serve" in text and "http://127.0.0.1:8080/" in text
    token = re.search(r"\bob_[0-9a-f]+_\S+", text)
    assert token is not None
    who = TokenStore(isolated_home).check(token.group(0))
    assert who is not None and who.partner_id == "default"
