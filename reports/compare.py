"""The one reconciliation comparison (DESIGN §8): what was ordered vs what the systems hold.

Pure functions over plain data: a customer's plan (the dict stored in ``plans``) and what BroadWorks and
billing answered when read back (``connectors.broadworks.state.read_back`` and
``connectors.billing.readback.customer_view``, gathered by the flows). The batch reconciliation and the
nightly finance workbook both render these results, so one state yields one set of codes and counts.

Provisioned and billed are judged separately, each from its own system: a customer billing holds while
BroadWorks does not is billed (and listed as BILLED_NOT_PROVISIONED), never silently dropped from both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from core.order import AUTO_PACKAGES, BILL_ENTERPRISE

NOT_PROVISIONED = "NOT_PROVISIONED"
PROVISIONED_NOT_BILLED = "PROVISIONED_NOT_BILLED"
BILLED_NOT_PROVISIONED = "BILLED_NOT_PROVISIONED"
AUTO_PACKAGE_MISSING = "AUTO_PACKAGE_MISSING"
PACKAGE_MISMATCH = "PACKAGE_MISMATCH"
INVOICER_MISMATCH = "INVOICER_MISMATCH"
BAD_INVOICE_EMAIL = "BAD_INVOICE_EMAIL"
TICKET_OPEN = "TICKET_OPEN"
CODES = (NOT_PROVISIONED, PROVISIONED_NOT_BILLED, BILLED_NOT_PROVISIONED, AUTO_PACKAGE_MISSING, PACKAGE_MISMATCH,
         INVOICER_MISMATCH, BAD_INVOICE_EMAIL, TICKET_OPEN)

# Which control total of the batch Summary a code keeps a customer out of (BAD_INVOICE_EMAIL and
# TICKET_OPEN are listed but the customer still counts as billed).
STAGE = {NOT_PROVISIONED: ("Provisioned", "Billed"), BILLED_NOT_PROVISIONED: ("Provisioned",),
         PROVISIONED_NOT_BILLED: ("Billed",), AUTO_PACKAGE_MISSING: ("Billed",), PACKAGE_MISMATCH: ("Billed",),
         INVOICER_MISMATCH: ("Billed",), BAD_INVOICE_EMAIL: (), TICKET_OPEN: ()}
SYSTEM = {NOT_PROVISIONED: "broadworks", BILLED_NOT_PROVISIONED: "broadworks", TICKET_OPEN: "tickets"}
CLOSED_TICKETS = frozenset({"solved", "closed"})
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")


class Exc(NamedTuple):
    code: str
    detail: str
    stages: tuple[str, ...]  # the control totals this keeps the customer out of


def exc(code: str, detail: str, stages: tuple[str, ...] | None = None) -> Exc:
    return Exc(code, detail, STAGE[code] if stages is None else stages)


@dataclass(frozen=True)
class Check:
    """One customer's state as read back: whether each system holds it as ordered, and the exceptions."""

    provisioned: bool
    billed: bool
    exceptions: tuple[Exc, ...]


def _e164(dn: str) -> str:
    return "+" + "".join(ch for ch in dn if ch.isdigit())


def provisioning_gaps(plan: Mapping[str, Any], bw: Mapping[str, Any]) -> list[str]:
    """What BroadWorks lacks of the plan: enterprise, group 1, every number, the customer admin."""
    if "error" in bw:
        return [f"read-back failed: {bw['error']}"]
    gaps = [w for w, ok in (("enterprise", bw.get("enterprise_exists")), ("group 1", bw.get("group_exists"))) if not ok]
    numbers = {_e164(x) for x in bw.get("numbers", [])}
    missing = sorted({str(n["number"]) for n in plan.get("numbers", [])} - numbers)
    if missing:
        gaps.append("numbers not assigned: " + ", ".join(missing))
    if plan.get("admin_user_id") and plan["admin_user_id"] not in bw.get("admins", {}):
        gaps.append("customer admin")
    return gaps


def billed_packages(billing: Mapping[str, Any] | None) -> dict[str, int]:
    """Package name -> quantity over the customer's two accounts, as billing holds them."""
    held: dict[str, int] = {}
    for role in ("enterprise", "customer"):
        for pk in ((billing or {}).get(role) or {}).get("packages", []):
            held[pk["name"]] = held.get(pk["name"], 0) + int(pk.get("quantity") or 0)
    return held


def package_differences(plan: Mapping[str, Any], billing: Mapping[str, Any]) -> list[str]:
    """Ordered packages whose billed quantity differs (more or less), and billed ones never ordered."""
    ordered: dict[str, int] = {}
    # a follow-on's customer account holds every order of its group so far (Add Services: cumulative)
    for line in plan.get("group_packages") or plan.get("packages", []):
        ordered[line["billing_package"]] = ordered.get(line["billing_package"], 0) + int(line["quantity"])
    held = {n: q for n, q in billed_packages(billing).items() if n not in AUTO_PACKAGES}
    return [f"{n}: ordered {ordered.get(n, 0)}, billed {held.get(n, 0)}"
            for n in sorted(set(ordered) | set(held)) if ordered.get(n, 0) != held.get(n, 0)]


def email_problem(plan: Mapping[str, Any], billing: Mapping[str, Any]) -> str | None:
    """Why the invoicer's billing contact cannot receive the invoice as ordered, if it cannot."""
    if plan.get("order_kind") == "new_group" and plan.get("billing_type") == BILL_ENTERPRISE:
        return None  # the invoicer is the enterprise, whose contact its New Customer order set up
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


def compare(plan: Mapping[str, Any], bw: Mapping[str, Any], bl: Mapping[str, Any]) -> Check:
    """The one rule set: provisioned and billed from each system's read-back, with UPPER_SNAKE codes.

    A failed read-back is never taken as "absent": the customer is not counted for that system and the
    exception says the read-back failed.
    """
    gaps = provisioning_gaps(plan, bw)
    provisioned = not gaps
    has_accounts = "error" not in bl and bool(bl.get("found") and bl.get("customer") and bl.get("enterprise"))
    billing_gap = f"billing read-back failed: {bl['error']}" if "error" in bl else (
        "billing holds no customer account" + (" (its enterprise account is there)" if bl.get("enterprise") else ""))
    if "error" in bw:
        out = [exc(NOT_PROVISIONED, f"BroadWorks read-back failed: {bw['error']}", ("Provisioned",))]
    elif not provisioned and not has_accounts:
        detail = "neither BroadWorks nor billing holds the customer" if not bw.get("enterprise_exists") and \
            "error" not in bl else f"BroadWorks lacks {', '.join(gaps)}; {billing_gap}"
        return Check(False, False, (exc(NOT_PROVISIONED, detail),))
    elif not provisioned:
        out = [exc(BILLED_NOT_PROVISIONED, f"BroadWorks lacks {' and '.join(gaps)} of {plan.get('enterprise_id')}")]
    else:
        out = []
    if not has_accounts:
        out.append(exc(PROVISIONED_NOT_BILLED, billing_gap))
        return Check(provisioned, False, tuple(out))
    if bl.get("missing_auto_packages"):
        out.append(exc(AUTO_PACKAGE_MISSING, ", ".join(bl["missing_auto_packages"])))
    diffs = package_differences(plan, bl)
    if bl.get("duplicates"):
        diffs.append(f"{bl['duplicates']} duplicate account(s)")
    if diffs:
        out.append(exc(PACKAGE_MISMATCH, "; ".join(diffs)))
    if bl.get("billing_type") != plan.get("billing_type"):
        out.append(exc(INVOICER_MISMATCH,
                       f"ordered {plan.get('billing_type')}, billing invoices as {bl.get('billing_type')}"))
    problem = email_problem(plan, bl)
    if problem:
        out.append(exc(BAD_INVOICE_EMAIL, problem))
    billed = not any("Billed" in e.stages for e in out)
    return Check(provisioned, billed, tuple(out))


def open_tickets(tickets: Iterable[Mapping[Any, Any]]) -> list[tuple[Mapping[Any, Any], str]]:
    """(ticket row, detail) for every ticket the ticket system still holds open."""
    return [(t, f"{t['kind']} ticket {t.get('ticket_id') or '?'} is {t['status']}: {t.get('subject') or ''}")
            for t in tickets if t.get("status") not in CLOSED_TICKETS]


@dataclass(frozen=True)
class Totals:
    """The batch Summary's control totals: provisioned and billed each counted from its own system."""

    ordered: int
    valid: int
    provisioned: int
    billed: int

    def summary(self) -> list[tuple[str, int, str, str]]:
        """(label, count, note, base) rows for ``reports.reconciliation``: both systems tie to Valid."""
        return [
            ("Ordered", self.ordered, "customers in the workbook", ""),
            ("Valid", self.valid, "passed validation (held and already-onboarded customers are listed)", "Ordered"),
            ("Provisioned", self.provisioned, "read back from BroadWorks: enterprise, group 1, numbers, admin", "Valid"),
            ("Billed", self.billed, "read back from billing: two accounts, invoicer, auto-added and ordered packages",
             "Valid"),
        ]


def totals(ordered: int, valid: int, checks: Iterable[Check]) -> Totals:
    done = list(checks)
    return Totals(ordered, valid, sum(c.provisioned for c in done), sum(c.billed for c in done))
