"""The nightly finance report's gathering; ``flows.nightly_finance`` wraps it in Prefect.

load the book (valid customers staging says were onboarded) -> read back what BroadWorks, billing and
the ticket system hold now, into staging -> ``reports.finance`` compares and writes the workbook.
Read-back always shows the systems as they are now, whatever ``day`` says; ``day`` picks the new
accounts, the bill run and the file names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from connectors.billing.readback import read_customers, read_partner, unexplained
from connectors.broadworks.state import read_back as bw_read_back
from connectors.common.errors import ConnectorError
from connectors.systems import Systems, open_systems
from core.errors import UsageError
from core.settings import Settings
from pipeline.batch import Context, open_context
from reports.finance import (
    BILLED_NOT_PROVISIONED,
    OPEN_TICKET,
    PROVISIONED_NOT_BILLED,
    Night,
    assemble,
    customer_exceptions,
    parse_day,
    track_changes,
    write_night,
)
from staging.readback import load_book, save_readback, staged_tickets
from staging.store import Store

T = TypeVar("T")
R = TypeVar("R")


def _pooled(fn: Callable[[T], R], items: Sequence[T], concurrency: int) -> list[R]:
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="nightly") as pool:
        return list(pool.map(fn, items))


def _guarded(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return fn()
    except ConnectorError as exc:  # retries exhausted: reported as an exception row, the night goes on
        return {"error": str(exc)}


def read_back_customers(systems: Systems, book: pd.DataFrame, concurrency: int) -> list[dict[str, Any]]:
    """What BroadWorks and billing hold for each customer of ``book`` (a chunk of it); billing is
    read in bulk per partner and matched by the BroadWorks enterprise/group ids."""
    records = book.to_dict("records")
    plans = [{**json.loads(rec["plan"]), "account": rec["account"], "partner_id": rec["partner_id"]} for rec in records]
    billed = _guarded_many(lambda: read_customers(systems.billing, plans))

    def one(item: tuple[Mapping[Any, Any], Mapping[str, Any]]) -> dict[str, Any]:
        rec, plan = item
        return {
            "batch_id": rec["batch_id"], "partner_id": rec["partner_id"], "account": rec["account"],
            "broadworks": _guarded(lambda: bw_read_back(systems.broadworks, plan["enterprise_id"], plan["group_id"])),
            "billing": billed.get((str(rec["partner_id"]), str(rec["account"])), billed.get(("", ""), {})),
        }

    return _pooled(one, list(zip(records, plans, strict=True)), concurrency)


def _guarded_many(fn: Callable[[], dict[tuple[str, str], dict[str, Any]]]) -> dict[tuple[str, str], dict[str, Any]]:
    try:
        return fn()
    except ConnectorError as exc:  # every customer of the chunk gets the error row
        return {("", ""): {"error": str(exc)}}


def find_orphans(systems: Systems, book: pd.DataFrame, concurrency: int) -> list[dict[str, Any]]:
    """Accounts billing holds under our partners that no onboarded customer explains (by BroadWorks ids)."""
    out: list[dict[str, Any]] = []
    for partner_id, group in book.groupby("partner_id", sort=True):
        plans = [json.loads(p) for p in group["plan"]]
        partner_book = read_partner(systems.billing, str(partner_id), plans[0]["partner_name"])
        out.extend(unexplained(partner_book, plans))
    return out


def ticket_status(store: Store, systems: Systems, concurrency: int) -> pd.DataFrame:
    """Every ticket we opened, with its status in the ticket system now."""
    staged = staged_tickets(store)

    def one(external_id: str) -> str:
        try:
            found = systems.tickets.find_ticket(external_id)
        except ConnectorError as exc:
            return f"unknown ({exc})"
        return found.status if found is not None else "missing"

    staged["status"] = _pooled(one, list(staged["external_id"]), concurrency)
    return staged


def finish_nightly(ctx: Context, day: date, night: Night, *, embedded: bool) -> tuple[Path, dict[str, Any]]:
    """Keep the read-back in staging, then compare, track changes and write the workbook."""
    save_readback(ctx.store, night.readbacks)
    return write_night(ctx.home, ctx.settings.timezone, day, night, embedded=embedded)


def run_nightly(ctx: Context, systems: Systems, day: date) -> tuple[Path, dict[str, Any]]:
    """The whole nightly report without Prefect (the CLI's ``report nightly`` and tests)."""
    n = ctx.settings.concurrency
    book = load_book(ctx.store)
    readbacks = read_back_customers(systems, book, n)
    orphans = find_orphans(systems, book, n)
    tickets = ticket_status(ctx.store, systems, n)
    return finish_nightly(ctx, day, Night(book, readbacks, orphans, tickets), embedded=systems.embedded)


def report_nightly(settings: Settings, day: str | None = None) -> dict[str, Any]:
    """``onboard report nightly [--date D]``: open the data home and the systems, run, return the summary."""
    try:
        when = parse_day(day, settings.timezone)
    except ValueError:
        raise UsageError(f"--date {day}: expected a date as YYYY-MM-DD") from None
    with open_context(settings, "onboard report nightly") as ctx, open_systems(ctx.home, settings) as systems:
        _, summary = run_nightly(ctx, systems, when)
    return summary


__all__ = [
    "BILLED_NOT_PROVISIONED", "OPEN_TICKET", "PROVISIONED_NOT_BILLED", "assemble", "customer_exceptions", "find_orphans",
    "finish_nightly", "load_book", "parse_day", "read_back_customers", "report_nightly", "run_nightly", "ticket_status",
    "track_changes",
]
