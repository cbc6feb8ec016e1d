"""Submit and watch, end to end: ``onboard serve`` (Prefect server + deployments + portal) with the
embedded simulators, driven by headless Chromium."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from onboard.portal.tokens import TokenStore
from tests.onboard.portal.conftest import ROOT, free_port, order_book, sign_in
from tests.support.processes import stop_group

pytestmark = [pytest.mark.slow, pytest.mark.browser]
BOUND = 300  # seconds: the whole test, server start included


@pytest.fixture
def served(isolated_home: Path, tmp_path: Path) -> Iterator[tuple[str, str]]:
    port, web = free_port(), free_port()
    log = (tmp_path / "serve.log").open("wb")
    env = {**os.environ, "ONBOARD_HOME": str(isolated_home), "ONBOARD_PORTAL_PORT": str(web),
           "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "onboard.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{web}"
    try:
        deadline = time.monotonic() + 150
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if httpx.get(url + "/signin", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "onboard serve did not start in time"
            time.sleep(1)
        yield url, f"http://127.0.0.1:{port}/api"
    finally:
        stop_group(proc)
        log.close()


def _upload(page: Any, url: str, path: Path) -> None:
    page.goto(url + "/")
    page.set_input_files("#file", str(path))
    page.click("form[action='/uploads'] button")
    page.wait_for_url("**/uploads/*")


def _watch_until_done(page: Any, started: float) -> None:
    while page.inner_text("#batch-status") not in ("done", "partial"):
        assert time.monotonic() - started < BOUND, f"the batch did not finish: {page.inner_text('main')}"
        page.wait_for_timeout(1500)  # the page refreshes itself every 2 s; we only look again
        page.wait_for_load_state()


def test_submit_watch_done_reupload_skips_and_isolation(served: tuple[str, str], isolated_home: Path, page: Any,
                                                        browser: Any, tmp_path: Path) -> None:
    served_url, api_url = served
    started = time.monotonic()
    store = TokenStore(isolated_home)
    sign_in(page, served_url, store.issue("acme-telecom")[0])
    # the first file holds a held customer: submit the three valid ones
    _upload(page, served_url, order_book(tmp_path / "first.xlsx", held=True))
    assert page.inner_text("[data-count=held]") == "1"
    page.click("#submit-form button")
    page.wait_for_url("**/batches/*")
    first_batch = page.url.rsplit("/", 1)[1]
    _watch_until_done(page, started)
    assert page.inner_text("#batch-status") == "done"
    for system in ("broadworks", "billing"):
        bar = page.locator(f"#progress-{system}")
        assert bar.get_attribute("value") == bar.get_attribute("max") == "3"
    with page.expect_download() as dl:
        page.click("#report-link")
    report = tmp_path / "report.xlsx"
    dl.value.save_as(report)
    assert "Summary" in load_workbook(report, read_only=True).sheetnames

    # the corrected file: the three already onboarded are skipped, the fourth goes through
    _upload(page, served_url, order_book(tmp_path / "corrected.xlsx", held=False))
    counts = {k: page.inner_text(f"[data-count={k}]") for k in ("total", "valid", "held", "skipped")}
    assert counts == {"total": "4", "valid": "1", "held": "0", "skipped": "3"}
    assert page.locator("#findings tbody tr", has_text="ALREADY_ONBOARDED").count() == 3
    page.click("#submit-form button")
    page.wait_for_url("**/batches/*")
    second_batch = page.url.rsplit("/", 1)[1]
    assert second_batch != first_batch
    _watch_until_done(page, started)
    assert page.locator("#progress-broadworks").get_attribute("value") == "1"
    assert page.locator("#report-link").count() == 1
    # the runs were flow runs of the portal's deployment, and the portal can read their state
    from flows.onboard_order_sheet import portal_run_state

    flow_run = json.loads((isolated_home / "portal" / "batches" / f"{second_batch}.json").read_text())["flow_run"]
    assert portal_run_state(flow_run, api_url) == "COMPLETED"

    # a second partner's session: 404 for the first partner's batch, file and report
    other = browser.new_context()
    try:
        p2 = other.new_page()
        sign_in(p2, served_url, store.issue("northwind")[0])
        upload_ids = [p.stem for p in (isolated_home / "uploads" / "acme-telecom").glob("*.json")]
        for url in (f"/batches/{first_batch}", f"/batches/{first_batch}/report.xlsx",
                    *(f"/uploads/{u}" for u in upload_ids), *(f"/uploads/{u}/errors.xlsx" for u in upload_ids)):
            assert p2.request.get(served_url + url).status == 404, url
        p2.goto(served_url + f"/batches/{first_batch}")
    finally:
        p2.screenshot(path=str(ROOT / "var" / "test-artifacts" / "portal" / "second_partner_404.png"))
        other.close()
