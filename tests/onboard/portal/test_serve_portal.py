"""What ``onboard serve`` adds for the portal: the order-sheet deployment, loopback by default, the port setting."""

from __future__ import annotations

import inspect

import pytest
from prefect.client.schemas.objects import ConcurrencyLimitStrategy

from flows.onboard_order_sheet import PORTAL_DEPLOYMENT, order_sheet_deployment
from onboard.errors import UsageError
from onboard.portal.submit import DEPLOYMENT
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
