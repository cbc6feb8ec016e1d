"""Issue 18 (b): LogiSense documents no request that creates several objects at once (see
``connectors.billing.steps.request_floor``), so the simulator accepts none: a list of objects in one POST,
or a PATCH of an account carrying child objects, is refused and creates nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connectors.billing.client import BillingClient
from connectors.billing.simulator import BillingSim
from connectors.common.errors import TerminalError
from connectors.common.simhttp import RunningSim


def test_several_objects_in_one_request_are_refused(sim: RunningSim, make_client: Callable[[RunningSim], BillingClient]) -> None:
    client = make_client(sim)
    acc = client.request("POST", "Account", {"name": "Bulk Co", "accountTypeName": "Customer"})
    identity = acc["results"]["items"][0]["identity"]
    app = sim.app
    assert isinstance(app, BillingSim)
    accounts, packages = app.store.count("accounts"), app.store.count("account_packages")
    lines = [{"accountId": identity, "packageName": "RetailRates", "quantity": 1, "effective": "2030-01-01T00:00:00Z"}] * 2
    with pytest.raises(TerminalError):
        client.request("POST", "Account/Package", lines)
    with pytest.raises(TerminalError):
        client.request("POST", "Account", [{"name": n, "accountTypeName": "Customer"} for n in ("A", "B")])
    with pytest.raises(TerminalError):
        client.request("PATCH", f"Account/{identity}", {"accountPackages": lines})
    assert (app.store.count("accounts"), app.store.count("account_packages")) == (accounts, packages)
