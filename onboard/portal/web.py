"""Request helpers shared by the pages: who is signed in, the CSRF pair, rendering with the right cookies."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from onboard.portal.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, SESSION_MAX_AGE
from onboard.portal.service import Portal
from onboard.portal.tokens import Principal


def portal_of(request: Request) -> Portal:
    p: Portal = request.app.state.portal
    return p


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def secure(request: Request) -> bool:
    """Secure cookies when the browser reached us over https (directly or through a proxy that says so)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"


def principal(request: Request) -> Principal | None:
    portal = portal_of(request)
    tid = portal.signer.session_token_id(request.cookies.get(SESSION_COOKIE))
    return portal.tokens.still_valid(tid) if tid else None


def csrf_for(request: Request) -> tuple[str, str | None]:
    """(the value to put in forms, a new cookie to set or None when the browser already has one)."""
    signer = portal_of(request).signer
    cookie = request.cookies.get(CSRF_COOKIE)
    value = signer.csrf_value(cookie)
    if value:
        return value, None
    value, new_cookie = signer.new_csrf()
    return value, new_cookie


def csrf_ok(request: Request, submitted: str | None) -> bool:
    return portal_of(request).signer.csrf_ok(request.cookies.get(CSRF_COOKIE), submitted)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    from onboard.portal.app import templates

    csrf, new_cookie = csrf_for(request)
    html = templates.get_template(name).render(request=request, csrf=csrf, csrf_field=CSRF_FIELD, **context)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    if new_cookie:
        response.set_cookie(CSRF_COOKIE, new_cookie, httponly=True, samesite="strict", secure=secure(request), path="/")
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def set_session(request: Request, response: Response, token_id: str) -> None:
    response.set_cookie(SESSION_COOKIE, portal_of(request).signer.session(token_id), max_age=SESSION_MAX_AGE,
                        httponly=True, samesite="strict", secure=secure(request), path="/")


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
