"""Prefect flow: one order workbook end to end. Tasks are chunks of customers, never rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from connectors.systems import Systems, open_systems
from core.settings import load_settings
from pipeline import batch as pipeline
from pipeline import progress
from pipeline.batch import Context
from pipeline.interrupts import keep_cli_interrupt
from pipeline.stage import Prepared, RunOptions, adopt_staged


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
    keep_cli_interrupt()  # SIGTERM as Ctrl-C under the command line, not Prefect's TerminationSignal
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


def run_here(path: str, *, partner: str | None, allow_pending_e911: bool, all_or_nothing: bool,
             batch_id: str) -> dict[str, Any]:
    """The flow in this process, as ``onboard run`` calls it once it has staged ``batch_id``.

    Without flow-run heartbeats: the engine's heartbeat thread sleeps in whole seconds and the engine joins
    it after the run ends, which added 0.4-1 s to every run we measured (prefect 3.9.1,
    ``flow_engine._send_heartbeats``). Heartbeats only feed a zombie-flow automation for runs triggered by
    deployments (docs.prefect.io/v3/advanced/detect-zombie-flows); this run lives in the user's terminal,
    which sees it end. The portal's deployment runs under ``onboard serve`` keep them.
    """
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        result: dict[str, Any] = onboard_order_sheet(path, partner=partner, allow_pending_e911=allow_pending_e911,
                                                     all_or_nothing=all_or_nothing, batch_id=batch_id)
    return result


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


# -- the portal's deployment (``onboard serve``) --------------------------------------------------
PORTAL_DEPLOYMENT = "portal"


def order_sheet_deployment() -> Any:
    """The deployment the partner portal submits to: one run at a time, the next one waits its turn
    (the single-writer rule of the data home holds by construction, not by a lock error)."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import RunnerDeployment
    from prefect.flows import EntrypointType

    deployment = onboard_order_sheet.to_deployment(
        name=PORTAL_DEPLOYMENT,
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE),
        description="An order workbook submitted through the partner portal",
        tags=["portal"],
        entrypoint_type=EntrypointType.MODULE_PATH,  # the runner's subprocess imports it from the installed project
        _sync=True,  # type: ignore[call-arg]  # async_dispatch: the sync form, even where an event loop runs
    )
    assert isinstance(deployment, RunnerDeployment)
    return deployment


def start_portal_run(parameters: dict[str, Any], deployment: str, api_url: str | None) -> str:
    """Create a flow run of ``deployment`` and return its id without waiting for it (``timeout=0``)."""
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    updates = {PREFECT_API_URL: api_url} if api_url else {}
    with temporary_settings(updates=updates):
        run = run_deployment(deployment, parameters=parameters, timeout=0)
    return str(getattr(run, "id", run))


def deployment_ready(deployment: str, api_url: str) -> bool:
    """Whether the server knows ``deployment`` ("flow/name") yet: ``prefect.serve`` registers it only after it
    starts, and a run submitted before then fails with ObjectNotFound."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
            client.read_deployment_by_name(deployment)
    except Exception:  # not registered yet, or the server busy starting: ask again
        return False
    return True


def serve_with_nightly(cron: str, timezone: str, api_url: str) -> None:
    """Serve the nightly deployment and the portal's deployment in one runner, one flow run at a time."""
    import prefect
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.nightly_finance import nightly_deployment

    with temporary_settings(updates={PREFECT_API_URL: api_url}):
        prefect.serve(nightly_deployment(cron, timezone), order_sheet_deployment(), limit=1)


def portal_run_state(flow_run_id: str, api_url: str | None) -> str | None:
    """The state type of a flow run (``SCHEDULED``, ``RUNNING``, ``FAILED``, ...), or None when unknown."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    updates = {PREFECT_API_URL: api_url} if api_url else {}
    with temporary_settings(updates=updates), get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(flow_run_id))
    return run.state.type.value if run.state else None
