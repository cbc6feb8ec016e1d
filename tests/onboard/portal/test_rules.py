"""Portal rules without a browser: operator retry, who sees which batch, Secure cookies over https, 404 pages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from onboard.portal.app import build_portal, create_app
from onboard.portal.tokens import TokenStore
from tests.onboard.portal.conftest import order_book


class RecordingSubmitter:
    """Stands in for the Prefect deployment (tested end to end in test_submit_watch): records each start."""

    def __init__(self) -> None:
        self.runs: list[dict[str, Any]] = []
        self.states: dict[str, str] = {}

    def submit(self, parameters: dict[str, Any]) -> str:
        self.runs.append(parameters)
        return f"run-{len(self.runs)}"

    def state(self, flow_run_id: str) -> str | None:
        return self.states.get(flow_run_id)


def _client(home: Path, submitter: RecordingSubmitter, base_url: str = "http://testserver") -> TestClient:
    return TestClient(create_app(build_portal(home, submitter)), base_url=base_url)


def bearer(home: Path, partner: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {TokenStore(home).issue(partner)[0]}"}


def test_submit_queues_one_run_and_only_an_operator_may_retry(isolated_home: Path, tmp_path: Path) -> None:
    runs = RecordingSubmitter()
    client = _client(isolated_home, runs)
    acme, north, op = bearer(isolated_home, "acme-telecom"), bearer(isolated_home, "northwind"), bearer(isolated_home, None)
    up = client.post("/api/uploads", headers=acme,
                     files={"file": ("o.xlsx", order_book(tmp_path / "o.xlsx", held=True).read_bytes())}).json()
    refused = client.post(f"/api/uploads/{up['upload']}/submit", headers=acme, json={"all_or_nothing": True})
    assert refused.status_code == 409 and "all or nothing" in refused.json()["detail"] and not runs.runs
    assert client.post(f"/api/uploads/{up['upload']}/submit", headers=north).status_code == 404
    res = client.post(f"/api/uploads/{up['upload']}/submit", headers=acme)
    assert res.status_code == 202 and res.json()["batch"] == up["batch"]
    (params,) = runs.runs
    assert params["partner"] == "acme-telecom" and params["all_or_nothing"] is False
    stored = Path(params["path"])
    assert stored.name == f"{up['upload']}.xlsx" and stored.is_relative_to(isolated_home)  # by content hash
    # queued before the run stages it: its partner and the operator see it, nobody else
    assert client.get(f"/api/batches/{up['batch']}", headers=acme).json()["status"] == "queued"
    assert client.get(f"/api/batches/{up['batch']}", headers=north).status_code == 404
    assert [b["batch"] for b in client.get("/api/batches", headers=north).json()["batches"]] == []
    assert [b["batch"] for b in client.get("/api/batches", headers=op).json()["batches"]] == [up["batch"]]
    assert client.post(f"/api/batches/{up['batch']}/retry", headers=acme).status_code == 404
    assert client.post(f"/api/batches/{up['batch']}/retry", headers=op).status_code == 202
    assert runs.runs[1] == params  # the same file again: the run resumes the same batch

    # the run ended before it staged anything (say another run held the data home): the page says so
    runs.states["run-2"] = "FAILED"
    doc = client.get(f"/api/batches/{up['batch']}", headers=acme).json()
    assert doc["status"] == "not started" and doc["finished"] and "Submit the file again" in doc["note"]


def test_batch_progress_read_from_the_status_snapshot(isolated_home: Path) -> None:
    snap = isolated_home / "snapshot"
    snap.mkdir()
    (snap / "batches.json").write_text(json.dumps([{
        "batch": "00aa11bb22cc33dd", "partner": "northwind", "received_at": "2026-11-30T10:00:00", "status": "running",
        "report": None, "customers": {"total": 2, "valid": 2, "held": 0, "skipped": 0, "provisioned": 1, "billed": 0,
                                      "failed": 0}}]))
    (snap / "batch-00aa11bb22cc33dd.json").write_text(json.dumps({"batch": "00aa11bb22cc33dd", "customers": [
        {"account": "A", "customer": "valid", "status": {"broadworks": "done", "billing": "pending", "tickets": "done",
                                                          "mail": "done"}, "errors": []},
        {"account": "B", "customer": "valid", "status": {"broadworks": "pending", "billing": "pending",
                                                          "tickets": "pending", "mail": "pending"}, "errors": []}]}))
    client = _client(isolated_home, RecordingSubmitter())
    doc = client.get("/api/batches/00aa11bb22cc33dd", headers=bearer(isolated_home, "northwind")).json()
    assert doc["progress"]["broadworks"] == {"done": 1, "total": 2}
    assert doc["progress"]["billing"] == {"done": 0, "total": 2}
    assert not doc["finished"] and not doc["report_ready"]
    assert client.get("/api/batches/00aa11bb22cc33dd", headers=bearer(isolated_home, "acme-telecom")).status_code == 404


def test_session_cookie_is_secure_over_https_only(isolated_home: Path) -> None:
    token = TokenStore(isolated_home).issue("acme-telecom")[0]
    for base, secure in (("https://portal.example", True), ("http://testserver", False)):
        client = _client(isolated_home, RecordingSubmitter(), base)
        page = client.get("/signin")
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        res = client.post("/signin", data={"token": token, "csrf_token": csrf}, follow_redirects=False)
        assert res.status_code == 303
        cookie = next(v for k, v in res.headers.multi_items() if k == "set-cookie" and v.startswith("onboard_session="))
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert ("Secure" in cookie) is secure
        assert token not in res.text and token not in client.get("/").text  # the token is never rendered


def test_unknown_pages_answer_a_page_and_the_api_answers_json(isolated_home: Path) -> None:
    client = _client(isolated_home, RecordingSubmitter())
    page = client.get("/no/such/page")
    assert page.status_code == 404 and "text/html" in page.headers["content-type"] and "no such page" in page.text
    api = client.get("/api/no/such", headers=bearer(isolated_home, "northwind"))
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
