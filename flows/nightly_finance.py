"""Prefect flow: the nightly finance workbook, scheduled by ``onboard serve``.

A thin wrapper over ``pipeline.nightly``: billing is read once (one task: paged bulk searches per
partner), BroadWorks in chunks of at least 500 customers (one task each, never one per row: at most 2
task runs per 1,000 customers), and each run leaves two artifacts: a summary table and a link to the
workbook.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pandas as pd
import prefect
from prefect import flow, task
from prefect.artifacts import create_link_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.flows import EntrypointType
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.utilities.annotations import quote

from connectors.systems import Systems, open_systems
from core.settings import load_settings
from pipeline import nightly
from pipeline.batch import Context, open_context
from reports.finance import Night

FLOW_NAME = "nightly_finance"
DEPLOYMENT_NAME = "nightly"
SUMMARY_KEY = "nightly-finance-summary"
WORKBOOK_KEY = "nightly-finance-workbook"


@task(name="load-book", cache_policy=NONE)
def load_book_task(ctx: Context) -> pd.DataFrame:
    return nightly.load_book(ctx.store)


@task(name="read-billing", cache_policy=NONE)
def billing_task(systems: Systems, book: pd.DataFrame) -> nightly.BillingBooks:
    return nightly.read_billing(systems, book)


@task(name="read-back-chunk", cache_policy=NONE, task_run_name="read-back-chunk-{index}")
def read_back_task(systems: Systems, chunk: pd.DataFrame, concurrency: int, index: int) -> list[dict[str, Any]]:
    return nightly.read_broadworks(systems, chunk, concurrency)


@task(name="match-billing", cache_policy=NONE)
def match_task(book: pd.DataFrame, broadworks: list[dict[str, Any]], billing: nightly.BillingBooks
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return nightly.match_billing(book, broadworks, billing)


@task(name="ticket-status", cache_policy=NONE)
def tickets_task(ctx: Context, systems: Systems, concurrency: int) -> pd.DataFrame:
    return nightly.ticket_status(ctx.store, systems, concurrency)


@task(name="compare-and-write", cache_policy=NONE)
def finish_task(ctx: Context, day: str, night: Night, embedded: bool) -> tuple[Path, dict[str, Any]]:
    return nightly.finish_nightly(ctx, nightly.parse_day(day, ctx.settings.timezone), night, embedded=embedded)


@flow(name=FLOW_NAME, log_prints=False)
def nightly_finance(date: str | None = None) -> dict[str, Any]:
    """Tonight's finance workbook (``date``: YYYY-MM-DD, default today in ONBOARD_TIMEZONE)."""
    settings = load_settings()
    day = nightly.parse_day(date, settings.timezone).isoformat()
    size, n = nightly.chunk_size(settings.chunk_size), settings.concurrency
    with open_context(settings, f"nightly_finance {day}") as ctx:
        book = load_book_task(ctx)
        with open_systems(ctx.home, settings) as systems:
            billing_read = billing_task.submit(systems, book)  # once for the night, beside BroadWorks' chunks
            broadworks: list[dict[str, Any]] = []
            for i, start in enumerate(range(0, len(book), size)):
                broadworks += read_back_task(systems, book.iloc[start : start + size], n, i)
            # quote(): tens of thousands of nested answers that Prefect need not walk
            readbacks, orphans = match_task(book, cast(list[dict[str, Any]], quote(broadworks)),
                                            billing_read.result())
            tickets = tickets_task(ctx, systems, n)
            # quote(): the night's read-back is 100k customers of nested data; Prefect need not walk it
            path, summary = finish_task(ctx, day, cast(Night, quote(Night(book, readbacks, orphans, tickets))),
                                        systems.embedded)
    publish_artifacts(path, summary)
    return summary


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's control figures, one row each, for the summary table artifact."""
    rows = [{"measure": k.replace("_", " "), "value": summary[k]} for k in (
        "customers", "new_accounts", "first_invoices", "expected_mrc", "billed_mrc", "expected_nrc", "billed_nrc",
        "exceptions", "new", "still_open", "resolved")]
    rows.insert(5, {"measure": "mrc difference",
                    "value": round(float(summary["billed_mrc"]) - float(summary["expected_mrc"]), 2)})
    rows += [{"measure": f"exceptions: {k}", "value": v} for k, v in summary["by_kind"].items()]
    return rows


def publish_artifacts(path: Path, summary: dict[str, Any]) -> None:
    day = summary["date"]
    create_table_artifact(key=SUMMARY_KEY, table=summary_rows(summary), description=f"Nightly finance {day}")
    create_link_artifact(key=WORKBOOK_KEY, link=path.resolve().as_uri(), link_text=f"nightly-{day}.xlsx",
                         description=f"Nightly finance workbook {day}")


# -- the scheduled deployment (``onboard serve``) -------------------------------------------------
def nightly_deployment(cron: str, timezone: str) -> RunnerDeployment:
    """The nightly deployment: ``cron`` in ``timezone``; a run due while one is running waits its turn."""
    deployment = nightly_finance.to_deployment(
        name=DEPLOYMENT_NAME,
        schedules=[Cron(cron, timezone=timezone)],
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
        description="Nightly finance workbook: expected vs billed, first invoices, exceptions, changes",
        tags=["finance"],
        # by module, not file path: the runner's subprocess imports it from the installed project
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
    assert isinstance(deployment, RunnerDeployment)  # called from sync code: never the coroutine
    return deployment


def serve_nightly(cron: str, timezone: str, api_url: str) -> None:
    """Serve the nightly deployment against the Prefect API at ``api_url`` until interrupted."""
    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        prefect.serve(nightly_deployment(cron, timezone), limit=1)
