"""Whole-book migration as plain functions; ``flows.migrate_book`` wraps them in Prefect.

stage each book (ingest -> validate -> stage; plans deferred) -> per chunk of customers: plan it, push it
to the connectors (a thread pool here, or a Dask worker), load what came back -> mail -> reconcile.

Only the flow's process writes DuckDB. A Dask worker gets a chunk as a JSON file (plans, sealed portal
passwords, steps already done), writes admin credentials to a durable per-chunk outbox file *before*
the admin exists, and returns its step events in a result file that the flow loads. Files a killed run
left behind are loaded first on restart (``recover``), and every step looks up before it creates, so
a restarted migration completes without duplicates.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from connectors.systems import Systems
from core.keys import account_key
from data.catalog import load_catalog
from data.partners import Partner, load_partners, resolve_partner
from data.sheets import SHEETS
from pipeline import batch as pipeline
from pipeline.ids import claim_ids
from pipeline.plan_inputs import chunk_frames, load_passwords
from pipeline.provision import SYSTEMS
from pipeline.stage import Prepared, RunOptions, _plan_totals, prepare
from staging import inventory, plan_rows
from staging.batches import get_batch, set_batch
from staging.claims import claim_enterprise
from staging.ledger import LedgerBuffer, done_steps, mark_in_doubt_pending
from staging.orders import discard_half_staged
from staging.outbox import queue_admin_credentials
from staging.snapshot import refresh_snapshot
from staging.store import Store
from transforms.ingest import InputError
from transforms.normalize import NormalizedOrder
from transforms.plan import NumberGrant, PlanInputs, build_plans, did_requests, own_number_grants
from validators.fingerprint import customer_fingerprints

WORK_DIR = "migrate"  # under the data home: <batch>/ holds plan inputs (Parquet) and chunk exchange files


@dataclass(frozen=True)
class MigrateOptions:
    partner: str | None = None
    chunk_size: int = 500
    workers: int = 4  # connector sessions per chunk (thread pool)
    dask: str | None = None  # scheduler address, or local:N
    cutover: str = ""  # ISO date; billing starts here


def next_first_of_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def resolve_cutover(value: str | None, today: date | None = None) -> str:
    """--cutover DATE (ISO), default the next first of the month; never in the past (no back-billing)."""
    today = today or date.today()
    if not value:
        return next_first_of_month(today).isoformat()
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"--cutover {value!r} is not a date: use YYYY-MM-DD, e.g. "
                         f"{next_first_of_month(today).isoformat()}") from None
    if day < today:
        raise InputError(f"--cutover {day.isoformat()} is in the past: a migration never back-bills; "
                         f"use today or later (default {next_first_of_month(today).isoformat()})")
    return day.isoformat()


def work_dir(home: Path, batch_id: str) -> Path:
    return home / WORK_DIR / batch_id


# ------------------------------------------------------------------------------------------------ stage


def stage_book(ctx: pipeline.Context, path: Path, opts: MigrateOptions) -> Prepared:
    options = RunOptions(partner=opts.partner, migration=True, cutover=opts.cutover, chunk_size=opts.chunk_size)

    def once() -> Prepared:
        return prepare(ctx.store, path, options, ctx.settings.partners_file, ctx.vault,
                       defer_plans_to=ctx.home / WORK_DIR)

    prepared = once()
    if prepared.resumed and discard_half_staged(ctx.store, prepared.batch_id):
        prepared = once()  # killed while staging: nothing was sent, stage it again
    if prepared.resumed:
        mark_in_doubt_pending(ctx.store, prepared.batch_id)
    set_batch(ctx.store, prepared.batch_id, status="running")
    return prepared


def chunks_to_do(ctx: pipeline.Context, batch_id: str, chunk_size: int) -> list[list[str]]:
    """Valid customers (sheet order) not complete in every system, in chunks."""
    todo = plan_rows.valid_accounts_to_finish(ctx.store, batch_id, SYSTEMS)
    return [todo[i : i + chunk_size] for i in range(0, len(todo), chunk_size)]


# ------------------------------------------------------------------------------------------------ plan


def plan_chunk(ctx: pipeline.Context, batch_id: str, accounts: Sequence[str], chunk_no: int) -> int:
    """Build and save the plans of a chunk's customers that have none yet; returns how many."""
    have = plan_rows.planned_accounts(ctx.store, batch_id, accounts)
    missing = [a for a in accounts if a not in have]
    if not missing:
        return 0
    batch = get_batch(ctx.store, batch_id)
    if batch is None:
        raise KeyError(batch_id)
    keys = plan_rows.valid_account_keys(ctx.store, batch_id, missing)
    wanted = [keys[a] for a in missing]
    typed = chunk_frames(work_dir(ctx.home, batch_id), wanted)
    prints = chunk_fingerprints(ctx.store, batch_id, typed, wanted)
    # object columns: build_plans reads records one by one, which Arrow-backed strings make slow
    frames = {sheet: frame.astype(object) for sheet, frame in typed.items()}
    partner = resolve_partner(load_partners(ctx.settings.partners_file), str(batch["partner_id"]))
    options = json.loads(str(batch["options"] or "{}"))
    pending = plan_rows.pending_e911_accounts(ctx.store, batch_id)
    ids = claim_ids(ctx.store, batch_id, partner.partner_id, frames["Customers"], wanted)  # before any send
    grants, backorders = new_numbers(ctx.store, batch_id, partner, frames, wanted)
    plans = build_plans(frames, wanted, PlanInputs(
        partner, load_catalog(), batch_id, numbers=grants, backorders=backorders,
        pending_e911=frozenset(account_key(a) for a in pending),
        cutover=options.get("cutover") or None, ids=ids))
    rows = pd.DataFrame({"batch_id": batch_id, "account_key": list(plans),
                         "account": [p["account"] for p in plans.values()], "chunk": chunk_no,
                         "plan": [json.dumps(p) for p in plans.values()]})
    sealed = _seal_passwords(ctx, work_dir(ctx.home, batch_id), wanted)
    with ctx.store.transaction():
        ctx.store.insert("plans", rows.astype({"chunk": "int32"}), replace=True)
        _plan_totals(ctx.store, batch_id, plans)
        plan_rows.set_sealed_passwords(ctx.store, batch_id, sealed)
        plan_rows.set_fingerprints(ctx.store, batch_id, prints)
    return len(plans)


def chunk_fingerprints(store: Store, batch_id: str, frames: dict[str, pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """The order fingerprints of the chunk's customers that a migration staged without them: a book of new
    customers needs none to be validated (nothing earlier to compare with), so ``stage_book`` leaves them to
    the chunk, hashed from the same normalized rows (its plan inputs) just before its first request. A
    fingerprint hashes one customer's rows only, so the chunk's digests are the whole book's."""
    todo = plan_rows.unprinted_keys(store, batch_id, keys)
    if not todo:
        return pd.DataFrame({"account_key": pd.Series([], dtype="str"), "fingerprint": pd.Series([], dtype="str")})
    wanted = set(todo)
    sheets = {s.name: frames[s.name][frames[s.name]["_account_key"].isin(wanted)] if s.name in frames
              else pd.DataFrame() for s in SHEETS}
    prints = customer_fingerprints(NormalizedOrder(sheets, set(frames)))
    return pd.DataFrame({"account_key": list(prints), "fingerprint": list(prints.values())})


def new_numbers(store: Store, batch_id: str, partner: Partner, frames: dict[str, pd.DataFrame], keys: list[str]
                ) -> tuple[dict[str, list[NumberGrant]], dict[str, list[tuple[str, str, int]]]]:
    """The customers' own numbers, plus their DIDs rows' new numbers from inventory as in a run.

    A migration is validated without the inventory, so a specific number asked for may not be free: it is
    backordered (a ticket), never swapped for another number nor dropped. Reserving is idempotent (what this
    batch already holds for the customer counts first): a chunk killed before its plans were saved reserves
    nothing twice when it is planned again."""
    wanted = set(keys)
    grants = own_number_grants(frames.get("Numbers"), wanted)
    backorders: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    names = dict(zip(frames["Customers"]["_account_key"], frames["Customers"]["account_name"], strict=False))
    for req in did_requests(frames.get("DIDs"), wanted):
        account = names[req.account_key]
        gone = inventory.not_available(store.con, req.specific, partner=partner.partner_id, account=account,
                                       batch_id=batch_id)
        res = inventory.reserve(store.con, partner=partner.partner_id, account=account, batch_id=batch_id,
                                npa=req.npa, nxx=req.nxx, quantity=req.quantity - len(gone),
                                specific=[n for n in req.specific if n not in gone])
        grants[req.account_key].extend(NumberGrant(n, "inventory", req.purpose, req.fax_email) for n in res.numbers)
        short = res.shortfall + len(gone)
        if short:
            backorders[req.account_key].append((req.npa, req.nxx, short))
        inventory.record_request(store.con, batch_id, req.account_key, req.row, reserved=len(res.numbers),
                                 backordered=short)
    return grants, backorders


def _seal_passwords(ctx: pipeline.Context, folder: Path, keys: Sequence[str]) -> pd.DataFrame:
    """The chunk's portal passwords, each sealed on its own, from the batch's one sealed token."""
    clear = load_passwords(folder, keys, ctx.vault)
    return pd.DataFrame({"account_key": list(keys),
                         "password_enc": [ctx.vault.seal(clear[k]) if clear.get(k) else None for k in keys]})


# ------------------------------------------------------------------------------------------------ provision


def provision_here(ctx: pipeline.Context, systems: Systems, batch_id: str, accounts: list[str],
                   on_progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """A chunk on this process's thread pool (ONBOARD_CONCURRENCY / --workers sessions); ``on_progress(i)``:
    the chunk's first i customers are through (the terminal bar moves per customer, issue 16)."""
    return pipeline.provision_chunk(ctx, systems, batch_id, accounts, on_progress=on_progress)


def snapshot(ctx: pipeline.Context, batch_id: str, *, force: bool = False) -> None:
    """The status snapshot, at most every 30 s (and 5x its own cost) during a migration."""
    refresh_snapshot(ctx.store, batch_id, force=force, every=30.0)


def write_chunk_input(ctx: pipeline.Context, batch_id: str, accounts: Sequence[str], chunk_no: int) -> Path:
    """What a remote worker needs for one chunk: plans, sealed portal passwords, steps already done."""
    frame = plan_rows.plans_with_passwords(ctx.store, batch_id, accounts)
    done = done_steps(ctx.store, batch_id, accounts)
    for plan in map(json.loads, frame["plan"]):  # workers skip the CUSTOMER_EXISTS check: claim before they send
        claim_enterprise(ctx.store.con, batch_id, plan["account"], plan["enterprise_id"])
    payload = {
        "batch_id": batch_id,
        "chunk": chunk_no,
        "customers": [{"plan": json.loads(p), "password_enc": pw if isinstance(pw, str) else None}
                      for p, pw in zip(frame["plan"], frame["password_enc"], strict=True)],
        "done": [[a, s, steps] for (a, s), steps in done.items()],
    }
    path = work_dir(ctx.home, batch_id) / f"chunk-{chunk_no:05d}.in.json"
    _write_json(path, payload)
    return path


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("." + path.name)
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(payload, fh)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def load_chunk_result(ctx: pipeline.Context, systems: Systems, batch_id: str, result_path: Path) -> dict[str, Any]:
    """Ledger events, queued admin credentials and external ids a worker sent back -> staging."""
    from core.order import CustomerOrder, StepEvent, SystemResult
    from pipeline.provision import _record_results

    outbox = result_path.with_name(result_path.name.replace(".out.json", ".outbox.jsonl"))
    load_outbox(ctx, batch_id, outbox)
    if not result_path.exists():
        return {"accounts": 0, "done": {}, "failed": {}}
    data = json.loads(result_path.read_text(encoding="utf-8"))
    ledger = LedgerBuffer(batch_id)
    for e in data["events"]:
        ledger(StepEvent(**e))
    ledger.flush(ctx.store)
    plans = plan_rows.plan_texts(ctx.store, batch_id, [r["account"] for r in data["results"]])
    for account, results in _by_account(data["results"]).items():
        order = CustomerOrder.from_dict(json.loads(plans[account]))
        _record_results(ctx.store, batch_id, order, [SystemResult(**r) for r in results])
    snapshot(ctx, batch_id)
    result_path.unlink()
    result_path.with_name(result_path.name.replace(".out.json", ".in.json")).unlink(missing_ok=True)
    return {"accounts": data["accounts"], "done": data["done"], "failed": data["failed"]}


def _by_account(results: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        out.setdefault(r["account"], []).append(r)
    return out


def load_outbox(ctx: pipeline.Context, batch_id: str, path: Path) -> int:
    """Admin credentials a worker queued (sealed) -> the outbox table, then the file goes."""
    if not path.exists():
        return 0
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    queue_admin_credentials(ctx.store, batch_id, lines)
    path.unlink()
    return len(lines)


def recover(ctx: pipeline.Context, systems: Systems, batch_id: str) -> int:
    """Load what workers of a killed run left behind (results, lone outbox files) before anything else."""
    folder = work_dir(ctx.home, batch_id)
    if not folder.exists():
        return 0
    n = 0
    for r in sorted(folder.glob("chunk-*.out.json")):
        load_chunk_result(ctx, systems, batch_id, r)
        n += 1
    for o in sorted(folder.glob("chunk-*.outbox.jsonl")):
        n += load_outbox(ctx, batch_id, o)
    for stale in folder.glob("chunk-*.in.json"):
        stale.unlink()
    return n
