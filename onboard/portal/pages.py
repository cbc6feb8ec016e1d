"""The partner's pages: sign in, upload, findings, submit, watch, download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from onboard.portal import service
from onboard.portal.forms import read_upload
from onboard.portal.security import CSRF_FIELD
from onboard.portal.submit import SubmitError
from onboard.portal.templates_data import template_file
from onboard.portal.uploads import UploadRejected
from onboard.portal.web import (
    clear_session,
    client_address,
    csrf_ok,
    portal_of,
    principal,
    redirect,
    render,
    set_session,
)

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSRF_REFUSED = "This form has expired or did not come from this portal; reload the page and try again."


def _refused(request: Request) -> Response:
    return render(request, "message.html", 403, message=CSRF_REFUSED, principal=principal(request))


def _not_found(request: Request) -> Response:
    return render(request, "message.html", 404, message="There is no such page, or it is not yours.",
                  principal=principal(request))


@router.get("/signin")
def signin_page(request: Request) -> Response:
    return render(request, "signin.html", principal=None, error=None)


@router.post("/signin")
def signin(request: Request, token: Annotated[str, Form()] = "",
           csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    portal = portal_of(request)
    address = client_address(request)
    if portal.limiter.blocked(address):
        return render(request, "signin.html", 429, principal=None,
                      error="Too many failed sign-ins from your address: wait a minute, then try again.")
    if not csrf_ok(request, csrf_token):
        return _refused(request)
    who = portal.tokens.check(token)
    if who is None:
        portal.limiter.failed(address)
        return render(request, "signin.html", 401, principal=None,
                      error="This token is not valid: it may be mistyped, expired or revoked. Ask your operator for a new one.")
    response = redirect("/")
    set_session(request, response, who.token_id)
    return response


@router.post("/signout")
def signout(request: Request, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    if not csrf_ok(request, csrf_token):
        return _refused(request)
    response = redirect("/signin")
    clear_session(response)
    return response


def _home(request: Request, status_code: int = 200, error: str | None = None) -> Response:
    who = principal(request)
    if who is None:
        return redirect("/signin")
    portal = portal_of(request)
    from onboard.portal.uploads import list_uploads

    return render(request, "home.html", status_code, principal=who, error=error,
                  uploads=list_uploads(portal.home, service.scope(who))[:20], batches=service.batches(portal, who)[:20],
                  max_mb=portal.limits.max_upload_bytes // (1024 * 1024))


@router.get("/")
def home(request: Request) -> Response:
    return _home(request)


@router.get("/template")
def template(request: Request) -> Response:
    if principal(request) is None:
        return redirect("/signin")
    return FileResponse(template_file(portal_of(request).home), media_type=XLSX, filename="order-template.xlsx")


@router.post("/uploads")
async def upload(request: Request) -> Response:
    who = principal(request)
    if who is None:
        return redirect("/signin")
    portal = portal_of(request)
    try:
        data, filename, fields = await read_upload(request, portal.limits)
        if not csrf_ok(request, fields.get(CSRF_FIELD)):
            return _refused(request)
        up, _ = await run_in_threadpool(service.upload, portal, who, data, filename)  # off the event loop
    except UploadRejected as exc:
        status = 413 if "larger than" in str(exc) else 400
        return _home(request, status, error=str(exc))
    return redirect(f"/uploads/{up.upload_id}")


@router.get("/uploads/{upload_id}")
def upload_page(request: Request, upload_id: str, account: str = "", severity: str = "") -> Response:
    who = principal(request)
    if who is None:
        return redirect("/signin")
    try:
        up = service.get_upload(portal_of(request), who, upload_id)
    except service.NotFound:
        return _not_found(request)
    doc = service.upload_doc(up, account or None, severity if severity in service.SEVERITIES else None)
    return render(request, "upload.html", principal=who, doc=doc, account=account, severity=severity, error=None)


@router.get("/uploads/{upload_id}/{which}.xlsx")
def upload_download(request: Request, upload_id: str, which: str) -> Response:
    who = principal(request)
    if who is None:
        return redirect("/signin")
    if which not in ("errors", "held-back"):
        return _not_found(request)
    try:
        path = service.upload_file(service.get_upload(portal_of(request), who, upload_id), which)
    except service.NotFound:
        return _not_found(request)
    return FileResponse(path, media_type=XLSX, filename=f"order-{upload_id}.{which}.xlsx")


@router.post("/uploads/{upload_id}/submit")
def submit(request: Request, upload_id: str, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
           mode: Annotated[str, Form()] = "valid") -> Response:
    who = principal(request)
    if who is None:
        return redirect("/signin")
    if not csrf_ok(request, csrf_token):
        return _refused(request)
    portal = portal_of(request)
    try:
        up = service.get_upload(portal, who, upload_id)
        batch = service.submit_upload(portal, who, up, all_or_nothing=(mode == "all"))
    except service.NotFound:
        return _not_found(request)
    except (UploadRejected, SubmitError) as exc:
        doc = service.upload_doc(up)
        return render(request, "upload.html", 400, principal=who, doc=doc, account="", severity="", error=str(exc))
    return redirect(f"/batches/{batch}")


@router.get("/batches/{batch_id}")
def batch_page(request: Request, batch_id: str) -> Response:
    who = principal(request)
    if who is None:
        return redirect("/signin")
    try:
        doc = service.batch(portal_of(request), who, batch_id)
    except service.NotFound:
        return _not_found(request)
    return render(request, "batch.html", principal=who, doc=doc, error=None)


@router.get("/batches/{batch_id}/report.xlsx")
def batch_report(request: Request, batch_id: str) -> Response:
    who = principal(request)
    if who is None:
        return redirect("/signin")
    try:
        path = service.report_path(portal_of(request), who, batch_id)
    except service.NotFound:
        return _not_found(request)
    return FileResponse(path, media_type=XLSX, filename=f"reconciliation-{batch_id}.xlsx")


@router.post("/batches/{batch_id}/retry")
def batch_retry(request: Request, batch_id: str, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "") -> Response:
    who = principal(request)
    if who is None:
        return redirect("/signin")
    if not csrf_ok(request, csrf_token):
        return _refused(request)
    try:
        service.retry(portal_of(request), who, batch_id)
    except service.NotFound:
        return _not_found(request)
    except (UploadRejected, SubmitError) as exc:
        doc = service.batch(portal_of(request), who, batch_id)
        return render(request, "batch.html", 400, principal=who, doc=doc, error=str(exc))
    return redirect(f"/batches/{batch_id}")
