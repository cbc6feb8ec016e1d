"""What each command does, apart from argument parsing (kept importable for tests)."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from core.errors import UsageError
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from transforms.prefetch import EarlyRead

TEMPLATE_VERSION = "2026.11"


def owner_only(*paths: Path) -> None:
    """0600 on files we wrote for the user (an existing file keeps its old mode when overwritten)."""
    for p in paths:
        with contextlib.suppress(OSError):
            os.chmod(p, 0o600)


def validate(file: Path, partner: str | None, allow_pending_e911: bool, errors_out: Path | None,
             early: EarlyRead | None = None) -> dict[str, Any]:
    """No side effects: nothing under the data home, no Prefect (so not even the ``flows`` package).
    ``early``: the read the CLI started before importing this module (``transforms.prefetch``)."""
    from concurrent.futures import ThreadPoolExecutor

    from data.sheets import Sheet
    from staging.snapshot import free_inventory, read_known
    from transforms.ahead import normalize_ahead
    from transforms.ingest import HeaderError, read_order
    from transforms.partner import choose_partner

    def _sheet_checks(sheet: Sheet, frame: pd.DataFrame) -> object:
        # imported in the reader thread: the validators' imports (pandera) stay off the path to the read's start
        from validators.sheet_checks import sheet_checks

        return sheet_checks(sheet, frame)

    settings = load_settings()
    home = settings.home.resolve()
    # the validators' imports (pandera) and first-use set-up run beside the read, which leaves the GIL (issue 18)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-up") as side:
        warming = side.submit(_warm_validators)
        header: HeaderError | None = None
        try:
            # small sheets normalized and checked beside Packages (validators.sheet_checks)
            raw = read_order(file, settings.limits(), ahead=normalize_ahead(then=_sheet_checks), early=early)
        except HeaderError as exc:
            header = exc
        warming.result()
    from validators.check import check_order
    from validators.findings import findings_frame

    if header is not None:  # one finding for the header instead of the header read as a customer
        findings = findings_frame(header.findings)
        n = header.customer_rows
        doc = {"customers": {"total": n, "valid": 0, "held": n, "skipped": 0}, "findings": _finding_dicts(findings)}
        return _errors_out(doc, file, findings, errors_out, set())
    p = choose_partner(raw.sheets.get("Customers"), partner, settings.partners_file)
    checked = check_order(raw, existing=None, known=read_known(home, p.partner_id), inventory=free_inventory(home),
                          allow_pending_e911=allow_pending_e911, fingerprints=False)  # nothing is staged
    findings = checked.findings
    doc = {"customers": checked.result.totals.as_dict(), "findings": _finding_dicts(findings)}
    return _errors_out(doc, file, findings, errors_out, set(checked.result.held))


def _warm_validators() -> None:
    from validators.check import warm_up

    warm_up()


def _finding_dicts(findings: pd.DataFrame) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{str(k): (None if pd.isna(v) else v) for k, v in rec.items() if k != "value"}
                                 for rec in findings.to_dict("records")]
    for f in out:
        if f.get("row") is not None:
            f["row"] = int(str(f["row"]))
    return out


def _errors_out(doc: dict[str, Any], file: Path, findings: pd.DataFrame, errors_out: Path | None,
                held: set[str]) -> dict[str, Any]:
    if errors_out is not None:
        from reports.error_workbook import write_error_workbook

        annotated, held_back = write_error_workbook(file, findings, errors_out, held_accounts=held)
        owner_only(annotated, held_back)
        doc["errors_out"] = str(annotated)
        doc["held_back"] = str(held_back)
    return doc


def print_validation(console: Console, doc: dict[str, Any], limit: int = 60) -> None:
    c = doc["customers"]
    console.print(
        f"[bold]{c['total']}[/] customers: [green]{c['valid']} valid[/], [red]{c['held']} held[/], {c['skipped']} skipped"
    )
    for f in doc["findings"][:limit]:
        # the severity is spelled out: told apart without colour (a log file, a pipe, a colour-blind reader)
        style = "red" if f["severity"] == "error" else "yellow"
        where = f"{f['sheet']}!{f['row'] or ''}" + (f" {f['column']}" if f["column"] else "")
        who = f" ({f['account']})" if f["account"] else ""
        console.print(f"[{style}]{f['severity'].upper():7}[/] {f['code']} {where}{who}: {f['message']}",
                      highlight=False, markup=True)
    if len(doc["findings"]) > limit:
        console.print(f"... {len(doc['findings']) - limit} more finding(s): use --json or --errors-out FILE")
    if doc.get("errors_out"):
        console.print(f"annotated workbook: {doc['errors_out']}\nheld-back rows: {doc['held_back']}")


def run(
    file: Path, partner: str | None, allow_pending_e911: bool, all_or_nothing: bool, *, show_progress: bool
) -> dict[str, Any]:
    """Take the writer lock, then read, check and stage the file (guard, ingest, validate, stage: plain
    functions), then hand the staged batch to the Prefect flow: an unusable file is refused in seconds with
    one line and never starts Prefect (issue 14); a second run is refused before it reads anything (16)."""
    from onboard.progress import Progress
    from onboard.runtime import hold_home, use_running_prefect

    settings = load_settings()
    settings.external_mode()  # fail fast on a half-configured set of URLs
    home = settings.home.resolve()
    with hold_home(home, f"onboard run {file}") as held, Progress(show_progress) as bar:
        from transforms.ingest import read_order
        from transforms.partner import choose_partner

        bar.phase("reading", 1)
        # before the data home changes and before `flows` (Prefect) is imported: a refused file changes nothing
        raw = read_order(file, settings.limits())
        choose_partner(raw.sheets.get("Customers"), partner, settings.partners_file)
        use_running_prefect(home)  # a configured server that does not answer is refused before staging
        # The file is usable: import Prefect (seconds) while validating and staging (DuckDB and the
        # reader release the GIL). Not before: a refused file never touches PREFECT_HOME (issue 14).
        prefetch = threading.Thread(target=_import_flow, name="import-prefect", daemon=True)
        prefetch.start()
        bar.phase("validating and staging", 1)
        held.staged = True
        from pipeline import batch as pipeline
        from pipeline.stage import RunOptions
        from staging.store import watch_home

        options = RunOptions(partner=partner, allow_pending_e911=allow_pending_e911, all_or_nothing=all_or_nothing,
                             chunk_size=settings.chunk_size)
        watch_home(home)  # Ctrl-C from here on marks the batch interrupted
        with pipeline.open_context(settings, f"onboard run {file}") as ctx:
            prepared = pipeline.stage_batch(ctx, file.resolve(), options, raw=raw)
            batch_id = prepared.batch_id
            nothing_left = prepared.resumed and not pipeline.chunks_to_do(ctx, batch_id, settings.chunk_size)
        del raw
        bar.phase("starting Prefect", 1)
        prefetch.join()
        from flows.onboard_order_sheet import run_here
        from pipeline import progress

        progress.set_reporter(bar.reporter())
        try:
            result = run_here(str(file.resolve()), partner=partner, allow_pending_e911=allow_pending_e911,
                              all_or_nothing=all_or_nothing, batch_id=batch_id)
        finally:
            progress.set_reporter(None)
    result["nothing_left"] = nothing_left
    return result


def _import_flow() -> None:
    with contextlib.suppress(Exception):  # the main thread's own import then raises it, with its traceback
        import flows.onboard_order_sheet  # noqa: F401


def refuse_if_locked(settings: Settings) -> None:
    """Tell a second writer at once, before any orchestration starts (the run takes the lock itself)."""
    from staging.lock import LockedError, RunLock

    lock = RunLock(settings.home.resolve())
    if lock.is_held():
        raise LockedError(lock.describe_holder())


def retry(batch: str, *, show_progress: bool) -> dict[str, Any]:
    from onboard.progress import Progress
    from pipeline.batch import retry_batch

    settings = load_settings()
    settings.external_mode()
    refuse_if_locked(settings)
    with Progress(show_progress, verb="retrying") as bar:
        bar.phase("opening the batch", 1)
        try:
            result = retry_batch(settings, batch, bar.reporter())
        except KeyError:
            raise UsageError(f"no batch {batch} (onboard status lists the batches)") from None
    # drive_batch reports once per chunk: no report at all means no customer was left to send
    result["nothing_left"] = not any(name.startswith("retrying") for name, _ in bar.phases)
    return result


def migrate(settings: Settings, paths: list[Path], *, partner: str | None, chunk_size: int | None,
            workers: int | None, dask: str | None, cutover: str | None, show_progress: bool) -> dict[str, Any]:
    """`onboard migrate`: the writer lock first, then the flow (which reads, stages and provisions)."""
    from onboard.progress import Progress
    from onboard.runtime import hold_home, use_running_prefect

    settings.external_mode()
    with hold_home(settings.home.resolve(), "onboard migrate"), Progress(show_progress, verb="migrating") as bar:
        bar.phase("reading, validating and staging", 1)
        use_running_prefect(settings.home.resolve())
        from flows.migrate_book import migrate as run_migrate
        from pipeline import progress

        progress.set_reporter(bar.reporter())
        try:
            result: dict[str, Any] = run_migrate(settings, paths, partner=partner, chunk_size=chunk_size,
                                                 workers=workers, dask=dask, cutover=cutover)
        finally:
            progress.set_reporter(None)
    return result


def print_run(console: Console, doc: dict[str, Any]) -> None:
    c = doc["customers"]
    console.print(
        f"batch [bold]{doc['batch']}[/]: {c['total']} customers, {c['valid']} valid, {c['held']} held, "
        f"{c['skipped']} skipped; {c['provisioned']} provisioned, {c['billed']} billed, {c['failed']} failed"
    )
    if doc.get("report"):
        console.print(f"report: {doc['report']}")
    if doc.get("errors"):  # held customers: the annotated workbook and their rows alone, to fix and re-upload
        console.print(f"annotated workbook: {doc['errors']}\nheld-back rows: {doc['held_back']}")


def status(batch: str | None) -> dict[str, Any]:
    from staging.snapshot import read_batch, read_batches

    home = load_settings().home.resolve()
    if batch is None:
        return {"batches": read_batches(home)}
    doc = read_batch(home, batch)
    if doc is None:
        raise UsageError(f"no batch {batch} under {home} (onboard status lists the batches)")
    return doc


def print_status(console: Console, doc: dict[str, Any]) -> None:
    if "batches" in doc:
        if not doc["batches"]:
            console.print("no batches yet")
            return
        from reports.clock import stamp, zone_name, zoned_label

        t = Table("batch", "partner", zoned_label("received"), "status", "total", "valid", "held", "skipped",
                  "provisioned", "billed", "failed")
        for b in doc["batches"]:
            c = b["customers"]
            t.add_row(b["batch"], b["partner"], str(stamp(b["received_at"])).removesuffix(f" {zone_name()}"),
                      b.get("status", ""),
                      *(str(c[k]) for k in ("total", "valid", "held", "skipped", "provisioned", "billed", "failed")))
        console.print(t)
        return
    t = Table("account", "customer", "broadworks", "billing", "tickets", "mail", "errors")
    for c in doc["customers"]:
        s = c["status"]
        t.add_row(c["account"], c.get("customer", ""), s["broadworks"], s["billing"], s["tickets"], s["mail"],
                  "; ".join(c["errors"]))
    console.print(t)


def template(out_path: Path, *, force: bool = False) -> Path:
    from reports.template import TemplateExistsError, write_template

    try:
        write_template(out_path, TEMPLATE_VERSION, force=force)
    except TemplateExistsError as exc:  # one line, exit 2: a partner's filled workbook is not replaced
        raise UsageError(str(exc)) from None
    return out_path


def _with_store(settings: Settings, command: str) -> Any:
    from pipeline.batch import open_context

    return open_context(settings, command)


def inventory_load(file: Path) -> int:
    from staging.inventory import load_inventory, read_inventory_file
    from staging.snapshot import write_snapshot

    frame = read_inventory_file(file)
    with _with_store(load_settings(), f"onboard inventory load {file}") as ctx:
        added = load_inventory(ctx.store, frame)
        write_snapshot(ctx.store)
    return int(added)


def inventory_show(npa: str, nxx: str) -> dict[str, Any]:
    """``{"npa", "nxx", "numbers": [{number, rate_center, state, status, partner, account, batch_id}],
    "counts": {status: n}}``; while a run holds the data home, the same from its snapshot plus a ``note``."""
    from staging.lock import RunLock
    from staging.snapshot import inventory

    settings = load_settings()
    home = settings.home.resolve()
    if RunLock(home).is_held():
        # a run holds the database: answer from the snapshot it keeps current (every state, DESIGN §5)
        frame = inventory(home, npa, nxx)
        if frame is not None:
            doc = _inventory_doc(npa, nxx, frame)
            doc["note"] = "a run holds the data home: the inventory as of its last snapshot"
            return doc
    from pipeline.stage import ensure_inventory
    from staging.inventory import show

    with _with_store(settings, "onboard inventory show") as ctx:
        ensure_inventory(ctx.store)
        frame = show(ctx.store, npa, nxx)
    return _inventory_doc(npa, nxx, frame)


def _inventory_doc(npa: str, nxx: str, frame: pd.DataFrame) -> dict[str, Any]:
    numbers = [{str(k): (None if pd.isna(v) else str(v)) for k, v in rec.items()} for rec in frame.to_dict("records")]
    counts = {str(k): int(v) for k, v in frame["status"].value_counts().items()} if not frame.empty else {}
    return {"npa": npa, "nxx": nxx, "numbers": numbers, "counts": counts}


def print_inventory(console: Console, doc: dict[str, Any]) -> None:
    if not doc["numbers"]:
        console.print(f"no numbers in {doc['npa']}-{doc['nxx']}")
        return
    t = Table(*doc["numbers"][0].keys())
    for rec in doc["numbers"]:
        t.add_row(*("" if v is None else v for v in rec.values()))
    console.print(t)
    console.print(", ".join(f"{v} {k}" for k, v in doc["counts"].items()))
    if doc.get("note"):
        console.print(f"note: {doc['note']}")


def sim(system: str, port: int, state: Path | None, journal: Path | None, fault_rate: float, commit_timeout_rate: float,
        latency_ms: float, token_life: float, seed: int | None) -> None:
    from connectors.common.simhttp import Faults, serve_forever

    settings = load_settings()
    home = settings.home.resolve()
    faults = Faults(latency_ms=latency_ms, fault_rate=fault_rate, commit_timeout_rate=commit_timeout_rate, seed=seed)
    if system == "broadworks":
        from connectors.broadworks.simulator import BroadWorksSim

        app: Any = BroadWorksSim(state or home / "sim" / "broadworks.sqlite", settings.broadworks_user,
                                 settings.broadworks_password.get_secret_value(), journal=journal)
    elif system == "billing":
        from connectors.billing.simulator import BillingSim
        from connectors.systems import billing_packages

        app = BillingSim(state or home / "sim" / "billing.sqlite", settings.billing_client_id,
                         settings.billing_client_secret.get_secret_value(), packages=billing_packages(),
                         token_life=token_life, journal=journal)
    elif system == "tickets":
        from connectors.tickets.simulator import TicketsSim

        app = TicketsSim(state or home / "sim" / "tickets.sqlite", settings.tickets_token.get_secret_value(),
                         journal=journal)
    else:
        raise UsageError(f"unknown system {system!r}: broadworks, billing or tickets")
    (state or home / "sim").parent.mkdir(parents=True, exist_ok=True)
    if journal is not None:  # the simulated system's own log: it holds what the requests held (0600)
        journal.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        owner_only(journal)
    try:
        serve_forever(app, faults, port=port)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise UsageError(f"port {port} on 127.0.0.1 is {'in use' if exc.errno == errno.EADDRINUSE else 'not allowed'}"
                             ": stop what listens there, or pick another with --port (0: any free port)") from None
        raise
