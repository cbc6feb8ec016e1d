"""Read back what BroadWorks and billing hold for a batch, into staging, then write the reconciliation.

Figures come from the systems, not only from our ledger, and are judged by the one comparison
(``reports.compare``) the nightly uses too: provisioned when BroadWorks holds the enterprise, group 1,
numbers and admin; billed when billing holds both accounts with the right invoicer, the auto-added
packages and exactly the ordered packages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from connectors.systems import Systems
from core.order import order_label
from pipeline.readback import gather
from reports.compare import NOT_PROVISIONED, SYSTEM, Check, compare, exc, totals
from reports.reconciliation import write_reconciliation
from staging.orders import customer_progress, load_plans
from staging.readback import batch_customers, batch_dids, batch_origin, batch_tickets, save_readback
from staging.store import Store

EXCEPTION_COLUMNS = ["account", "stage", "system", "code", "message"]


def read_back_batch(store: Store, systems: Systems, batch_id: str, concurrency: int) -> dict[str, dict[str, Any]]:
    """Gather the batch's customers in bulk (``pipeline.readback``), keep it in staging, return it by account."""
    plans = dict((p["account"], p) for _, p in load_plans(store, batch_id))
    gathered = gather(systems, list(plans.values()), concurrency)
    results = {g["account"]: {"broadworks": g["broadworks"], "billing": g["billing"]} for g in gathered}
    save_readback(store, [{"batch_id": batch_id, "account": a, **r} for a, r in results.items()])
    return {a: {**r, "plan": plans[a]} for a, r in results.items()}


def reconcile(store: Store, systems: Systems, batch_id: str, home: Path, *, concurrency: int) -> Path:
    readback = read_back_batch(store, systems, batch_id, concurrency)
    custs = batch_customers(store, batch_id)
    progress = customer_progress(store, batch_id)
    status = {(a, s): st for a, s, st in progress[["account", "system", "status"]].itertuples(index=False)}
    why = {(a, s): e for a, s, e in progress[["account", "system", "errors"]].itertuples(index=False) if isinstance(e, str)}
    rows, exceptions = [], []
    checks: list[Check] = []
    for c in custs.to_dict("records"):
        acc = c["account"]
        row: dict[str, Any] = {"account": acc, "order": order_label(c.get("order_kind")), "partner": c["partner_id"],
                               "customer": c["status"],
                               "codes": c["codes"] or "", "enterprise_id": c["enterprise_id"], "group_id": c["group_id"]}
        if c["status"] != "valid":
            exceptions.append({"account": acc, "stage": "Valid", "system": "", "code": c["codes"] or c["status"].upper(),
                               "message": "held back by validation" if c["status"] == "held" else "already onboarded"})
            rows.append(row)
            continue
        rb = readback.get(acc, {})
        plan = rb.get("plan", {})
        bl = rb.get("billing", {})
        check = compare(plan, rb.get("broadworks", {}), bl) if plan else Check(False, False, (exc(NOT_PROVISIONED, "no plan"),))
        row.update({
            "billing_owner_account_id": ((bl.get("enterprise") or {}).get("id")),
            "billing_account_id": ((bl.get("customer") or {}).get("id")),
            **{s: status.get((acc, s), "pending") for s in ("broadworks", "billing", "tickets", "mail")},
            "billing_type": c["billing_type"], "billing_start": c["billing_start"], "mrc": c["mrc"], "nrc": c["nrc"],
            "read_back": "ok" if not check.exceptions else "; ".join(e.detail for e in check.exceptions),
        })
        rows.append(row)
        if c["codes"]:  # refused at run time (CUSTOMER_EXISTS): nothing was sent for it
            checks.append(Check(False, False, ()))
            exceptions.append({"account": acc, "stage": "Provisioned; Billed", "system": "broadworks", "code": c["codes"],
                               "message": "refused at run time; nothing was sent for this customer"})
            continue
        checks.append(check)
        exceptions += exception_rows(acc, check, why.get((acc, "billing"), "") if status.get((acc, "billing")) != "done"
                                     else "")
    summary = totals(len(custs), int((custs["status"] == "valid").sum()), checks).summary()
    dids, tickets = batch_dids(store, batch_id), batch_tickets(store, batch_id)
    partner, received = batch_origin(store, batch_id)
    out = home / "reports" / f"batch-{batch_id}-reconciliation.xlsx"
    write_reconciliation(
        out, summary=summary, customers=pd.DataFrame(rows), dids=dids, tickets=tickets,
        exceptions=pd.DataFrame(exceptions, columns=EXCEPTION_COLUMNS),
        meta={"Batch": batch_id, "Partner": partner, "Received": received,
              "Generated": datetime.now(UTC).isoformat(timespec="seconds")},
    )
    return out


def exception_rows(account: str, check: Check, not_billed: str = "") -> list[dict[str, Any]]:
    """The Exceptions sheet's rows for one customer; ``stage`` names the control totals it is missing from."""
    out = []
    for code, detail, stages in check.exceptions:
        if not_billed and "Billed" in stages:
            detail += f"; billing: {not_billed}"
        out.append({"account": account, "stage": "; ".join(stages), "system": SYSTEM.get(code, "billing"),
                    "code": code, "message": detail})
    return out
