"""The whole run of one order workbook as plain functions; ``onboard_order_sheet`` wraps them in Prefect.

stage (ingest, validate, stage, reserve, plan) -> provision in chunks -> mail -> read back -> report.
Every piece is resumable: a second run of the same file finds its batch and continues where the
ledger says; nothing done is sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.systems import Systems, open_systems
from core.keys import ticket_external_id, ticket_step
from core.order import StepEvent
from core.settings import Settings
from data.partners import PartnerError, load_partners, resolve_partner
from pipeline.mail import queue_batch_summary, send_outbox
from pipeline.provision import SYSTEMS, provision_accounts
from pipeline.reconcile import reconcile
from pipeline.stage import Prepared, RunOptions, prepare
from reports.error_workbook import write_error_workbook
from staging import results
from staging.batches import batch_id as make_batch_id
from staging.batches import get_batch, input_files, set_batch
from staging.ledger import LedgerBuffer, mark_in_doubt_pending
from staging.notices import batch_findings, batch_sources, held_keys
from staging.orders import discard_half_staged, incomplete_accounts
from staging.secrets import Vault, load_key
from staging.snapshot import batch_summaries, refresh_snapshot, write_snapshot
from staging.store import Store
from transforms.ingest import RawOrder


@dataclass
class Context:
    settings: Settings
    home: Path
    store: Store
    vault: Vault


@contextmanager
def open_context(settings: Settings, command: str = "") -> Iterator[Context]:
    home = settings.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    with Store.open(home, command=command) as store:
        # the key only once we hold the data home: a refused second run must change nothing there
        key = load_key(home, settings.secret_key.get_secret_value() if settings.secret_key else None)
        yield Context(settings, home, store, Vault(key))


def stage_batch(ctx: Context, path: Path, options: RunOptions, raw: RawOrder | None = None) -> Prepared:
    """``raw``: the order already read and checked (``onboard run`` does that before Prefect starts)."""
    scheme = ctx.settings.id_scheme  # ONBOARD_ID_SCHEME
    prepared = prepare(ctx.store, path, options, ctx.settings.partners_file, ctx.vault, raw=raw, id_scheme=scheme)
    if prepared.resumed and discard_half_staged(ctx.store, prepared.batch_id):
        # killed between staging transactions: stage it again (nothing was sent for it)
        prepared = prepare(ctx.store, path, options, ctx.settings.partners_file, ctx.vault, raw=raw, id_scheme=scheme)
    if prepared.resumed:
        mark_in_doubt_pending(ctx.store, prepared.batch_id)
    set_batch(ctx.store, prepared.batch_id, status="running")
    write_snapshot(ctx.store, prepared.batch_id)
    return prepared


def chunks_to_do(ctx: Context, batch_id: str, chunk_size: int) -> list[list[str]]:
    todo = incomplete_accounts(ctx.store, batch_id, SYSTEMS)
    return [todo[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]


def provision_chunk(
    ctx: Context, systems: Systems, batch_id: str, accounts: list[str], on_progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    res = provision_accounts(
        ctx.store, systems, ctx.vault, batch_id, accounts, concurrency=ctx.settings.concurrency, on_progress=on_progress,
        on_flush=lambda: refresh_snapshot(ctx.store, batch_id),
    )
    refresh_snapshot(ctx.store, batch_id)
    return {"accounts": res.accounts, "done": res.done, "failed": res.failed}


def route_held(ctx: Context, systems: Systems, prepared: Prepared) -> None:
    """Held customers that ordered SIP Trunking get their trunking-request ticket."""
    ledger = LedgerBuffer(prepared.batch_id)
    for r in prepared.routing:
        external_id = ticket_external_id(prepared.partner.partner_id, r["account"], r["kind"])
        ledger(StepEvent(r["account"], "tickets", ticket_step("trunking"), "pending"))
        ticket_id, _ = systems.tickets.ensure_ticket(external_id, r["subject"], r["body"], tags=["trunking"])
        ledger(StepEvent(r["account"], "tickets", ticket_step("trunking"), "done", external_id=str(ticket_id)))
        results.record_ticket(ctx.store, prepared.batch_id, prepared.partner.partner_id, r["account"], "trunking", "",
                              external_id, str(ticket_id), r["subject"])
    ledger.flush(ctx.store)


def finish_batch(ctx: Context, systems: Systems, batch_id: str) -> dict[str, Any]:
    # provisioning of the run is over: the partner gets its admin logins, all in one message (pipeline.mail)
    send_outbox(ctx.store, ctx.vault, systems.mailer, batch_id, ctx.settings.mail_from)
    report = reconcile(ctx.store, systems, batch_id, ctx.home, concurrency=ctx.settings.concurrency)
    left = incomplete_accounts(ctx.store, batch_id, SYSTEMS)
    set_batch(ctx.store, batch_id, status="partial" if left else "done", report_path=str(report))
    errors = write_partner_files(ctx, batch_id, report)
    write_snapshot(ctx.store, batch_id)
    result = summary(ctx, batch_id)
    notify_partner(ctx, systems, batch_id, result["customers"], [p for p in (errors, report) if p is not None])
    return result


def partner_files(home: Path, batch_id: str) -> tuple[Path, Path]:
    """The error workbook and the held-back file of a batch, beside its reconciliation report."""
    errors = home / "reports" / f"batch-{batch_id}-errors.xlsx"
    return errors, errors.with_name(f"{errors.stem}.held-back.xlsx")


def write_partner_files(ctx: Context, batch_id: str, report: Path) -> Path | None:
    """When customers are held (by validation or refused at run time): the annotated workbook and the
    held-back rows, written from the batch's own input file (kept when it is gone, e.g. on a retry)."""
    keys = held_keys(ctx.store, batch_id)
    errors, held_back = partner_files(ctx.home, batch_id)
    sources = [p for p in batch_sources(ctx.store, batch_id) if p.exists()]
    batch = get_batch(ctx.store, batch_id) or {}
    # only from the very input the batch was staged from: the findings' rows and cells point into it
    same = len(sources) == 1 and make_batch_id(str(batch.get("partner_id")), input_files(sources)) == batch_id
    if keys and same:
        write_error_workbook(sources[0], batch_findings(ctx.store, batch_id), errors, held_accounts=keys)
        for path in (errors, held_back):
            path.chmod(0o600)  # the held-back rows carry what the partner typed, passwords included
    return errors if keys and errors.exists() else None


def notify_partner(ctx: Context, systems: Systems, batch_id: str, counts: dict[str, int], files: list[Path]) -> None:
    """The partner's batch summary mail (pipeline.mail: sent once per run with something new to say)."""
    batch = get_batch(ctx.store, batch_id)
    try:
        partner = resolve_partner(load_partners(ctx.settings.partners_file), str(batch["partner_id"]) if batch else None)
    except PartnerError:  # a partner since removed from the file: nobody to tell
        return
    queue_batch_summary(ctx.store, ctx.vault, batch_id, partner, counts, files)
    send_outbox(ctx.store, ctx.vault, systems.mailer, batch_id, ctx.settings.mail_from)


def summary(ctx: Context, batch_id: str) -> dict[str, Any]:
    errors, held_back = partner_files(ctx.home, batch_id)
    has_files = bool(held_keys(ctx.store, batch_id)) and errors.exists()
    for b in batch_summaries(ctx.store):
        if b["batch"] == batch_id:
            return {"batch": batch_id, "customers": b["customers"], "report": b["report"],
                    "errors": str(errors) if has_files else None,
                    "held_back": str(held_back) if has_files and held_back.exists() else None}
    raise KeyError(batch_id)


def run_file(
    settings: Settings, path: Path, options: RunOptions, *, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Plain (Prefect-free) run of one workbook: what the flow does, for tests and tools."""
    with open_context(settings, f"onboard run {path}") as ctx:
        prepared = stage_batch(ctx, path, options)
        with open_systems(ctx.home, settings) as systems:
            route_held(ctx, systems, prepared)
            return drive_batch(ctx, systems, prepared.batch_id, options.chunk_size, progress)


def batch_exists(ctx: Context, batch_id: str) -> bool:
    return get_batch(ctx.store, batch_id) is not None


def drive_batch(ctx: Context, systems: Systems, batch_id: str, chunk_size: int,
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Provision every customer of a staged batch that is not complete, then reconcile."""
    chunks = chunks_to_do(ctx, batch_id, chunk_size)
    total, done = sum(map(len, chunks)), 0
    for chunk in chunks:
        provision_chunk(ctx, systems, batch_id, chunk)
        done += len(chunk)
        if progress:
            progress(done, total)
    return finish_batch(ctx, systems, batch_id)


def retry_batch(settings: Settings, batch_id: str, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Re-drive the failed and unfinished customers of a batch (no input file needed)."""
    with open_context(settings, f"onboard retry {batch_id}") as ctx:
        if not batch_exists(ctx, batch_id):
            raise KeyError(batch_id)
        mark_in_doubt_pending(ctx.store, batch_id)
        set_batch(ctx.store, batch_id, status="running")
        with open_systems(ctx.home, settings) as systems:
            return drive_batch(ctx, systems, batch_id, settings.chunk_size, progress)
