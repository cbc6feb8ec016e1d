"""The nightly finance report as plain functions; ``flows.nightly_finance`` wraps them in Prefect.

load the book (valid customers staging says were onboarded) -> read back what BroadWorks, billing and
the ticket system hold now -> compare with the orders at the rate card -> write the workbook, and keep
tonight's exceptions in ``<home>/nightly/exceptions-<date>.parquet`` so tomorrow can say what is new,
resolved or still open. Read-back always shows the systems as they are now, whatever ``day`` says;
``day`` picks the new accounts, the bill run and the file names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pandas as pd

from connectors.billing.provision import AUTO_PACKAGES, enterprise_account_name
from connectors.billing.readback import read_customers, read_partner, unexplained
from connectors.broadworks.state import read_back as bw_read_back
from connectors.common.errors import ConnectorError
from connectors.common.order import BILL_ENTERPRISE
from data.catalog import load_catalog
from flows.pipeline import Context, open_context
from flows.systems import Systems, open_systems
from onboard.errors import UsageError
from onboard.settings import Settings
from reports.nightly import write_nightly
from staging.store import Store

PROVISIONED_NOT_BILLED = "provisioned-not-billed"
BILLED_NOT_PROVISIONED = "billed-not-provisioned"
MISSING_EVERYWHERE = "missing from both systems"
MISSING_AUTO_PACKAGE = "missing auto-added package"
PACKAGE_MISMATCH = "package mismatch"
INVOICER_MISMATCH = "invoicer mismatch"
BAD_INVOICE_EMAIL = "bad invoice email"
OPEN_TICKET = "open ticket"
READ_BACK_FAILED = "read-back failed"
CLOSED_TICKETS = frozenset({"solved", "closed"})
EXCEPTION_COLUMNS = ["partner", "account", "kind", "detail", "batch_id", "first_seen"]
CHANGE_COLUMNS = ["change", "partner", "account", "kind", "detail", "first_seen"]
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")
T = TypeVar("T")
R = TypeVar("R")


def rate_card() -> dict[str, tuple[float, float]]:
    """Billing package -> (MRC, NRC) per unit; the auto-added packages carry no charge."""
    return {p.billing_package: (p.mrc, p.nrc) for p in load_catalog().lines}


def parse_day(text: str | None, tz: str) -> date:
    """``YYYY-MM-DD``, or today in the reporting time zone."""
    return date.fromisoformat(text) if text else datetime.now(ZoneInfo(tz)).date()


def bill_runs(day: date, bill_run_day: int = 1) -> tuple[date, date]:
    """(last bill run on or before ``day``, the coming one after it): monthly, on ``bill_run_day``."""
    last = day.replace(day=bill_run_day) if day.day >= bill_run_day else _month(day, -1).replace(day=bill_run_day)
    return last, _month(last, 1).replace(day=bill_run_day)


def _month(d: date, step: int) -> date:
    m = d.month - 1 + step
    return date(d.year + m // 12, m % 12 + 1, 1)


# -- gather ---------------------------------------------------------------------------------------
def load_book(store: Store) -> pd.DataFrame:
    """Valid customers with a 'complete' step done in BroadWorks or billing: the latest batch of each."""
    return store.frame(
        """
        WITH done AS (
          SELECT batch_id, account,
                 max(CASE WHEN system = 'billing' THEN updated_at END) AS billed_at,
                 max(CASE WHEN system = 'broadworks' THEN updated_at END) AS provisioned_at
          FROM ledger WHERE step = 'complete' AND status = 'done' GROUP BY batch_id, account)
        SELECT c.batch_id, c.partner_id, c.account_key, c.account, c.billing_type, c.billing_start,
               p.plan, d.billed_at, d.provisioned_at
        FROM customers c
        JOIN plans p USING (batch_id, account_key)
        JOIN batches b USING (batch_id)
        JOIN done d ON d.batch_id = c.batch_id AND d.account = c.account
        WHERE c.status = 'valid'
        QUALIFY row_number() OVER (PARTITION BY c.partner_id, c.account_key ORDER BY b.received_at DESC) = 1
        ORDER BY c.partner_id, c.account
        """
    )


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
    staged = store.frame(
        "SELECT batch_id, partner_id, account, kind, external_id, ticket_id, subject FROM tickets ORDER BY external_id"
    )

    def one(external_id: str) -> str:
        try:
            found = systems.tickets.find_ticket(external_id)
        except ConnectorError as exc:
            return f"unknown ({exc})"
        return found.status if found is not None else "missing"

    staged["status"] = _pooled(one, list(staged["external_id"]), concurrency)
    return staged


def save_readback(store: Store, readbacks: Iterable[Mapping[str, Any]]) -> None:
    """Keep tonight's read-back in staging: reports render what staging holds (DESIGN §8)."""
    now = datetime.now(UTC)
    rows = [
        {"batch_id": r["batch_id"], "account": r["account"], "system": s, "data": json.dumps(r[s], default=str),
         "read_at": now}
        for r in readbacks for s in ("broadworks", "billing")
    ]
    if rows:
        store.insert("readback", pd.DataFrame(rows), replace=True)


# -- compare --------------------------------------------------------------------------------------
def expected_amounts(plan: Mapping[str, Any], card: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    mrc = nrc = 0.0
    for line in plan["packages"]:
        unit = card.get(line["billing_package"], (line["mrc"], line["nrc"]))
        mrc += unit[0] * line["quantity"]
        nrc += unit[1] * line["quantity"]
    return round(mrc, 2), round(nrc, 2)


def billed_packages(billing: Mapping[str, Any] | None) -> dict[str, int]:
    """Package name -> quantity over the customer's two accounts, as billing holds them."""
    held: dict[str, int] = {}
    for role in ("enterprise", "customer"):
        for pk in ((billing or {}).get(role) or {}).get("packages", []):
            held[pk["name"]] = held.get(pk["name"], 0) + int(pk["quantity"])
    return held


def billed_amounts(billing: Mapping[str, Any] | None, card: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    held = billed_packages(billing)
    mrc = sum(card.get(n, (0.0, 0.0))[0] * q for n, q in held.items())
    nrc = sum(card.get(n, (0.0, 0.0))[1] * q for n, q in held.items())
    return round(mrc, 2), round(nrc, 2)


def package_differences(plan: Mapping[str, Any], billing: Mapping[str, Any]) -> list[str]:
    ordered: dict[str, int] = {}
    for line in plan["packages"]:
        ordered[line["billing_package"]] = ordered.get(line["billing_package"], 0) + int(line["quantity"])
    held = {n: q for n, q in billed_packages(billing).items() if n not in AUTO_PACKAGES}
    return [f"{n}: ordered {ordered.get(n, 0)}, billed {held.get(n, 0)}"
            for n in sorted(set(ordered) | set(held)) if ordered.get(n, 0) != held.get(n, 0)]


def email_problem(plan: Mapping[str, Any], billing: Mapping[str, Any]) -> str | None:
    """Why the invoicer's billing contact cannot receive the invoice as ordered, if it cannot."""
    contact = billing.get("contact")
    if not contact:
        return "the invoicer has no billing contact"
    emails = [str(e).strip() for e in contact.get("emails") or [] if str(e).strip()]
    if not emails:
        return "the billing contact has no e-mail address"
    bad = [e for e in emails if not _EMAIL.match(e)]
    if bad:
        return "not an e-mail address: " + ", ".join(bad)
    ordered = {str(e).strip().casefold() for e in plan.get("emails") or []}
    if ordered and {e.casefold() for e in emails} != ordered:
        return f"billing holds {', '.join(emails)}; the order says {', '.join(sorted(ordered))}"
    return None


def customer_exceptions(plan: Mapping[str, Any], bw: Mapping[str, Any], bl: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, detail) for one onboarded customer, from what both systems hold."""
    failed = [f"{s}: {d['error']}" for s, d in (("broadworks", bw), ("billing", bl)) if "error" in d]
    if failed:
        return [(READ_BACK_FAILED, "; ".join(failed))]
    provisioned = bool(bw.get("enterprise_exists") and bw.get("group_exists"))
    billed = bool(bl.get("found") and bl.get("customer"))
    if not provisioned and not billed:
        return [(MISSING_EVERYWHERE, "neither BroadWorks nor billing holds the customer")]
    if not billed:
        return [(PROVISIONED_NOT_BILLED, "billing holds no customer account" + (
            " (its enterprise account is there)" if bl.get("enterprise") else ""))]
    out: list[tuple[str, str]] = []
    if not provisioned:
        missing = [w for w, ok in (("enterprise", bw.get("enterprise_exists")), ("group 1", bw.get("group_exists")))
                   if not ok]
        out.append((BILLED_NOT_PROVISIONED, f"BroadWorks lacks {' and '.join(missing)} of {plan['enterprise_id']}"))
    if bl.get("missing_auto_packages"):
        out.append((MISSING_AUTO_PACKAGE, ", ".join(bl["missing_auto_packages"])))
    diffs = package_differences(plan, bl)
    if diffs:
        out.append((PACKAGE_MISMATCH, "; ".join(diffs)))
    if bl.get("billing_type") != plan["billing_type"]:
        out.append((INVOICER_MISMATCH, f"ordered {plan['billing_type']}, billing invoices as {bl.get('billing_type')}"))
    problem = email_problem(plan, bl)
    if problem:
        out.append((BAD_INVOICE_EMAIL, problem))
    return out


@dataclass
class NightlyFrames:
    new_accounts: pd.DataFrame
    expected_vs_billed: pd.DataFrame
    first_invoices: pd.DataFrame
    exceptions: pd.DataFrame


def _local_day(value: Any, tz: str) -> date | None:
    if value is None or pd.isna(value):
        return None
    ts = pd.Timestamp(value)
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts).tz_convert(tz).date()


def assemble(
    book: pd.DataFrame,
    readbacks: Sequence[Mapping[str, Any]],
    orphans: Sequence[Mapping[str, Any]],
    tickets: pd.DataFrame,
    day: date,
    tz: str,
    *,
    bill_run_day: int = 1,
) -> NightlyFrames:
    """Every frame of the workbook except the changes, from the book and tonight's read-back."""
    card = rate_card()
    rb = {(r["partner_id"], r["account"]): r for r in readbacks}
    last_run, next_run = bill_runs(day, bill_run_day)
    new, money, calendar, exc = [], [], [], []
    for rec in book.to_dict("records"):
        plan = json.loads(rec["plan"])
        partner, account = rec["partner_id"], rec["account"]
        r = rb.get((partner, account), {})
        bw, bl = r.get("broadworks", {"error": "not read back"}), r.get("billing", {"error": "not read back"})
        exp_mrc, exp_nrc = expected_amounts(plan, card)
        bill_mrc, bill_nrc = billed_amounts(bl, card) if "error" not in bl else (0.0, 0.0)
        money.append((partner, plan["billing_type"], 1, exp_mrc, bill_mrc, exp_nrc, bill_nrc))
        exc += [(partner, account, k, d, rec["batch_id"]) for k, d in customer_exceptions(plan, bw, bl)]
        cust = bl.get("customer") or {}
        start = date.fromisoformat(plan["billing_start"])
        billed_on = _local_day(rec["billed_at"], tz)
        if billed_on == day:
            new.append((partner, account, cust.get("id"), plan["billing_type"], start, exp_mrc, exp_nrc,
                        rec["batch_id"]))
        if cust and start < next_run and (start >= last_run or (billed_on is not None and billed_on >= last_run)):
            invoicer = enterprise_account_name(account) if bl.get("billing_type") == BILL_ENTERPRISE else account
            calendar.append((partner, account, cust.get("id"), invoicer, start, next_run, bill_mrc, start < day))
    for o in orphans:
        bl = o["billing"]
        if bl is None:
            exc.append((o["partner_id"], o["account"], BILLED_NOT_PROVISIONED,
                        "enterprise account with no onboarded customer", ""))
            continue
        bill_mrc, bill_nrc = billed_amounts(bl, card) if "error" not in bl else (0.0, 0.0)
        money.append((o["partner_id"], bl.get("billing_type") or "unknown", 0, 0.0, bill_mrc, 0.0, bill_nrc))
        exc.append((o["partner_id"], o["account"], BILLED_NOT_PROVISIONED,
                    "billing account with no onboarded order (not provisioned by this pipeline)", ""))
    for t in tickets.to_dict("records"):
        if t["status"] not in CLOSED_TICKETS:
            exc.append((t["partner_id"], t["account"], OPEN_TICKET,
                        f"{t['kind']} ticket {t['ticket_id'] or '?'} is {t['status']}: {t['subject'] or ''}",
                        t["batch_id"]))
    return NightlyFrames(
        new_accounts=pd.DataFrame(new, columns=["partner", "account", "billing_account_id", "billing_type",
                                                "billing_start", "mrc", "nrc", "batch_id"]),
        expected_vs_billed=_per_partner_type(money),
        first_invoices=pd.DataFrame(calendar, columns=["partner", "account", "billing_account_id", "invoicer",
                                                       "billing_start", "first_invoice_date", "mrc", "past_start"]),
        exceptions=pd.DataFrame(exc, columns=EXCEPTION_COLUMNS[:-1]),
    )


def _per_partner_type(money: list[tuple[Any, ...]]) -> pd.DataFrame:
    cols = ["partner", "billing_type", "customers", "expected_mrc", "billed_mrc", "expected_nrc", "billed_nrc"]
    frame = pd.DataFrame(money, columns=cols).astype({"customers": "int64"})
    out = frame.groupby(["partner", "billing_type"], sort=True).sum().reset_index()
    for c in cols[3:]:
        out[c] = out[c].astype("float64").round(2)
    out["mrc_difference"] = (out["billed_mrc"] - out["expected_mrc"]).round(2)
    out["nrc_difference"] = (out["billed_nrc"] - out["expected_nrc"]).round(2)
    return out


# -- change since the previous night --------------------------------------------------------------
def nightly_dir(home: Path) -> Path:
    return home / "nightly"


def _exceptions_file(home: Path, day: date) -> Path:
    return nightly_dir(home) / f"exceptions-{day.isoformat()}.parquet"


def previous_night(home: Path, day: date) -> date | None:
    """The latest night before ``day`` that kept its exceptions."""
    days = []
    for p in nightly_dir(home).glob("exceptions-*.parquet"):
        try:
            days.append(date.fromisoformat(p.stem.removeprefix("exceptions-")))
        except ValueError:
            continue
    earlier = [d for d in days if d < day]
    return max(earlier) if earlier else None


def track_changes(home: Path, day: date, exceptions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, date | None]:
    """Compare with the previous night, keep tonight's file; returns (exceptions with first_seen, changes,
    previous night). An exception is the same one while partner, account and kind stay the same."""
    prev_day = previous_night(home, day)
    prev = pd.read_parquet(_exceptions_file(home, prev_day)) if prev_day else pd.DataFrame(columns=EXCEPTION_COLUMNS)
    key = ["partner", "account", "kind"]
    seen = {tuple(k): f for *k, f in prev[[*key, "first_seen"]].itertuples(index=False, name=None)}
    now = exceptions.copy()
    now["first_seen"] = [seen.get(tuple(k), day.isoformat()) for k in now[key].itertuples(index=False, name=None)]
    current = {tuple(k) for k in now[key].itertuples(index=False, name=None)}
    rows = [("new" if tuple(r[:3]) not in seen else "still open", *r)
            for r in now[[*key, "detail", "first_seen"]].itertuples(index=False, name=None)]
    rows += [("resolved", *r) for r in prev[[*key, "detail", "first_seen"]].itertuples(index=False, name=None)
             if tuple(r[:3]) not in current]
    order = {"new": 0, "still open": 1, "resolved": 2}
    rows.sort(key=lambda r: (order[r[0]], str(r[1]), str(r[2]), str(r[3])))
    changes = pd.DataFrame(rows, columns=CHANGE_COLUMNS)
    nightly_dir(home).mkdir(parents=True, exist_ok=True)
    out = now.astype({c: "string" for c in EXCEPTION_COLUMNS})
    tmp = _exceptions_file(home, day).with_suffix(".tmp")
    out.to_parquet(tmp, index=False)
    tmp.replace(_exceptions_file(home, day))  # a crash mid-write never leaves half a night behind
    return now, changes, prev_day


# -- the whole night ------------------------------------------------------------------------------
def workbook_path(home: Path, day: date) -> Path:
    return home / "reports" / f"nightly-{day.isoformat()}.xlsx"


def finish_nightly(
    ctx: Context,
    day: date,
    book: pd.DataFrame,
    readbacks: Sequence[Mapping[str, Any]],
    orphans: Sequence[Mapping[str, Any]],
    tickets: pd.DataFrame,
    *,
    embedded: bool,
) -> tuple[Path, dict[str, Any]]:
    """Keep the read-back, compare, track changes and write the workbook; returns (path, summary)."""
    save_readback(ctx.store, readbacks)
    tz = ctx.settings.timezone
    frames = assemble(book, readbacks, orphans, tickets, day, tz)
    exceptions, changes, prev_day = track_changes(ctx.home, day, frames.exceptions)
    counts = changes["change"].value_counts()
    evb = frames.expected_vs_billed
    summary: dict[str, Any] = {
        "date": day.isoformat(),
        "customers": len(book),
        "new_accounts": len(frames.new_accounts),
        "first_invoices": len(frames.first_invoices),
        **{c: round(float(evb[c].sum()), 2) for c in ("expected_mrc", "billed_mrc", "expected_nrc", "billed_nrc")},
        "exceptions": len(exceptions),
        "by_kind": {str(k): int(v) for k, v in exceptions["kind"].value_counts().sort_index().items()},
        "new": int(counts.get("new", 0)),
        "resolved": int(counts.get("resolved", 0)),
        "still_open": int(counts.get("still open", 0)),
        "previous_night": prev_day.isoformat() if prev_day else None,
    }
    meta = {
        "date": day.isoformat(),
        "generated_at": datetime.now(ZoneInfo(tz)).isoformat(timespec="seconds"),
        "time_zone": tz,
        "coming_bill_run": bill_runs(day)[1].isoformat(),
        "previous_night": summary["previous_night"] or "none kept",
        "customers": str(len(book)),
        "exceptions": f"{summary['exceptions']} ({summary['new']} new, {summary['still_open']} still open, "
                      f"{summary['resolved']} resolved)",
        "read_back_from": "embedded simulators" if embedded else "configured systems",
    }
    path = write_nightly(
        workbook_path(ctx.home, day), new_accounts=frames.new_accounts, expected_vs_billed=evb,
        first_invoices=frames.first_invoices, exceptions=exceptions, changes=changes, meta=meta,
    )
    summary["workbook"] = str(path)
    return path, summary


def run_nightly(ctx: Context, systems: Systems, day: date) -> tuple[Path, dict[str, Any]]:
    """The whole nightly report without Prefect (the CLI's ``report nightly`` and tests)."""
    n = ctx.settings.concurrency
    book = load_book(ctx.store)
    readbacks = read_back_customers(systems, book, n)
    orphans = find_orphans(systems, book, n)
    tickets = ticket_status(ctx.store, systems, n)
    return finish_nightly(ctx, day, book, readbacks, orphans, tickets, embedded=systems.embedded)


def report_nightly(settings: Settings, day: str | None = None) -> dict[str, Any]:
    """``onboard report nightly [--date D]``: open the data home and the systems, run, return the summary."""
    try:
        when = parse_day(day, settings.timezone)
    except ValueError:
        raise UsageError(f"--date {day}: expected a date as YYYY-MM-DD") from None
    with open_context(settings, "onboard report nightly") as ctx, open_systems(ctx.home, settings) as systems:
        _, summary = run_nightly(ctx, systems, when)
    return summary
