"""The `onboard` command line (DESIGN §7)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from onboard.errors import EXIT_HELD, EXIT_OK, UsageError, clean_errors

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Bulk onboarding of hosted-voice customers.")
inventory_app = typer.Typer(no_args_is_help=True, help="The DID inventory.")
report_app = typer.Typer(no_args_is_help=True, help="Reports.")
app.add_typer(inventory_app, name="inventory")
app.add_typer(report_app, name="report")
err = Console(stderr=True)
out = Console()

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
PartnerOpt = Annotated[str | None, typer.Option("--partner", help="Partner id (else the Partner ID column, else default).")]
E911Opt = Annotated[bool, typer.Option("--allow-pending-e911", help="Missing E911 -> warning + follow-up ticket.")]


def _file(path: Path) -> Path:
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    return path


@app.command()
@clean_errors
def validate(
    file: Path,
    partner: PartnerOpt = None,
    as_json: JsonOpt = False,
    errors_out: Annotated[Path | None, typer.Option("--errors-out", help="Write the annotated workbook here.")] = None,
    allow_pending_e911: E911Opt = False,
) -> None:
    """Check an order workbook: no side effects, no network."""
    from onboard import commands

    result = commands.validate(_file(file), partner, allow_pending_e911, errors_out)
    if as_json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        commands.print_validation(out, result)
    errors = any(f["severity"] == "error" for f in result["findings"])
    raise typer.Exit(EXIT_HELD if result["customers"]["held"] or errors else EXIT_OK)


@app.command()
@clean_errors
def run(
    file: Path,
    partner: PartnerOpt = None,
    as_json: JsonOpt = False,
    all_or_nothing: Annotated[bool, typer.Option("--all-or-nothing", help="Import nothing if any customer is held.")] = False,
    allow_pending_e911: E911Opt = False,
) -> None:
    """Validate, stage, provision and bill one order workbook (resumes a batch that stopped)."""
    from onboard import commands

    result = commands.run(_file(file), partner, allow_pending_e911, all_or_nothing, show_progress=not as_json)
    if as_json:
        print(json.dumps(result))
    else:
        commands.print_run(out, result)
    c = result["customers"]
    raise typer.Exit(EXIT_HELD if c["held"] or c["failed"] or c["provisioned"] < c["valid"] or c["billed"] < c["valid"]
                     else EXIT_OK)


@app.command()
@clean_errors
def migrate(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Workbooks or folders of CSV files.")],
    partner: PartnerOpt = None,
    chunk_size: Annotated[int | None, typer.Option("--chunk-size", min=1, help="Customers per chunk.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Connector sessions in parallel.")] = None,
    dask: Annotated[str | None, typer.Option("--dask", help="Dask scheduler ADDRESS, or local:N workers.")] = None,
    cutover: Annotated[str | None, typer.Option("--cutover", help="Billing start (default: next 1st).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Migrate whole customer books: chunked, resumable, optionally on a Dask cluster."""
    from onboard import commands
    from onboard.settings import load_settings
    from onboard.views import migrate as run_migrate

    settings = load_settings()
    settings.external_mode()
    commands.refuse_if_locked(settings)
    result = run_migrate(settings, [_file(p) for p in paths], partner=partner, chunk_size=chunk_size, workers=workers,
                         dask=dask, cutover=cutover, show_progress=not as_json)
    if as_json:
        print(json.dumps(result, default=str))
    else:
        for b in result["batches"]:
            commands.print_run(out, b)
        out.print(f"cutover {result['cutover']}: {result['customers']}")
    c = result["customers"]
    raise typer.Exit(EXIT_HELD if c.get("failed") or c.get("held") else EXIT_OK)


@app.command()
@clean_errors
def plan(
    target: Annotated[str, typer.Argument(metavar="FILE|BATCH")],
    partner: PartnerOpt = None,
    as_json: JsonOpt = False,
    allow_pending_e911: E911Opt = False,
) -> None:
    """What a run would still send, step by step, sending nothing."""
    from flows.plan_view import plan_steps
    from onboard.settings import load_settings
    from onboard.views import print_plan

    doc = plan_steps(load_settings(), target, partner=partner, allow_pending_e911=allow_pending_e911)
    if as_json:
        print(json.dumps(doc, default=str))
    else:
        print_plan(out, doc)


@app.command()
@clean_errors
def retry(batch: str, as_json: JsonOpt = False) -> None:
    """Re-drive the failed and unfinished customers of a batch."""
    from onboard import commands

    result = commands.retry(batch, show_progress=not as_json)
    if as_json:
        print(json.dumps(result))
    else:
        commands.print_run(out, result)
    c = result["customers"]
    raise typer.Exit(EXIT_HELD if c["failed"] or c["provisioned"] < c["valid"] or c["billed"] < c["valid"] else EXIT_OK)


@app.command()
@clean_errors
def status(batch: Annotated[str | None, typer.Argument()] = None, as_json: JsonOpt = False) -> None:
    """Batches and their progress (also while a run is in progress)."""
    from onboard import commands

    result = commands.status(batch)
    if as_json:
        print(json.dumps(result))
    else:
        commands.print_status(out, result)


@app.command()
@clean_errors
def template(out_path: Annotated[Path, typer.Argument(metavar="OUT")]) -> None:
    """Write the blank order workbook."""
    from onboard import commands

    print(commands.template(out_path))


@inventory_app.command("load")
@clean_errors
def inventory_load(file: Path) -> None:
    """Add numbers (CSV: number,npa,nxx,rate_center,state) to the DID inventory."""
    from onboard import commands

    added = commands.inventory_load(_file(file))
    print(f"{added} number(s) added to the inventory")


@inventory_app.command("show")
@clean_errors
def inventory_show(npa: str, nxx: str) -> None:
    """Numbers of one NPA-NXX and who holds them."""
    from onboard import commands

    commands.inventory_show(out, npa, nxx)


@report_app.command("nightly")
@clean_errors
def report_nightly(
    date: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today in ONBOARD_TIMEZONE).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The nightly finance workbook: expected vs billed, first invoices, exceptions, changes."""
    from flows.nightly import report_nightly as run_report
    from onboard.settings import load_settings

    result = run_report(load_settings(), date)
    if as_json:
        print(json.dumps(result, default=str))
    else:
        out.print_json(data=result, default=str)
        out.print(f"nightly workbook: {result['workbook']}")


@app.command()
@clean_errors
def serve(port: Annotated[int, typer.Option(help="Port of the local Prefect server on 127.0.0.1.")] = 4200) -> None:
    """Local Prefect server + the nightly finance deployment on its cron schedule (Ctrl-C stops)."""
    from onboard.serve import serve as run_serve
    from onboard.settings import load_settings

    run_serve(load_settings(), port=port)


@app.command()
@clean_errors
def demo() -> None:
    """Run the shipped sample end to end on fresh simulators (data home ./var/demo)."""
    from onboard import demo as demo_mod

    demo_mod.run_demo(out)


@app.command()
@clean_errors
def sim(
    system: Annotated[str, typer.Argument(help="broadworks | billing | tickets")],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 0,
    state: Annotated[Path | None, typer.Option(help="State file (default: under the data home).")] = None,
    journal: Annotated[Path | None, typer.Option(help="Append every request and answer here (JSON lines).")] = None,
    fault_rate: Annotated[float, typer.Option(help="Share of requests failing transiently before any change.")] = 0.0,
    commit_timeout_rate: Annotated[float, typer.Option(help="Share applied, then left unanswered.")] = 0.0,
    latency_ms: Annotated[float, typer.Option(help="Added to every request.")] = 0.0,
    token_life: Annotated[float, typer.Option(help="Billing/tickets token lifetime in seconds.")] = 1800.0,
    seed: Annotated[int | None, typer.Option(help="Seed of the fault dice.")] = None,
) -> None:
    """Run one simulator alone, in the foreground."""
    from onboard import commands

    commands.sim(system, port, state, journal, fault_rate, commit_timeout_rate, latency_ms, token_life, seed)


def main(argv: list[str] | None = None) -> Any:
    # Every file this process creates (database, snapshots, reports, mail drop, simulator state and journals,
    # --errors-out workbooks) holds customer data: owner-only (DESIGN §5), whichever library writes it.
    os.umask(0o077)
    return app(args=argv if argv is not None else sys.argv[1:], prog_name="onboard")


if __name__ == "__main__":
    main()
