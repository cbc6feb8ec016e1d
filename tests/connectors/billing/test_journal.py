"""Against `onboard sim billing` started alone (its own process, faults on), every create reply,
error and search request in its journal follows LogiSense's documented conventions (issue 13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.billing.client import BillingClient
from connectors.billing.provision import BillingProvisioner
from connectors.billing.readback import read_partner
from connectors.billing.simstore import SimStore
from core.order import BILL_ENTERPRISE, BILL_GROUP

from .conftest import CLIENT_ID, CLIENT_SECRET, FAST_RETRY, Recorder, make_order

ONBOARD = str(Path(sys.executable).parent / "onboard")
OPERATORS = {"eq", "notEq", "lt", "ltEq", "gt", "gtEq", "contains"}


def journal_problems(entries: list[dict[str, Any]]) -> list[str]:
    """What in a billing journal breaks the conventions ("Search Requests", "PATCH, POST, PUT &
    DELETE", "API Logging"): the check an outside reader of the journal makes."""
    out: list[str] = []
    for n, e in enumerate(entries, 1):
        req, resp = e["request"], e.get("response")
        path, body = req["path"], req["body"]
        if path.endswith("/Search"):
            q = body.get("query") if isinstance(body, dict) and set(body) == {"query"} else None
            if not isinstance(q, dict) or not set(q) <= {"top", "search", "orderBy", "pagination"}:
                out.append(f"line {n}: search body {body!r}")
                continue
            if not (isinstance(q.get("top", 100), int) and 1 <= q.get("top", 100) <= 10000):
                out.append(f"line {n}: top {q.get('top')!r}")
            for t in q.get("search") or []:
                if set(t) != {"name", "operator", "value"} or t["operator"] not in OPERATORS:
                    out.append(f"line {n}: search term {t!r}")
            page = q.get("pagination")
            if page is not None and (set(page) != {"pageNumber", "pageSize"} or not 1 <= page["pageSize"] <= 10000):
                out.append(f"line {n}: pagination {page!r}")
        if resp is None or e.get("delivered") is False:
            continue
        rb, status = resp["body"], resp["status"]
        if status >= 400:
            errs = rb.get("errors") if isinstance(rb, dict) else None
            if not errs or not all(isinstance(x.get("code"), int) and x.get("message") for x in errs):
                out.append(f"line {n}: error body {rb!r}")
        elif req["method"] == "POST" and not path.endswith(("/Search", "/Access/Login")):
            items = rb.get("results", {}).get("items") if isinstance(rb, dict) else None
            ok = rb.get("type") == "create" and isinstance(rb.get("trackingId"), str) and items and all(
                i.get("action") == "created" and i.get("dtoTypeKey") and isinstance(i.get("instance"), dict)
                and i["identity"] == i["instance"].get("identity") for i in items)
            if not ok:
                out.append(f"line {n}: create reply {rb!r}")
    return out


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    state, journal = tmp_path / "billing.sqlite", tmp_path / "billing.jsonl"
    env = {**os.environ, "ONBOARD_HOME": str(tmp_path / "home"), "ONBOARD_BILLING_CLIENT_ID": CLIENT_ID,
           "ONBOARD_BILLING_CLIENT_SECRET": CLIENT_SECRET}
    proc = subprocess.Popen(
        [ONBOARD, "sim", "billing", "--port", "0", "--state", str(state), "--journal", str(journal),
         "--fault-rate", "0.15", "--commit-timeout-rate", "0.08", "--seed", "13"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on "), line
        yield line.split()[-1].strip(), state, journal
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_journal_of_a_faulty_standalone_simulator_follows_the_conventions(standalone: tuple[str, Path, Path]) -> None:
    url, state, journal = standalone
    orders = [make_order(f"Clinic {i}", billing_type=(BILL_ENTERPRISE, BILL_GROUP)[i % 2]) for i in range(5)]
    broken = make_order("Broken Clinic", emails=("billing@broken",))
    with BillingClient(url, CLIENT_ID, CLIENT_SECRET, retry=FAST_RETRY) as client:
        prov = BillingProvisioner(client)
        results = [prov.provision(o, {}, Recorder()) for o in orders]
        assert [r.status for r in results] == ["done"] * len(orders), [r.error for r in results]
        assert prov.provision(broken, {}, Recorder()).status == "failed"
        book = read_partner(client, "P100", page=3)  # several pages: pageNumber 1, 2, ...
    assert {a["name"] for a in book.accounts.values()} >= {o.account for o in orders}
    entries = [json.loads(x) for x in journal.read_text(encoding="utf-8").splitlines()]
    assert journal_problems(entries) == []
    statuses = {e["response"]["status"] for e in entries if e.get("response")}
    assert {400, 200} <= statuses and statuses & {429, 503}  # refusals and faults were journaled too
    pages = [e["request"]["body"]["query"]["pagination"]["pageNumber"] for e in entries
             if e["request"]["path"].endswith("/Search")]
    assert max(pages) >= 2
    store = SimStore(state, [])
    try:
        assert store.duplicate_accounts() == [] and store.duplicate_packages() == [] and store.orphans() == []
    finally:
        store.close()


def test_the_check_catches_the_old_shapes() -> None:
    old = [
        {"request": {"method": "POST", "path": "/ResourceServer/api/v10/Account/Search",
                     "body": {"query": {"top": 100, "skip": 0, "search": [{"name": "name", "operator": "eq", "value": "A"}]}}},
         "response": {"status": 200, "body": {"type": "search", "results": {"totalCount": 0, "items": []}}}},
        {"request": {"method": "POST", "path": "/ResourceServer/api/v10/Account", "body": {"name": "A"}},
         "response": {"status": 200, "body": {"trackingId": "t", "type": "add",
                                              "results": {"totalCount": 1, "items": [{"identity": 1, "name": "A"}]}}}},
        {"request": {"method": "POST", "path": "/ResourceServer/api/v10/Account", "body": {}},
         "response": {"status": 400, "body": {"errors": [{"code": "Required", "message": "name is required"}]}}},
    ]
    assert len(journal_problems(old)) == 3
