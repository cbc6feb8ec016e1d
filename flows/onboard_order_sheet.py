"""Prefect flow: one order workbook end to end. Tasks are chunks of customers, never rows."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from connectors.systems import Systems, open_systems
from core.settings import load_settings
from flows import pipeline, progress
from flows.pipeline import Context
from flows.stage import Prepared, RunOptions, adopt_staged


@task(name="stage", cache_policy=NONE)
def stage_task(ctx: Context, path: str, options: RunOptions) -> Prepared:
    return pipeline.stage_batch(ctx, Path(path), options)


@task(name="resume-staged", cache_policy=NONE)
def adopt_task(ctx: Context, batch_id: str) -> Prepared:
    return adopt_staged(ctx.store, batch_id, ctx.settings.partners_file)


@task(name="provision-chunk", cache_policy=NONE, task_run_name="provision-chunk-{index}")
def provision_task(ctx: Context, systems: Systems, batch_id: str, accounts: list[str], index: int) -> dict[str, Any]:
    return pipeline.provision_chunk(ctx, systems, batch_id, accounts)


@task(name="route-held", cache_policy=NONE)
def route_task(ctx: Context, systems: Systems, prepared: Prepared) -> None:
    pipeline.route_held(ctx, systems, prepared)


@task(name="reconcile-and-report", cache_policy=NONE)
def finish_task(ctx: Context, systems: Systems, batch_id: str) -> dict[str, Any]:
    return pipeline.finish_batch(ctx, systems, batch_id)


@flow(name="onboard_order_sheet", log_prints=False)
def onboard_order_sheet(
    path: str,
    partner: str | None = None,
    allow_pending_e911: bool = False,
    all_or_nothing: bool = False,
    batch_id: str | None = None,
) -> dict[str, Any]:
    """``batch_id``: the batch ``onboard run`` already read, checked and staged (the file is not read again);
    without it the flow stages ``path`` itself (tests, deployments)."""
    _keep_cli_interrupt()
    settings = load_settings()
    options = RunOptions(partner=partner, allow_pending_e911=allow_pending_e911, all_or_nothing=all_or_nothing,
                         chunk_size=settings.chunk_size)
    with pipeline.open_context(settings, f"onboard run {path}") as ctx:
        prepared = adopt_task(ctx, batch_id) if batch_id else stage_task(ctx, path, options)
        with open_systems(ctx.home, settings) as systems:
            route_task(ctx, systems, prepared)
            chunks = pipeline.chunks_to_do(ctx, prepared.batch_id, options.chunk_size)
            total, done = sum(map(len, chunks)), 0
            progress.report(0, total)
            for i, chunk in enumerate(chunks):
                provision_task(ctx, systems, prepared.batch_id, chunk, i)
                done += len(chunk)
                progress.report(done, total)
            result = finish_task(ctx, systems, prepared.batch_id)
    _artifacts(result)
    return result


def _keep_cli_interrupt() -> None:
    """Under the `onboard` command line, SIGTERM ends the run like Ctrl-C does (within 2 s, batch
    `interrupted`, issue 14), not through Prefect's TerminationSignal. Prefect's engine installs its SIGTERM
    bridge just before this body runs and restores the previous handler after it; a run started by a Prefect
    worker (no marked SIGINT handler) keeps Prefect's cancellation as it is."""
    with contextlib.suppress(ValueError):  # not the main thread: nothing to route
        handler = signal.getsignal(signal.SIGINT)
        if getattr(handler, "onboard_interrupt", False) and callable(handler):
            signal.signal(signal.SIGTERM, handler)


def _artifacts(result: dict[str, Any]) -> None:
    c = result["customers"]
    create_table_artifact(
        key=f"batch-{result['batch']}",
        table=[{"measure": k, "customers": v} for k, v in c.items()],
        description=f"Batch {result['batch']}",
    )
    if result.get("report"):
        create_markdown_artifact(
            key=f"report-{result['batch']}", markdown=f"Reconciliation workbook: `{result['report']}`"
        )
