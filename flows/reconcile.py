"""Read back what BroadWorks and billing hold for a batch, into staging, then write the reconciliation.

Figures come from the systems, not only from our ledger: a customer counts as provisioned when
BroadWorks holds its enterprise, group 1, numbers and admin, and as billed when billing holds both
accounts with the right invoicer, the three auto-added packages and every ordered package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from connectors.billing.readback import read_customers
from connectors.broadworks.state import read_back as bw_read_back
from connectors.common.errors import ConnectorError
from flows.systems import Systems
from reports.reconciliation import write_reconciliation
from staging.orders import customer_progress, load_plans
from staging.store import Store


def read_back_batch(store: Store, systems: Systems, batch_id: str, concurrency: int) -> dict[str, dict[str, Any]]:
    plans = dict((p["account"], p) for _, p in load_plans(store, batch_id))

    # Billing: one bulk read per partner, customers matched by their BroadWorks ids (not names).
    try:
        billed: dict[tuple[str, str], dict[str, Any]] = read_customers(systems.billing, plans.values())
        billing_error = None
    except ConnectorError as exc:
        billed, billing_error = {}, {"error": str(exc)}

    def one(account: str) -> tuple[str, dict[str, Any]]:
        p = plans[account]
        out: dict[str, Any] = {}
        try:
            out["broadworks"] = bw_read_back(systems.broadworks, p["enterprise_id"], p["group_id"])
        except ConnectorError as exc:
            out["broadworks"] = {"error": str(exc)}
        out["billing"] = billing_error or billed[(str(p["partner_id"]), account)]
        return account, out

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = dict(pool.map(one, list(plans)))
    now = datetime.now(UTC)
    rows = [
        {"batch_id": batch_id, "account": a, "system": s, "data": json.dumps(d, default=str), "read_at": now}
        for a, r in results.items() for s, d in r.items()
    ]
    if rows:
        store.insert("readback", pd.DataFrame(rows), replace=True)
    return {a: {**r, "plan": plans[a]} for a, r in results.items()}


def provisioned_problems(plan: Mapping[str, Any], bw: Mapping[str, Any]) -> list[str]:
    if "error" in bw:
        return [f"read-back failed: {bw['error']}"]
    problems = []
    if not bw.get("enterprise_exists"):
        problems.append("enterprise missing")
    if not bw.get("group_exists"):
        problems.append("group 1 missing")
    missing = sorted({n["number"] for n in plan["numbers"]} - {_e164(x) for x in bw.get("numbers", [])})
    if missing:
        problems.append("numbers not assigned: " + ", ".join(missing))
    if plan.get("admin_user_id") and plan["admin_user_id"] not in bw.get("admins", {}):
        problems.append("customer admin missing")
    return problems


def billed_problems(plan: Mapping[str, Any], bl: Mapping[str, Any]) -> list[str]:
    if "error" in bl:
        return [f"read-back failed: {bl['error']}"]
    if not bl.get("found") or not bl.get("customer") or not bl.get("enterprise"):
        return ["billing accounts missing"]
    problems = []
    if bl.get("billing_type") != plan["billing_type"]:
        problems.append(f"invoicer does not match {plan['billing_type']}")
    if bl.get("missing_auto_packages"):
        problems.append("missing auto-added packages: " + ", ".join(bl["missing_auto_packages"]))
    have: dict[str, int] = {}
    for pk in bl["customer"].get("packages", []):
        have[pk["name"]] = have.get(pk["name"], 0) + int(pk.get("quantity") or 0)
    for line in plan["packages"]:
        if have.get(line["billing_package"], 0) < line["quantity"]:
            problems.append(f"package missing: {line['billing_package']} x{line['quantity']}")
    if bl.get("duplicates"):
        problems.append(f"{bl['duplicates']} duplicate account(s)")
    return problems


def _e164(dn: str) -> str:
    return "+" + "".join(ch for ch in dn if ch.isdigit())


def reconcile(store: Store, systems: Systems, batch_id: str, home: Path, *, concurrency: int) -> Path:
    readback = read_back_batch(store, systems, batch_id, concurrency)
    custs = store.frame("SELECT * FROM customers WHERE batch_id = ? ORDER BY row", [batch_id])
    progress = customer_progress(store, batch_id)
    status = {(a, s): st for a, s, st in progress[["account", "system", "status"]].itertuples(index=False)}
    why = {(a, s): e for a, s, e in progress[["account", "system", "errors"]].itertuples(index=False) if isinstance(e, str)}
    rows, exceptions = [], []
    n_prov = n_billed = 0
    for c in custs.to_dict("records"):
        acc = c["account"]
        row: dict[str, Any] = {"account": acc, "partner": c["partner_id"], "customer": c["status"],
                               "codes": c["codes"] or "", "enterprise_id": c["enterprise_id"], "group_id": c["group_id"]}
        if c["status"] != "valid":
            exceptions.append({"account": acc, "stage": "Valid", "system": "", "code": c["codes"] or c["status"].upper(),
                               "message": "held back by validation" if c["status"] == "held" else "already onboarded"})
            rows.append(row)
            continue
        rb = readback.get(acc, {})
        plan = rb.get("plan", {})
        bl = rb.get("billing", {})
        prov = provisioned_problems(plan, rb.get("broadworks", {})) if plan else ["no plan"]
        bill = billed_problems(plan, bl) if plan else ["no plan"]
        row.update({
            "billing_owner_account_id": ((bl.get("enterprise") or {}).get("id")),
            "billing_account_id": ((bl.get("customer") or {}).get("id")),
            **{s: status.get((acc, s), "pending") for s in ("broadworks", "billing", "tickets", "mail")},
            "billing_type": c["billing_type"], "billing_start": c["billing_start"], "mrc": c["mrc"], "nrc": c["nrc"],
            "read_back": "ok" if not prov and not bill else "; ".join(prov + bill),
        })
        rows.append(row)
        if c["codes"]:  # refused at run time (CUSTOMER_EXISTS): nothing was sent for it
            exceptions.append({"account": acc, "stage": "Provisioned", "system": "broadworks", "code": c["codes"],
                               "message": "refused at run time; nothing was sent for this customer"})
            continue
        if prov:
            code = "BILLED_NOT_PROVISIONED" if not bill else "NOT_PROVISIONED"
            not_billed = why.get((acc, "billing"), "") if status.get((acc, "billing")) != "done" else ""
            exceptions.append({"account": acc, "stage": "Provisioned", "system": "broadworks", "code": code,
                               "message": "; ".join(prov) + (f"; billing: {not_billed}" if not_billed else "")})
            continue
        n_prov += 1
        if bill:
            exceptions.append({"account": acc, "stage": "Billed", "system": "billing", "code": "PROVISIONED_NOT_BILLED",
                               "message": "; ".join(bill)})
            continue
        n_billed += 1
    n_valid = int((custs["status"] == "valid").sum())
    summary = [
        ("Ordered", len(custs), "customers in the workbook"),
        ("Valid", n_valid, "passed validation (held and already-onboarded customers are listed)"),
        ("Provisioned", n_prov, "read back from BroadWorks: enterprise, group 1, numbers, admin"),
        ("Billed", n_billed, "read back from billing: two accounts, invoicer, auto-added and ordered packages"),
    ]
    dids = store.frame(
        "SELECT account, number, npa, nxx, rate_center, status FROM did_inventory WHERE batch_id = ? "
        "UNION ALL SELECT c.account, NULL, d.npa, d.nxx, NULL, 'backordered x' || d.backordered FROM did_requests d "
        "JOIN customers c USING (batch_id, account_key) WHERE d.batch_id = ? AND d.backordered > 0 ORDER BY 1, 2",
        [batch_id, batch_id],
    )
    tickets = store.frame(
        "SELECT account, kind, detail, external_id, ticket_id, subject FROM tickets WHERE batch_id = ? ORDER BY 1, 2",
        [batch_id],
    )
    batch = store.frame("SELECT partner_id, received_at FROM batches WHERE batch_id = ?", [batch_id]).iloc[0]
    out = home / "reports" / f"batch-{batch_id}-reconciliation.xlsx"
    write_reconciliation(
        out, summary=summary, customers=pd.DataFrame(rows), dids=dids, tickets=tickets,
        exceptions=pd.DataFrame(exceptions, columns=["account", "stage", "system", "code", "message"]),
        meta={"Batch": batch_id, "Partner": str(batch["partner_id"]), "Received": str(batch["received_at"]),
              "Generated": datetime.now(UTC).isoformat(timespec="seconds")},
    )
    return out
