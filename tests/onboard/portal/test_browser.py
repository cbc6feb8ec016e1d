"""The partner's pages in headless Chromium: sign in, template, upload, findings, downloads, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from onboard.portal.tokens import TokenStore
from tests.onboard.portal.conftest import LivePortal, order_book, sign_in

pytestmark = pytest.mark.browser


def test_sign_in_download_template_upload_see_findings_and_read_the_error_workbook(
    live_portal: LivePortal, page: Any, tmp_path: Path
) -> None:
    res = sign_in(page, live_portal.url, live_portal.token("acme-telecom"))
    assert res.status == 303
    assert "Signed in as" in page.inner_text("header") and "acme-telecom" in page.inner_text("header")
    cookie = next(c for c in page.context.cookies() if c["name"] == "onboard_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    with page.expect_download() as dl:
        page.click("#template-link")
    template = tmp_path / "template.xlsx"
    dl.value.save_as(template)
    assert {"Customers", "Packages", "Locations"} <= set(load_workbook(template, read_only=True).sheetnames)

    page.set_input_files("#file", str(order_book(tmp_path / "order.xlsx", held=True)))
    page.click("form[action='/uploads'] button")
    page.wait_for_url("**/uploads/*")
    counts = {k: page.inner_text(f"[data-count={k}]") for k in ("total", "valid", "held", "skipped")}
    assert counts == {"total": "4", "valid": "3", "held": "1", "skipped": "0"}
    rows = page.locator("#findings tbody tr")
    texts = [rows.nth(i).inner_text() for i in range(rows.count())]
    assert any("REQUIRED_MISSING" in t and "Email" in t for t in texts)
    held_account = next(t for t in texts if "REQUIRED_MISSING" in t).split("\t")[-1].strip()
    assert "Pw!" not in page.content()  # the sample's passwords are never rendered

    # filter by customer and by severity
    with page.expect_navigation():
        page.select_option("#filter-severity", "warning")
    assert "severity=warning" in page.url
    assert "REQUIRED_MISSING" not in page.inner_text("main")
    with page.expect_navigation():
        page.select_option("#filter-severity", "")
    with page.expect_navigation():
        page.select_option("#filter-account", held_account)
    shown = page.locator("#findings tbody tr")
    assert shown.count() >= 1 and all(held_account in shown.nth(i).inner_text() for i in range(shown.count()))

    with page.expect_download() as dl:
        page.click("#errors-link")
    annotated = tmp_path / "errors.xlsx"
    dl.value.save_as(annotated)
    wb = load_workbook(annotated)
    assert "Errors" in wb.sheetnames
    codes = [r[4] for r in wb["Errors"].iter_rows(min_row=2, values_only=True)]
    assert "REQUIRED_MISSING" in codes
    with page.expect_download() as dl:
        page.click("#held-back-link")
    held_back = tmp_path / "held.xlsx"
    dl.value.save_as(held_back)
    names = [r[1] for r in load_workbook(held_back)["Customers"].iter_rows(min_row=2, values_only=True) if any(r)]
    assert names == [held_account]

    # the upload is stored by content hash, never under its name, 0600 in a 0700 folder
    stored = list((live_portal.home / "uploads" / "acme-telecom").glob("*.xlsx"))
    assert not any("order" in p.name for p in stored)
    assert all(oct(p.stat().st_mode & 0o777) == "0o600" for p in stored)
    assert oct((live_portal.home / "uploads" / "acme-telecom").stat().st_mode & 0o777) == "0o700"


def test_another_partner_gets_404_for_the_upload_and_its_files(live_portal: LivePortal, page: Any, tmp_path: Path,
                                                               browser: Any) -> None:
    sign_in(page, live_portal.url, live_portal.token("acme-telecom"))
    page.set_input_files("#file", str(order_book(tmp_path / "order.xlsx", held=True)))
    page.click("form[action='/uploads'] button")
    page.wait_for_url("**/uploads/*")
    upload_url = page.url
    other = browser.new_context()
    try:
        p2 = other.new_page()
        sign_in(p2, live_portal.url, live_portal.token("northwind"))
        for url in (upload_url, f"{upload_url}/errors.xlsx", f"{upload_url}/held-back.xlsx"):
            assert p2.request.get(url).status == 404
        res = p2.goto(upload_url)
        assert res.status == 404 and "not yours" in p2.inner_text("main")
        assert "order.xlsx" not in p2.goto(live_portal.url + "/").text()
    finally:
        other.close()
    # an operator sees it
    op = browser.new_context()
    try:
        p3 = op.new_page()
        sign_in(p3, live_portal.url, live_portal.token(None))
        assert p3.goto(upload_url).status == 200
    finally:
        op.close()


def test_a_form_post_without_its_csrf_token_is_refused(live_portal: LivePortal, page: Any, tmp_path: Path) -> None:
    sign_in(page, live_portal.url, live_portal.token("acme-telecom"))
    page.evaluate("document.querySelector(\"form[action='/uploads'] input[name=csrf_token]\").remove()")
    page.set_input_files("#file", str(order_book(tmp_path / "order.xlsx", held=False)))
    with page.expect_response(lambda r: r.url.endswith("/uploads") and r.request.method == "POST") as info:
        page.click("form[action='/uploads'] button")
    assert info.value.status == 403
    assert "did not come from this portal" in page.inner_text("main")
    assert not (live_portal.home / "uploads" / "acme-telecom").exists() or not any(
        (live_portal.home / "uploads" / "acme-telecom").glob("*.json"))
    # a forged token is refused the same way
    page.goto(live_portal.url + "/")
    page.evaluate("document.querySelector(\"form[action='/signout'] input[name=csrf_token]\").value = 'forged'")
    with page.expect_response(lambda r: r.url.endswith("/signout")) as info:
        page.click("button.link")
    assert info.value.status == 403


def test_an_oversized_upload_and_a_renamed_pdf_get_a_clear_message(live_portal: LivePortal, page: Any) -> None:
    sign_in(page, live_portal.url, live_portal.token("acme-telecom"))
    big = b"PK\x03\x04" + b"\0" * (1024 * 1024 + 10)
    page.set_input_files("#file", files=[{"name": "big.xlsx", "mimeType": "application/octet-stream", "buffer": big}])
    with page.expect_response(lambda r: r.url.endswith("/uploads") and r.request.method == "POST") as info:
        page.click("form[action='/uploads'] button")
    assert info.value.status == 413
    assert "larger than 1 MB" in page.inner_text("[role=alert]")
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n"
    page.set_input_files("#file", files=[{"name": "order.xlsx", "mimeType": "application/pdf", "buffer": pdf}])
    with page.expect_response(lambda r: r.url.endswith("/uploads") and r.request.method == "POST") as info:
        page.click("form[action='/uploads'] button")
    assert info.value.status == 400
    message = page.inner_text("[role=alert]")
    assert "PDF" in message and "Traceback" not in page.content()


def test_expired_and_revoked_tokens_are_refused(live_portal: LivePortal, page: Any) -> None:
    store = TokenStore(live_portal.home)
    expired, _ = store.issue("acme-telecom", 1, now=datetime.now(UTC) - timedelta(days=2))
    res = sign_in(page, live_portal.url, expired)
    assert res.status == 401 and "expired or revoked" in page.inner_text("[role=alert]")
    revoked, rec = store.issue("acme-telecom", 30)
    store.revoke(rec.token_id)
    res = sign_in(page, live_portal.url, revoked)
    assert res.status == 401
    # a session whose token is revoked afterwards ends at its next request
    live, rec2 = store.issue("acme-telecom", 30)
    assert sign_in(page, live_portal.url, live).status == 303
    assert page.url.rstrip("/") == live_portal.url
    store.revoke(rec2.token_id)
    page.goto(live_portal.url + "/")
    assert page.url.endswith("/signin")


def test_the_seventh_failed_sign_in_in_a_minute_gets_429(live_portal: LivePortal, page: Any) -> None:
    statuses = [sign_in(page, live_portal.url, f"ob_nope_{i}").status for i in range(7)]
    assert statuses == [401] * 6 + [429]
    assert "Too many failed sign-ins" in page.inner_text("[role=alert]")
    # even a good token waits out the minute from this address
    assert sign_in(page, live_portal.url, live_portal.token("acme-telecom")).status == 429
