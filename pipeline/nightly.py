"""The nightly finance report's gathering; ``flows.nightly_finance`` wraps it in Prefect.

load the book (valid customers staging says were onboarded) -> read back what BroadWorks, billing and
the ticket system hold now, into staging -> ``reports.finance`` compares and writes the workbook.
Read-back always shows the systems as they are now, whatever ``day`` says; ``day`` picks the new
accounts, the bill run and the file names.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from connectors.common.errors import ConnectorError
from connectors.systems import Systems, open_systems
from connectors.tickets.client import SHOW_MANY_MAX
from core.errors import UsageError
from core.settings import Settings
from pipeline import readback
from pipeline.batch import Context, open_context
from pipeline.readback import BillingBooks
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
# A read-back task holds at least this many customers (issue 18 (d): at most 2 task runs per 1,000).
MIN_CHUNK = 500


def _pooled(fn: Callable[[T], R], items: Sequence[T], concurrency: int) -> list[R]:
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="nightly") as pool:
        return list(pool.map(fn, items))


def book_plans(book: pd.DataFrame) -> list[dict[str, Any]]:
    """Each book row's plan, with the account and partner it was onboarded under."""
    return [{**json.loads(plan), "account": account, "partner_id": partner}
            for plan, account, partner in zip(book["plan"], book["account"], book["partner_id"], strict=True)]


def read_billing(systems: Systems, book: pd.DataFrame) -> BillingBooks:
    """Every partner's billing book, read once for the night (bulk paged searches)."""
    return readback.read_billing(systems.billing, book_plans(book))


def read_back_customers(systems: Systems, book: pd.DataFrame, concurrency: int,
                        billing: BillingBooks | None = None) -> list[dict[str, Any]]:
    """What BroadWorks and billing hold for each customer of ``book`` (a chunk of it), gathered in bulk
    (``pipeline.readback``); ``billing``: the night's billing books, read once for every chunk."""
    gathered = readback.gather(systems, book_plans(book), concurrency, billing)
    return [{"batch_id": b, **g} for b, g in zip(book["batch_id"], gathered, strict=True)]


def read_broadworks(systems: Systems, chunk: pd.DataFrame, concurrency: int) -> list[dict[str, Any]]:
    """BroadWorks' read-back of each customer of ``chunk`` (list requests, 15 to a document)."""
    return readback.read_broadworks(systems, book_plans(chunk), concurrency)


def match_billing(book: pd.DataFrame, broadworks: Sequence[dict[str, Any]], billing: BillingBooks
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(read-back per customer of ``book``: its BroadWorks answer beside its billing accounts, matched
    in the partner's book by BroadWorks ids; billing accounts no customer explains)."""
    plans = book_plans(book)
    joined = readback.join(plans, broadworks, billing)
    return [{"batch_id": b, **g} for b, g in zip(book["batch_id"], joined, strict=True)], billing.orphans(plans)


def find_orphans(systems: Systems, book: pd.DataFrame, concurrency: int,
                 billing: BillingBooks | None = None) -> list[dict[str, Any]]:
    """Accounts billing holds under our partners that no onboarded customer explains (by BroadWorks ids)."""
    plans = book_plans(book)
    return (billing or readback.read_billing(systems.billing, plans)).orphans(plans)


def chunk_size(settings_chunk: int) -> int:
    """Customers per read-back task: the run's chunk size, never below ``MIN_CHUNK``."""
    return max(MIN_CHUNK, settings_chunk)


def ticket_status(store: Store, systems: Systems, concurrency: int) -> pd.DataFrame:
    """Every ticket we opened, with its status in the ticket system now: those whose id we hold read 100 per
    request (``show_many``), the others (an id never recorded) looked up by their external id."""
    staged = staged_tickets(store)
    ids = pd.to_numeric(staged["ticket_id"], errors="coerce") if len(staged) else pd.Series(dtype="float64")
    known = [int(i) for i in ids.dropna().unique()]
    chunks = [known[i:i + SHOW_MANY_MAX] for i in range(0, len(known), SHOW_MANY_MAX)]

    def many(part: list[int]) -> dict[int, str] | str:
        try:
            return {t.id: t.status for t in systems.tickets.show_many(part)}
        except ConnectorError as exc:
            return f"unknown ({exc})"

    status_of: dict[int, str] = {}
    for part, got in zip(chunks, _pooled(many, chunks, concurrency), strict=True):
        status_of.update(dict.fromkeys(part, got) if isinstance(got, str) else {i: got.get(i, "missing") for i in part})

    def one(external_id: str) -> str:
        try:
            found = systems.tickets.find_ticket(external_id)
        except ConnectorError as exc:
            return f"unknown ({exc})"
        return found.status if found is not None else "missing"

    by_ext = [str(e) for e, i in zip(staged["external_id"], ids, strict=True) if pd.isna(i)]
    looked = dict(zip(by_ext, _pooled(one, by_ext, concurrency), strict=True))
    staged["status"] = [status_of[int(i)] if not pd.isna(i) else looked[str(e)]
                        for e, i in zip(staged["external_id"], ids, strict=True)]
    return staged


def finish_nightly(ctx: Context, day: date, night: Night, *, embedded: bool) -> tuple[Path, dict[str, Any]]:
    """Keep the read-back in staging, then compare, track changes and write the workbook."""
    save_readback(ctx.store, night.readbacks)
    return write_night(ctx.home, ctx.settings.timezone, day, night, embedded=embedded)


def run_nightly(ctx: Context, systems: Systems, day: date) -> tuple[Path, dict[str, Any]]:
    """The whole nightly report without Prefect (the CLI's ``report nightly`` and tests)."""
    n = ctx.settings.concurrency
    book = load_book(ctx.store)
    size = chunk_size(ctx.settings.chunk_size)
    # Billing's paged searches and BroadWorks' list requests use different systems: read both at once.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nightly-billing") as one:
        billing_read = one.submit(read_billing, systems, book)
        broadworks: list[dict[str, Any]] = []
        for start in range(0, len(book), size):
            broadworks += read_broadworks(systems, book.iloc[start : start + size], n)
        billing = billing_read.result()
    readbacks, orphans = match_billing(book, broadworks, billing)
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
    "BILLED_NOT_PROVISIONED", "OPEN_TICKET", "PROVISIONED_NOT_BILLED", "BillingBooks", "assemble", "chunk_size",
    "customer_exceptions", "find_orphans", "finish_nightly", "load_book", "match_billing", "parse_day",
    "read_back_customers", "read_billing", "read_broadworks", "report_nightly", "run_nightly", "ticket_status", "track_changes",
]
