"""The nightly finance report's comparison, change tracking and workbook (DESIGN §8), as plain functions.

``pipeline.nightly`` gathers the read-back into staging and calls these; the per-customer rules are the
one comparison of ``reports.compare``, shared with the batch reconciliation. Tonight's exceptions are
kept in ``<home>/nightly/exceptions-<date>.parquet`` so tomorrow can say what is new, resolved or
still open.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from core.order import BILL_ENTERPRISE, enterprise_account_name, order_label
from data.catalog import load_catalog
from reports import compare
from reports.nightly import write_nightly

PROVISIONED_NOT_BILLED = compare.PROVISIONED_NOT_BILLED
BILLED_NOT_PROVISIONED = compare.BILLED_NOT_PROVISIONED
OPEN_TICKET = compare.TICKET_OPEN
EXCEPTION_COLUMNS = ["partner", "account", "kind", "detail", "batch_id", "first_seen"]
CHANGE_COLUMNS = ["change", "partner", "account", "kind", "detail", "first_seen"]


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
# -- compare --------------------------------------------------------------------------------------
def expected_amounts(plan: Mapping[str, Any], card: Mapping[str, tuple[float, float]], *,
                     cumulative: bool = False) -> tuple[float, float]:
    """MRC/NRC of the order's own lines; ``cumulative``: of every order of its group so far (what its
    billing account should hold: an Add Services plan is the latest order of a customer, not the only one)."""
    mrc = nrc = 0.0
    for line in (plan.get("group_packages") or plan["packages"]) if cumulative else plan["packages"]:
        unit = card.get(line["billing_package"], (line["mrc"], line["nrc"]))
        mrc += unit[0] * line["quantity"]
        nrc += unit[1] * line["quantity"]
    return round(mrc, 2), round(nrc, 2)


def billed_amounts(billing: Mapping[str, Any] | None, card: Mapping[str, tuple[float, float]]) -> tuple[float, float]:
    held = compare.billed_packages(billing)
    mrc = sum(card.get(n, (0.0, 0.0))[0] * q for n, q in held.items())
    nrc = sum(card.get(n, (0.0, 0.0))[1] * q for n, q in held.items())
    return round(mrc, 2), round(nrc, 2)


def customer_exceptions(plan: Mapping[str, Any], bw: Mapping[str, Any], bl: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(code, detail) for one onboarded customer: the one comparison of ``reports.compare``."""
    return [(e.code, e.detail) for e in compare.compare(plan, bw, bl).exceptions]


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
        all_mrc, all_nrc = expected_amounts(plan, card, cumulative=True)
        bill_mrc, bill_nrc = billed_amounts(bl, card) if "error" not in bl else (0.0, 0.0)
        money.append((partner, plan["billing_type"], 1, all_mrc, bill_mrc, all_nrc, bill_nrc))
        exc += [(partner, account, k, d, rec["batch_id"]) for k, d in customer_exceptions(plan, bw, bl)]
        cust = bl.get("customer") or {}
        start = date.fromisoformat(plan["billing_start"])
        billed_on = _local_day(rec["billed_at"], tz)
        if billed_on == day:
            new.append((partner, account, order_label(plan.get("order_kind")), cust.get("id"), plan["billing_type"],
                        start, exp_mrc, exp_nrc, rec["batch_id"]))
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
    for t, detail in compare.open_tickets(tickets.to_dict("records")):
        exc.append((t["partner_id"], t["account"], OPEN_TICKET, detail, t["batch_id"]))
    return NightlyFrames(
        new_accounts=pd.DataFrame(new, columns=["partner", "account", "order", "billing_account_id", "billing_type",
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


@dataclass(frozen=True)
class Night:
    """What one night gathered: the book (onboarded customers), their read-back, billing accounts no
    order explains (orphans) and our tickets with their status now."""

    book: pd.DataFrame
    readbacks: Sequence[Mapping[str, Any]]
    orphans: Sequence[Mapping[str, Any]]
    tickets: pd.DataFrame


def write_night(home: Path, tz: str, day: date, night: Night, *, embedded: bool) -> tuple[Path, dict[str, Any]]:
    """Compare, track changes and write the workbook; returns (path, summary)."""
    book = night.book
    frames = assemble(book, night.readbacks, night.orphans, night.tickets, day, tz)
    exceptions, changes, prev_day = track_changes(home, day, frames.exceptions)
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
        workbook_path(home, day), new_accounts=frames.new_accounts, expected_vs_billed=evb,
        first_invoices=frames.first_invoices, exceptions=exceptions, changes=changes, meta=meta,
    )
    summary["workbook"] = str(path)
    return path, summary
