"""Prefect flow ``migrate_book``: one or many books (workbooks or CSV folders) of existing customers.

Tasks: one ``stage-book`` per book, one ``provision-chunk`` per chunk of customers (``--chunk-size``,
default 500), one ``reconcile`` per book: at most one task run per 500 customers per stage. Tasks carry
paths and ids. On the default runner a chunk runs on this process's thread pool; on a ``DaskTaskRunner``
(``--dask ADDRESS`` or ``local:N``) chunks fan out to the workers, which talk to the systems and hand
results back as files (``pipeline.migrate``): only this process writes DuckDB.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import flow, task
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture, wait

from connectors.systems import Systems, open_systems
from core.settings import Settings, load_settings
from pipeline import batch as pipeline
from pipeline import migrate as M
from pipeline import progress
from pipeline.interrupts import keep_cli_interrupt
from pipeline.provision import SYSTEMS
from pipeline.stage import Prepared
from staging.outbox import admin_credentials_row


@task(name="stage-book", cache_policy=NONE)
def stage_task(ctx: pipeline.Context, path: str, opts: M.MigrateOptions) -> Prepared:
    return M.stage_book(ctx, Path(path), opts)


@task(name="provision-chunk", cache_policy=NONE, task_run_name="provision-chunk-{chunk_no}")
def provision_task(ctx: pipeline.Context, systems: Systems, batch_id: str, accounts: list[str],
                   chunk_no: int, on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    return M.provision_here(ctx, systems, batch_id, accounts, on_progress)


@task(name="provision-chunk", cache_policy=NONE, task_run_name="provision-chunk-{chunk_no}", retries=0)
def provision_remote_task(home: str, input_path: str, endpoints: dict[str, str], concurrency: int,
                          chunk_no: int) -> dict[str, Any]:
    return provision_remote(home, input_path, endpoints, concurrency)


@task(name="reconcile", cache_policy=NONE)
def finish_task(ctx: pipeline.Context, systems: Systems, batch_id: str) -> dict[str, Any]:
    return pipeline.finish_batch(ctx, systems, batch_id)


@flow(name="migrate_book", log_prints=False)
def migrate_book(
    paths: list[str],
    partner: str | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    dask: str | None = None,
    cutover: str | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """``settings``: the caller's (``migrate``), else the environment's. Prefect records parameters as JSON,
    where pydantic's ``SecretStr`` is written as ``**********``: the secret key never reaches its database."""
    keep_cli_interrupt()  # SIGTERM as Ctrl-C under the command line (pipeline.interrupts)
    settings = settings or load_settings()
    if workers:
        settings = settings.model_copy(update={"concurrency": workers})
    opts = M.MigrateOptions(partner=partner, chunk_size=chunk_size or settings.chunk_size,
                            workers=settings.concurrency, dask=dask, cutover=M.resolve_cutover(cutover))
    with pipeline.open_context(settings, "onboard migrate " + " ".join(paths)) as ctx:
        staged = [stage_task(ctx, p, opts) for p in paths]
        with open_systems(ctx.home, settings) as systems:
            for prepared in staged:
                M.recover(ctx, systems, prepared.batch_id)
                pipeline.route_held(ctx, systems, prepared)
                M.snapshot(ctx, prepared.batch_id, force=True)
            work = [(p.batch_id, c) for p in staged for c in M.chunks_to_do(ctx, p.batch_id, opts.chunk_size)]
            pids: set[int] = set()
            with _progress(sum(len(c) for _, c in work), ", ".join(p.batch_id for p in staged)) as advance:
                if dask:
                    pids = _drive_remote(ctx, systems, work, opts, advance)
                else:
                    for no, (bid, accounts) in enumerate(work):
                        M.plan_chunk(ctx, bid, accounts, no)
                        seen = [0]

                        def per_customer(i: int, seen: list[int] = seen) -> None:
                            advance(i - seen[0], False)  # the terminal bar, per customer
                            seen[0] = i

                        provision_task(ctx, systems, bid, accounts, no, per_customer)
                        advance(len(accounts) - seen[0])
            results = [finish_task(ctx, systems, p.batch_id) for p in staged]
    from prefect.runtime import flow_run

    return {"batches": results, "customers": _total(results), "chunks": len(work), "cutover": opts.cutover,
            "flow_run_id": str(flow_run.id) if flow_run.id else None, "worker_pids": sorted(pids)}


def _drive_remote(ctx: pipeline.Context, systems: Systems, work: list[tuple[str, list[str]]],
                  opts: M.MigrateOptions, advance: Callable[[int], None]) -> set[int]:
    """Chunks to the task runner's workers, a bounded window in flight; results loaded as they arrive."""
    endpoints = systems.endpoints()
    window = 4  # chunks in flight: enough to keep every worker busy while this process loads results
    inflight: dict[PrefectFuture[dict[str, Any]], tuple[str, int]] = {}
    queue = list(enumerate(work))
    pids: set[int] = set()
    while queue or inflight:
        while queue and len(inflight) < window:
            no, (bid, accounts) = queue.pop(0)
            M.plan_chunk(ctx, bid, accounts, no)
            path = M.write_chunk_input(ctx, bid, accounts, no)
            fut = provision_remote_task.submit(str(ctx.home), str(path), endpoints, opts.workers, no)
            inflight[fut] = (bid, len(accounts))
        done: set[PrefectFuture[dict[str, Any]]] = set()
        while not done:  # the first chunk back (wait() has no FIRST_COMPLETED)
            done = wait(list(inflight), timeout=0.25).done
        for fut in done:
            bid, n = inflight.pop(fut)
            out = fut.result()
            M.load_chunk_result(ctx, systems, bid, Path(out["result"]))
            pids.add(int(out["pid"]))
            advance(n)
    return pids


@contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[..., None]]:
    """Per chunk: the terminal bar (pipeline.progress) and a Prefect progress artifact."""
    done = 0
    artifact: UUID | None = None
    try:
        artifact = cast(UUID, create_progress_artifact(0.0, key="migrate-progress", description=f"Migration {label}"))
    except Exception:  # outside a flow run there is no artifact to keep
        artifact = None
    progress.report(0, total)

    def advance(n: int, artifact_too: bool = True) -> None:
        nonlocal done
        done += n
        progress.report(done, total)
        if artifact is not None and artifact_too:  # the Prefect artifact per chunk: an API call each
            update_progress_artifact(artifact, 100.0 * done / max(total, 1),
                                     description=f"Migration {label}: {done}/{total} customers")

    yield advance
    if artifact is not None and total == 0:
        update_progress_artifact(artifact, 100.0, description=f"Migration {label}: nothing left to do")


def _total(results: list[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in results:
        for k, v in r["customers"].items():
            out[k] = out.get(k, 0) + int(v or 0)
    return out


# ------------------------------------------------------------------------------------------------ worker side


def provision_remote(home: str, input_path: str, endpoints: dict[str, str], concurrency: int) -> dict[str, Any]:
    """Runs on a Dask worker: provision one chunk, never touching DuckDB. Admin credentials go (sealed,
    fsynced) to the chunk's outbox file before the admin is created; step events and results go to the
    chunk's result file, which the flow loads."""
    from connectors.systems import connect
    from core.order import CustomerOrder, StepEvent
    from pipeline.provision import provision_orders
    from staging.secrets import Vault, load_key

    settings = load_settings()
    vault = Vault(load_key(Path(home), settings.secret_key.get_secret_value() if settings.secret_key else None))
    src = Path(input_path)
    data = json.loads(src.read_text(encoding="utf-8"))
    outbox = _FileOutbox(src.with_name(src.name.replace(".in.json", ".outbox.jsonl")), vault)
    systems = connect(endpoints, settings, concurrency=concurrency)
    done = {(a, s): steps for a, s, steps in data["done"]}
    orders = [CustomerOrder.from_dict(c["plan"], portal_password=vault.open(c["password_enc"])) for c in data["customers"]]
    events: list[StepEvent] = []  # list.append is atomic: the threads share it
    try:
        # issue 18 (b): the chunk's BroadWorks commands share documents, as on the flow's own process
        results = [r for _, rs in provision_orders(systems, orders, done, events.append, outbox.admin_credentials,
                                                   concurrency=concurrency) for r in rs]
    finally:
        systems.close()
    counts = {k: dict.fromkeys(SYSTEMS, 0) for k in ("done", "failed")}
    for r in results:
        counts["done" if r.status == "done" else "failed"][r.system] += 1
    out = src.with_name(src.name.replace(".in.json", ".out.json"))
    M._write_json(out, {"accounts": len(orders), **counts, "events": [asdict(e) for e in events],
                        "results": [asdict(r) for r in results]})
    return {"result": str(out), "accounts": len(orders), **counts, "pid": os.getpid()}


class _FileOutbox:
    """The worker's outbox: one sealed JSON line per credential, on disk before the admin exists."""

    def __init__(self, path: Path, vault: Any) -> None:
        self.path, self.vault = path, vault
        self._lock = threading.Lock()

    def admin_credentials(self, order: Any, user_id: str, password: str) -> None:
        row = admin_credentials_row(order, user_id, password, self.vault)
        line = json.dumps({"id": row["id"], "account": row["account"], "to": row["to_addr"], "subject": row["subject"],
                           "payload_enc": row["payload_enc"], "created_at": row["created_at"].isoformat()})
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())


# ------------------------------------------------------------------------------------------------ entry point


def task_runner_for(dask: str | None) -> Any:
    """``local:N`` -> a local cluster of N worker processes; anything else is a scheduler address."""
    if not dask:
        return None
    from prefect_dask import DaskTaskRunner

    if dask.startswith("local"):
        n = int(dask.partition(":")[2] or 2)
        return DaskTaskRunner(cluster_kwargs={"n_workers": n, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None, "silence_logs": logging.ERROR})
    return DaskTaskRunner(address=dask)


def migrate(
    settings: Settings,
    paths: list[Path],
    partner: str | None = None,
    chunk_size: int | None = None,
    workers: int | None = None,
    dask: str | None = None,
    cutover: str | None = None,
) -> dict[str, Any]:
    """``onboard migrate``: run the flow (raises transforms.ingest.InputError for unusable input or a
    cutover in the past, staging.lock.LockedError when another run holds the data home)."""
    M.resolve_cutover(cutover)  # fail before Prefect starts
    runner = task_runner_for(dask)
    fn = migrate_book.with_options(task_runner=runner) if runner is not None else migrate_book
    with _shared_api(runner is not None):
        return fn([str(p) for p in paths], partner=partner, chunk_size=chunk_size, workers=workers, dask=dask,
                  cutover=cutover, settings=settings)


@contextmanager
def _shared_api(needed: bool) -> Iterator[None]:
    """Dask workers are other processes: without PREFECT_API_URL each would start a temporary Prefect
    server of its own (seconds each) and record its task runs there. Give them this run's API (starting
    the temporary server here when none is configured). A remote cluster's workers need it set themselves."""
    if not needed:
        yield
        return
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url, server = PREFECT_API_URL.value(), None
    if not url:
        from prefect.server.api.server import SubprocessASGIServer

        server = SubprocessASGIServer()
        server.start()
        url = server.api_url
    before = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings({PREFECT_API_URL: url}):
            yield
    finally:
        if before is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = before
        if server is not None:
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=5)  # the run's last log lines, before their server goes
            server.stop()


__all__ = ["migrate", "migrate_book", "provision_remote"]
