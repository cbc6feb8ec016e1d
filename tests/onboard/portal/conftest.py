"""A live portal on loopback, headless Chromium from Debian driving it, and a screenshot after each test."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from openpyxl import Workbook

from data.samples.generate import SHEETS, sample_rows, write_xlsx
from onboard.portal.app import build_portal, create_app
from onboard.portal.submit import SubmitError
from onboard.portal.tokens import TokenStore

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "portal"
CHROMIUM = Path(os.environ.get("ONBOARD_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(autouse=True)
def portal_partners(isolated_home: Path) -> None:
    """Two partners, added the way an operator adds them (`onboard partner add`): the shipped partners file
    holds only `default` (DESIGN §3), so every partner a portal test signs in as is registered in the home."""
    from data.partners import Partner, add_partner

    add_partner(isolated_home, Partner("acme-telecom", "Acme Telecom Partners", "orders@acme-telecom.example.com"))
    add_partner(isolated_home, Partner("northwind", "Northwind Voice", "noc@northwind.example.net"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NoOrchestrator:
    """The fast tests never submit; a submit here would be a test bug, and says so."""

    def submit(self, parameters: dict[str, Any]) -> str:
        raise SubmitError("no orchestrator in this test")

    def state(self, flow_run_id: str) -> str | None:
        return None


@dataclass
class LivePortal:
    url: str
    home: Path

    def token(self, partner: str | None, days: int = 90) -> str:
        return TokenStore(self.home).issue(partner, days)[0]


@pytest.fixture
def live_portal(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LivePortal]:
    monkeypatch.setenv("ONBOARD_MAX_UPLOAD_MB", "1")  # the size limit, small enough to test quickly
    app = create_app(build_portal(isolated_home, NoOrchestrator()))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.05)
    yield LivePortal(f"http://127.0.0.1:{port}", isolated_home)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Module scope, not session: Playwright's sync API marks an event loop as running on this thread while
    # it is open, and sync Prefect calls in later test modules would then return coroutines.
    if not CHROMIUM.exists():
        # Never a skip: these are acceptance tests (make chromium installs it).
        pytest.fail(f"Chromium not found at {CHROMIUM}: run 'make chromium' (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


def sign_in(page: Any, url: str, token: str) -> Any:
    page.goto(f"{url}/signin")
    page.fill("#token", token)
    with page.expect_response(lambda r: r.url.endswith("/signin") and r.request.method == "POST") as info:
        page.click("button[type=submit]")
    return info.value


def order_book(path: Path, *, held: bool) -> Path:
    """Four customers of the sample; with ``held``, the last one has no e-mail (REQUIRED_MISSING)."""
    book = sample_rows(4, seed=11, invalid=False)
    if held:
        book.rows["Customers"][3][12] = ""
    return write_xlsx(book, path, sheets=SHEETS)


def blank_workbook(path: Path) -> Path:
    wb = Workbook()
    wb.save(path)
    return path
