"""The JSON API beside the pages, for partners who script their uploads (``Authorization: Bearer ob_...``).

The same tokens as the pages; no cookies here, so no CSRF either. Documented at ``/openapi.json``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from onboard.portal import service
from onboard.portal.forms import read_upload
from onboard.portal.submit import SubmitError
from onboard.portal.tokens import Principal
from onboard.portal.uploads import UploadRejected
from onboard.portal.web import client_address, portal_of

router = APIRouter(prefix="/api", tags=["api"])
bearer = HTTPBearer(auto_error=False, description="A token from `onboard partner token`")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Counts(BaseModel):
    total: int
    valid: int
    held: int
    skipped: int


class Finding(BaseModel):
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    code: str
    severity: str
    message: str
    account: str | None = None


class UploadResult(BaseModel):
    upload: str
    partner: str
    filename: str
    received_at: str
    batch: str
    customers: Counts
    findings: list[Finding]
    errors_workbook: str
    held_back: str


class SubmitRequest(BaseModel):
    all_or_nothing: bool = False


class Submitted(BaseModel):
    batch: str
    status: str


def authenticated(request: Request, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    portal = portal_of(request)
    address = client_address(request)
    if portal.limiter.blocked(address):
        raise HTTPException(429, "too many failed sign-ins from this address: wait a minute")
    who = portal.tokens.check(creds.credentials) if creds else None
    if who is None:
        portal.limiter.failed(address)
        raise HTTPException(401, "a valid bearer token is required (expired and revoked tokens are refused)",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


Who = Annotated[Principal, Depends(authenticated)]


def _upload_result(up: Any, account: str | None = None, severity: str | None = None) -> dict[str, Any]:
    doc = service.upload_doc(up, account, severity)
    doc.pop("accounts")
    return {**doc, "errors_workbook": f"/api/uploads/{up.upload_id}/errors.xlsx",
            "held_back": f"/api/uploads/{up.upload_id}/held-back.xlsx"}


@router.post("/uploads", response_model=UploadResult, summary="Upload and validate an order (.xlsx or .csv)",
             openapi_extra={"requestBody": {"content": {"multipart/form-data": {"schema": {
                 "type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string", "format": "binary"}}}}}, "required": True}})
async def upload(request: Request, who: Who) -> dict[str, Any]:
    portal = portal_of(request)
    try:
        data, filename, _ = await read_upload(request, portal.limits)
        up, _ = await run_in_threadpool(service.upload, portal, who, data, filename)  # off the event loop
    except UploadRejected as exc:
        raise HTTPException(413 if "larger than" in str(exc) else 400, str(exc)) from None
    return _upload_result(service.get_upload(portal, who, up.upload_id))


def _get(request: Request, who: Principal, upload_id: str) -> Any:
    try:
        return service.get_upload(portal_of(request), who, upload_id)
    except service.NotFound:
        raise HTTPException(404, "no such upload") from None


@router.get("/uploads/{upload_id}", response_model=UploadResult, summary="An upload's counts and findings")
def upload_status(request: Request, who: Who, upload_id: str,
                  account: Annotated[str | None, Query(description="only this customer's findings")] = None,
                  severity: Annotated[str | None, Query(pattern="^(error|warning)$")] = None) -> dict[str, Any]:
    return _upload_result(_get(request, who, upload_id), account, severity)


@router.get("/uploads/{upload_id}/findings", response_model=list[Finding], summary="An upload's findings, filtered")
def findings(request: Request, who: Who, upload_id: str, account: str | None = None,
             severity: Annotated[str | None, Query(pattern="^(error|warning)$")] = None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = service.upload_doc(_get(request, who, upload_id), account, severity)["findings"]
    return out


@router.get("/uploads/{upload_id}/{which}.xlsx", summary="The annotated error workbook (errors) or the held-back rows",
            response_class=FileResponse)
def download(request: Request, who: Who, upload_id: str, which: str) -> FileResponse:
    if which not in ("errors", "held-back"):
        raise HTTPException(404, "no such file")
    try:
        path = service.upload_file(_get(request, who, upload_id), which)
    except service.NotFound:
        raise HTTPException(404, "no such file") from None
    return FileResponse(path, media_type=XLSX, filename=f"order-{upload_id}.{which}.xlsx")


@router.post("/uploads/{upload_id}/submit", response_model=Submitted, status_code=202,
             summary="Start the run of the valid customers (or of none unless all are valid)")
def submit(request: Request, who: Who, upload_id: str, body: SubmitRequest | None = None) -> dict[str, Any]:
    up = _get(request, who, upload_id)
    try:
        batch = service.submit_upload(portal_of(request), who, up, all_or_nothing=bool(body and body.all_or_nothing))
    except UploadRejected as exc:
        raise HTTPException(409, str(exc)) from None
    except SubmitError as exc:
        raise HTTPException(503, str(exc)) from None
    return {"batch": batch, "status": "queued"}


@router.get("/batches", summary="The batches this token may see")
def batches(request: Request, who: Who) -> dict[str, Any]:
    return {"batches": service.batches(portal_of(request), who)}


@router.get("/batches/{batch_id}", summary="A batch: per customer, its state per system")
def batch(request: Request, who: Who, batch_id: str) -> dict[str, Any]:
    try:
        return service.batch(portal_of(request), who, batch_id)
    except service.NotFound:
        raise HTTPException(404, "no such batch") from None


@router.get("/batches/{batch_id}/report.xlsx", summary="The batch's reconciliation workbook", response_class=FileResponse)
def report(request: Request, who: Who, batch_id: str) -> FileResponse:
    try:
        path = service.report_path(portal_of(request), who, batch_id)
    except service.NotFound:
        raise HTTPException(404, "no report for this batch (yet)") from None
    return FileResponse(path, media_type=XLSX, filename=f"reconciliation-{batch_id}.xlsx")


@router.post("/batches/{batch_id}/retry", status_code=202, summary="Operator: run the batch again (it resumes)")
def retry(request: Request, who: Who, batch_id: str) -> dict[str, Any]:
    try:
        service.retry(portal_of(request), who, batch_id)
    except service.NotFound:
        raise HTTPException(404, "no such batch") from None
    except (UploadRejected, SubmitError) as exc:
        raise HTTPException(409, str(exc)) from None
    return {"batch": batch_id, "status": "queued"}
