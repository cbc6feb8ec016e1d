"""The `onboard` command line (DESIGN §7)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from core.lean import skip_test_libraries
from onboard.errors import EXIT_OK, UsageError, clean_errors
from onboard.output import exit_code, help_style, print_json, print_migrate, print_nightly
from onboard.prefect_env import configure_prefect

help_style()
# Plain help (click's layout): switches as switches, every placeholder one UPPERCASE word, defaults shown.
app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Bulk onboarding of hosted-voice customers.")
inventory_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="The DID inventory.")
report_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Reports.")
app.add_typer(inventory_app, name="inventory")
app.add_typer(report_app, name="report")
from onboard.partners_cli import partner_app  # noqa: E402 - the portal's partner and token commands

app.add_typer(partner_app, name="partner")
err = Console(stderr=True)
out = Console(highlight=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout (JSON only).")]
PartnerOpt = Annotated[str | None, typer.Option("--partner", metavar="P",
                                                help="Partner id (else the Partner ID column, else default).")]
E911Opt = Annotated[bool, typer.Option("--allow-pending-e911", help="Missing E911 -> warning + follow-up ticket.")]
FileArg = Annotated[Path, typer.Argument(metavar="FILE", help="Order workbook (.xlsx), CSV file or folder of CSV files.")]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            v = version("hosted-onboard")
        except PackageNotFoundError:  # a checkout run without installing
            v = "unknown"
        print(f"onboard {v}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    _: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")]
    = False,
) -> None:
    """Bulk onboarding of hosted-voice customers."""


def _file(path: Path) -> Path:
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder")
    return path


def _settings() -> Any:
    """The settings, with the report time zone applied (a .env value too, not only the environment)."""
    from onboard.settings import load_settings
    from reports.clock import configure

    settings = load_settings()
    configure(settings.timezone)
    return settings


@app.command()
@clean_errors
def validate(
    file: FileArg,
    partner: PartnerOpt = None,
    as_json: JsonOpt = False,
    errors_out: Annotated[Path | None, typer.Option("--errors-out", metavar="X",
                                                    help="Write the annotated workbook to X (held rows beside it).")] = None,
    allow_pending_e911: E911Opt = False,
) -> None:
    """Check an order workbook: no side effects, no network."""
    from onboard.settings import load_settings
    from transforms.prefetch import start_read

    path = _file(file)
    # the workbook's biggest sheet is read while pandas and the validators are imported (transforms.prefetch)
    early = start_read(path, load_settings().limits())
    from onboard import commands

    _settings()
    result = commands.validate(path, partner, allow_pending_e911, errors_out, early=early)
    if as_json:
        from onboard.jsonout import write_json

        write_json(sys.stdout, result)  # streamed: a million findings never become one string
    else:
        commands.print_validation(out, result)
    # imported here, not above: the validators (pandera) are imported beside the read, not before it starts
    from validators.workbook_checks import validation_fails

    raise typer.Exit(1 if validation_fails(result["customers"], result["findings"]) else EXIT_OK)


@app.command()
@clean_errors
def run(
    file: FileArg,
    partner: PartnerOpt = None,
    as_json: JsonOpt = False,
    all_or_nothing: Annotated[bool, typer.Option("--all-or-nothing", help="Import nothing if any customer is held.")] = False,
    allow_pending_e911: E911Opt = False,
) -> None:
    """Validate, stage, provision and bill one order workbook (resumes a batch that stopped)."""
    from onboard import commands

    _settings()
    result = commands.run(_file(file), partner, allow_pending_e911, all_or_nothing, show_progress=not as_json)
    _report_run(result, as_json)


@app.command()
@clean_errors
def migrate(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH...", help="Workbooks or folders of CSV files.")],
    partner: PartnerOpt = None,
    chunk_size: Annotated[int | None, typer.Option(
        "--chunk-size", min=1, metavar="N", help="Customers per chunk.  [default: 500, or ONBOARD_CHUNK_SIZE]")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, metavar="N",
        help="Connector sessions in parallel.  [default: 4, or ONBOARD_CONCURRENCY]")] = None,
    dask: Annotated[str | None, typer.Option("--dask", metavar="ADDRESS",
                                             help="Dask scheduler ADDRESS, or local:N for N local workers.")] = None,
    cutover: Annotated[str | None, typer.Option("--cutover", metavar="YYYY-MM-DD",
                                                help="Billing start date of the migrated customers.  "
                                                     "[default: the 1st of next month]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Migrate whole customer books: chunked, resumable, optionally on a Dask cluster."""
    from onboard import commands

    settings = _settings()
    result = commands.migrate(settings, [_file(p) for p in paths], partner=partner, chunk_size=chunk_size,
                              workers=workers, dask=dask, cutover=cutover, show_progress=not as_json)
    if as_json:
        print_json(result)
    else:
        print_migrate(out, result)
    raise typer.Exit(exit_code(result["customers"]))


@app.command()
@clean_errors
def plan(
    target: Annotated[str, typer.Argument(metavar="FILE|BATCH", help="An order workbook, or a staged batch id.")],
    partner: PartnerOpt = None,
    as_json: JsonOpt = False,
    allow_pending_e911: E911Opt = False,
) -> None:
    """What a run would still send, step by step, sending nothing."""
    from onboard.output import looks_like_batch

    settings = _settings()
    if not Path(target).exists() and not looks_like_batch(target):
        raise UsageError(f"{target}: no such file (a batch id is 16 hex digits, as `onboard status` lists them)")
    from onboard.views import print_plan
    from pipeline.plan_view import plan_steps

    doc = plan_steps(settings, target, partner=partner, allow_pending_e911=allow_pending_e911)
    if as_json:
        print_json(doc)
    else:
        print_plan(out, doc)


@app.command()
@clean_errors
def retry(batch: Annotated[str, typer.Argument(metavar="BATCH", help="Batch id (onboard status).")],
          as_json: JsonOpt = False) -> None:
    """Re-drive the failed and unfinished customers of a batch."""
    from onboard import commands

    _settings()
    result = commands.retry(batch, show_progress=not as_json)
    _report_run(result, as_json)


def _report_run(result: dict[str, Any], as_json: bool) -> None:
    """`run` and `retry`: one output and one exit rule (0 every valid customer done, 1 some held or failed)."""
    from onboard import commands

    nothing_left = bool(result.pop("nothing_left", False))
    if as_json:
        print_json(result)
    else:
        if nothing_left:
            out.print(f"nothing left to send: batch {result['batch']} was already run; every customer it could "
                      "send is done or held")
        commands.print_run(out, result)
    raise typer.Exit(exit_code(result["customers"]))


@app.command()
@clean_errors
def status(batch: Annotated[str | None, typer.Argument(metavar="BATCH", help="One batch, per customer.")] = None,
           as_json: JsonOpt = False) -> None:
    """Batches and their progress (also while a run is in progress)."""
    from onboard import commands

    _settings()
    result = commands.status(batch)
    if as_json:
        print_json(result)
    else:
        commands.print_status(out, result)


@app.command()
@clean_errors
def template(
    out_path: Annotated[Path, typer.Argument(metavar="OUT", help="Where to write the workbook (.xlsx).")],
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Write the blank order workbook (an existing OUT is kept unless --force)."""
    from onboard import commands

    print(commands.template(out_path, force=force))


@inventory_app.command("load")
@clean_errors
def inventory_load(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="CSV: number,npa,nxx,rate_center,state.")],
    as_json: JsonOpt = False,
) -> None:
    """Add numbers (CSV: number,npa,nxx,rate_center,state) to the DID inventory."""
    from onboard import commands

    added = commands.inventory_load(_file(file))
    if as_json:
        print_json({"added": added})
    else:
        print(f"{added} number(s) added to the inventory")


@inventory_app.command("show")
@clean_errors
def inventory_show(
    npa: Annotated[str, typer.Argument(metavar="NPA")],
    nxx: Annotated[str, typer.Argument(metavar="NXX")],
    as_json: JsonOpt = False,
) -> None:
    """Numbers of one NPA-NXX and who holds them."""
    from onboard import commands

    _settings()
    doc = commands.inventory_show(npa, nxx)
    if as_json:
        print_json(doc)
    else:
        commands.print_inventory(out, doc)


@report_app.command("nightly")
@clean_errors
def report_nightly(
    date: Annotated[str | None, typer.Option("--date", metavar="YYYY-MM-DD",
                                             help="The night to report.  [default: today in ONBOARD_TIMEZONE]")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The nightly finance workbook: expected vs billed, first invoices, exceptions, changes."""
    settings = _settings()
    from pipeline.nightly import report_nightly as run_report

    result = run_report(settings, date)
    if as_json:
        print_json(result)
    else:
        print_nightly(out, result)


@app.command()
@clean_errors
def serve(
    port: Annotated[int, typer.Option(metavar="N", help="Port of the local Prefect server on 127.0.0.1.",
                                      show_default=True)] = 4200,
    host: Annotated[str, typer.Option("--host", metavar="H", help="Address the partner portal binds.",
                                      show_default=True)] = "127.0.0.1",
) -> None:
    """Local Prefect server + the nightly deployment + the partner portal (Ctrl-C stops)."""
    from onboard.serve import serve as run_serve
    from onboard.settings import load_settings

    settings = load_settings()
    from reports.clock import configure

    configure(settings.timezone)
    run_serve(settings, port=port, portal_host=host)


@app.command()
@clean_errors
def demo() -> None:
    """Run the shipped sample end to end on fresh simulators (data home ./var/demo)."""
    from onboard import demo as demo_mod

    demo_mod.run_demo(out)


@app.command()
@clean_errors
def sim(
    system: Annotated[str, typer.Argument(metavar="SYSTEM", help="broadworks | billing | tickets")],
    port: Annotated[int, typer.Option(metavar="N", help="Port on 127.0.0.1 (0: any free port).", show_default=True)] = 0,
    state: Annotated[Path | None, typer.Option(metavar="F", help="State file (default: under the data home).")] = None,
    journal: Annotated[Path | None, typer.Option(metavar="F",
                                                 help="Append every request and answer here (JSON lines).")] = None,
    fault_rate: Annotated[float, typer.Option(metavar="R", help="Share of requests failing transiently before any change.",
                                              show_default=True)] = 0.0,
    commit_timeout_rate: Annotated[float, typer.Option(metavar="R", help="Share applied, then left unanswered.",
                                                       show_default=True)] = 0.0,
    latency_ms: Annotated[float, typer.Option(metavar="L", help="Added to every request.", show_default=True)] = 0.0,
    token_life: Annotated[float, typer.Option(metavar="S", help="Billing/tickets token lifetime in seconds.",
                                              show_default=True)] = 1800.0,
    seed: Annotated[int | None, typer.Option(metavar="N", help="Seed of the fault dice.")] = None,
) -> None:
    """Run one simulator alone, in the foreground."""
    from onboard import commands

    commands.sim(system, port, state, journal, fault_rate, commit_timeout_rate, latency_ms, token_life, seed)


def main(argv: list[str] | None = None) -> Any:
    """The command line. ``argv`` None: this process's own (the ``onboard`` script, ``python -m onboard.cli``),
    which then ends as soon as the command is done (``_exit_now``); with ``argv`` (tests, tools) it returns."""
    # Every file this process creates (database, snapshots, reports, mail drop, simulator state and journals,
    # --errors-out workbooks) holds customer data: owner-only (DESIGN §5), whichever library writes it.
    os.umask(0o077)
    configure_prefect(create=False)  # before any command imports flows (and Prefect), which creates the home
    if argv is not None:
        return app(args=argv, prog_name="onboard")
    skip_test_libraries()  # this process is the product: no hypothesis under pandera (core.lean)
    try:
        app(args=sys.argv[1:], prog_name="onboard")
    except SystemExit as exc:
        _exit_now(exc.code)
        raise
    _exit_now(0)
    return None


def _exit_now(code: Any) -> None:
    """End the process without the interpreter's teardown, once everything an ordinary exit does has run.

    Measured (issue 16): after a `run`, freeing the modules and objects of pandas, Prefect, pydantic and DuckDB
    took 0.3-0.5 s of the command's wall time, and nothing of ours happens in it: every file is written and
    closed by then. What an ordinary exit does first is done here in the same order: wait for non-daemon
    threads, run the atexit handlers (Prefect's event and log flushes, logging.shutdown, finalizers), flush
    stdout and stderr. Only then ``os._exit``.
    """
    import atexit
    import contextlib
    import threading

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:  # sys.exit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        status = 1
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (onboard ... | head): nothing more to say
            stream.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
