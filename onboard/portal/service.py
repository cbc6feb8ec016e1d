"""What the pages and the API both do, once: upload + validate, look up what a principal may see, submit."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onboard.portal import core, submit, uploads
from onboard.portal.security import Signer, SignInLimiter
from onboard.portal.submit import Submitter
from onboard.portal.tokens import Principal, TokenStore
from staging.snapshot import read_batch, read_batches

log = logging.getLogger("onboard.portal")

SYSTEMS = ("broadworks", "billing", "tickets")
FINISHED = ("done", "partial", "interrupted")
SEVERITIES = ("error", "warning")


@dataclass
class Portal:
    """Everything a request needs: the data home and the pieces built from it."""

    home: Path
    signer: Signer
    submitter: Submitter
    limits: uploads.Limits
    tokens: TokenStore = field(init=False)
    limiter: SignInLimiter = field(default_factory=SignInLimiter)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.home)


class NotFound(LookupError):
    """Not there, or not this principal's: the same answer for both (404), so nothing leaks."""


def scope(p: Principal) -> list[str] | None:
    return None if p.partner_id is None else [p.partner_id]


def log_failure(home: Path, what: str) -> Path:
    path = home / "logs" / "portal-errors.log"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"--- {datetime.now(UTC).isoformat()} {what}\n{traceback.format_exc()}\n")
    path.chmod(0o600)
    return path


def upload(portal: Portal, p: Principal, data: bytes, filename: str) -> tuple[uploads.Upload, dict[str, Any]]:
    """Sniff, store by content hash, guard, validate with the CLI's function; UploadRejected for bad input."""
    if p.partner_id is None:
        raise uploads.UploadRejected("Operators do not upload orders: sign in with the partner's token to upload for it.")
    kind = uploads.sniff(data, filename, portal.limits)
    up = uploads.store(portal.home, p.partner_id, data, filename, kind)
    from data.partners import PartnerError
    from transforms.ingest import InputError

    try:
        uploads.pre_parse_guard(up.path)
        result = core.validate_file(up.path, p.partner_id, up.sibling(".errors.xlsx"))
    except (InputError, PartnerError) as exc:
        raise uploads.UploadRejected(uploads.scrub(str(exc), up.path, up.meta["filename"])) from None
    uploads.save_result(up, result)
    return up, result


def get_upload(portal: Portal, p: Principal, upload_id: str) -> uploads.Upload:
    up = uploads.find(portal.home, upload_id, scope(p))
    if up is None:
        raise NotFound(upload_id)
    return up


def upload_doc(up: uploads.Upload, account: str | None = None, severity: str | None = None) -> dict[str, Any]:
    result = up.meta["result"]
    findings = [f for f in result["findings"]
                if (not account or (f.get("account") or "") == account) and (not severity or f["severity"] == severity)]
    accounts = sorted({f["account"] for f in result["findings"] if f.get("account")})
    return {"upload": up.upload_id, "partner": up.partner_id, "filename": up.meta["filename"],
            "received_at": up.meta["received_at"], "customers": result["customers"], "findings": findings,
            "accounts": accounts, "batch": submit.batch_for(up.partner_id, up.path)}


def upload_file(up: uploads.Upload, which: str) -> Path:
    path = up.sibling(".errors.xlsx" if which == "errors" else ".errors.held-back.xlsx")
    if not path.is_file():
        raise NotFound(which)
    return path


def submit_upload(portal: Portal, p: Principal, up: uploads.Upload, all_or_nothing: bool) -> str:
    c = up.meta["result"]["customers"]
    if c["valid"] == 0:
        raise uploads.UploadRejected("No customer in this file is valid yet: correct the findings and upload it again.")
    if all_or_nothing and c["held"]:
        raise uploads.UploadRejected(
            f"{c['held']} customer(s) are held back and you chose all or nothing: correct them and upload again.")
    batch = submit.batch_for(up.partner_id, up.path)
    params = {"path": str(up.path.resolve()), "partner": up.partner_id, "all_or_nothing": all_or_nothing}
    run_id = portal.submitter.submit(params)
    submit.record(portal.home, batch, up.partner_id, up.upload_id, run_id, all_or_nothing)
    return batch


def retry(portal: Portal, p: Principal, batch: str) -> str:
    """Operator only: start the batch's run again; the same file is the same batch, so it resumes."""
    if not p.operator:
        raise NotFound(batch)
    rec = submit.submitted(portal.home, batch)
    if rec is None:
        raise uploads.UploadRejected("Only batches submitted through the portal can be retried here: use 'onboard retry'.")
    up = uploads.find(portal.home, rec["upload"], [rec["partner"]])
    if up is None:
        raise NotFound(batch)
    params = {"path": str(up.path.resolve()), "partner": rec["partner"], "all_or_nothing": bool(rec["all_or_nothing"])}
    run_id = portal.submitter.submit(params)
    submit.record(portal.home, batch, rec["partner"], rec["upload"], run_id, bool(rec["all_or_nothing"]))
    return run_id


def batches(portal: Portal, p: Principal) -> list[dict[str, Any]]:
    seen = {b["batch"]: b for b in read_batches(portal.home) if p.may_see(b.get("partner"))}
    for rec in submit.all_submitted(portal.home):
        if rec["batch"] not in seen and p.may_see(rec["partner"]):
            seen[rec["batch"]] = {"batch": rec["batch"], "partner": rec["partner"], "received_at": rec["submitted_at"],
                                  "status": "queued", "report": None, "customers": {}, "flow_run": rec["flow_run"]}
    return sorted(seen.values(), key=lambda b: b["received_at"], reverse=True)


def batch(portal: Portal, p: Principal, batch_id: str) -> dict[str, Any]:
    summary = next((b for b in batches(portal, p) if b["batch"] == batch_id), None)
    if summary is None:
        raise NotFound(batch_id)
    detail = read_batch(portal.home, batch_id) or {"customers": []}
    customers = detail["customers"]
    valid = [c for c in customers if c.get("customer") == "valid"]
    progress = {s: {"done": sum(1 for c in valid if c["status"].get(s) == "done"), "total": len(valid)} for s in SYSTEMS}
    status = summary.get("status") or "queued"
    note = None
    if status == "queued" and summary.get("flow_run"):
        # Not staged yet: ask the orchestrator whether the run is still coming or ended before it staged.
        state = portal.submitter.state(summary["flow_run"])
        if state in submit.ENDED_WITHOUT_STAGING:
            status = "not started"
            note = ("The run ended before it staged this file (another run may have held the data home). "
                    "Submit the file again, or ask the operator to retry the batch.")
    return {"batch": batch_id, "partner": summary["partner"], "status": status, "received_at": summary["received_at"],
            "finished": status in (*FINISHED, "not started"), "note": note, "totals": summary.get("customers", {}),
            "progress": progress,
            "customers": [{"account": c["account"], "customer": c.get("customer"),
                           "status": {s: c["status"].get(s) for s in (*SYSTEMS, "mail")}, "errors": c["errors"]}
                          for c in customers],
            "report_ready": bool(summary.get("report"))}


def report_path(portal: Portal, p: Principal, batch_id: str) -> Path:
    summary = next((b for b in batches(portal, p) if b["batch"] == batch_id), None)
    if summary is None or not summary.get("report"):
        raise NotFound(batch_id)
    path = Path(summary["report"]).resolve()
    if not path.is_file() or not path.is_relative_to(portal.home.resolve()):
        raise NotFound(batch_id)
    return path
