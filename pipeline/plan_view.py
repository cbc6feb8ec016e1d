"""`onboard plan FILE|BATCH`: what a run would still send, step by step, sending nothing.

A FILE whose batch is not staged yet is validated and planned in memory only: numbers are "reserved"
from the free-inventory snapshot in a local copy, nothing is written to staging and no system is
contacted. A staged batch (named by its id, or by the same file again) is read from staging
read-only, and the steps the ledger holds as done are left out: what remains is what a resume would
send. Every listed step is, at run time, still preceded by a look-up (DESIGN §6), so a step listed
here may turn out to need no request at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from connectors.billing.steps import planned_requests
from connectors.broadworks import STEPS as BROADWORKS_STEPS
from connectors.broadworks import plan_services
from connectors.broadworks.service_plan import steps_with_work
from connectors.tickets.provision import follow_up_step
from core.errors import UsageError
from core.keys import ticket_step
from core.order import CustomerOrder
from core.settings import Settings
from data.partners import load_partners, resolve_partner
from pipeline.stage import RunOptions, partner_of
from staging.batches import batch_id as make_batch_id
from staging.batches import input_files
from staging.ids import SnapshotClaims
from staging.lock import LockedError, RunLock
from staging.readonly import ReadOnlyStaging, StagedBatch
from staging.snapshot import free_inventory, read_batches, read_known, snapshot_dir
from transforms.plan import NumberGrant, assign_customer_ids, did_requests, own_number_grants, trunking_follow_up
from validators.check import check_order, plan_valid

SYSTEMS = ("broadworks", "billing", "tickets", "mail")

# The request each step sends when its look-up finds the work missing (classic OCI-P requests).
BROADWORKS_REQUESTS = {
    "enterprise": "ServiceProviderAddRequest13mp2",
    "enterprise_services": "ServiceProviderServiceModifyAuthorizationListRequest",
    "service_packs": "ServiceProviderServicePackAddRequest",
    "group": "GroupAddRequest",
    "group_services_authorized": "GroupServiceModifyAuthorizationListRequest",
    "group_services_assigned": "GroupServiceAssignListRequest",
    "numbers_added": "ServiceProviderDnAddListRequest",
    "numbers_assigned": "GroupDnAssignListRequest",
    "calling_line_id": "GroupModifyRequest",
    "admin": "ServiceProviderAdminAddRequest14",
}
# With ONBOARD_OCIP_REQUESTS=consolidated the two Consolidated adds carry what the classic steps send one by one
# (connectors/broadworks/commands.py); the later steps then look up, find nothing missing and send nothing.
CONSOLIDATED_REQUESTS = {
    **BROADWORKS_REQUESTS,
    "enterprise": "ServiceProviderConsolidatedAddRequest",
    "enterprise_services": "(in ServiceProviderConsolidatedAddRequest)",
    "service_packs": "(in ServiceProviderConsolidatedAddRequest)",
    "numbers_added": "(in ServiceProviderConsolidatedAddRequest)",
    "group": "GroupConsolidatedAddRequest",
    "group_services_authorized": "(in GroupConsolidatedAddRequest)",
    "group_services_assigned": "(in GroupConsolidatedAddRequest)",
    "numbers_assigned": "(in GroupConsolidatedAddRequest)",
}
TICKETS_REQUEST = "POST /api/v2/tickets.json"
MAIL_REQUEST = "admin credentials mail"

Ledger = Mapping[tuple[str, str, str], tuple[str, str | None]]  # (account, system, step) -> (status, error)


# ----------------------------------------------------------------------------- steps of one customer


def customer_steps(order: CustomerOrder, ocip_requests: str = "classic") -> dict[str, list[dict[str, str]]]:
    """Every step a first run sends for one planned customer, per system, in order."""
    p = plan_services(order)
    bw_work = steps_with_work(p, order)  # the steps BroadWorksProvisioner skips for want of anything to ask
    bw_detail = {
        "enterprise": order.enterprise_id,
        "service_packs": f"{len(p.packs)} pack(s): " + ", ".join(sorted(p.packs)),
        "group": order.group_id,
        "numbers_added": f"{len(p.numbers)} number(s)",
        "numbers_assigned": f"{len(p.numbers)} number(s) to {order.group_id}",
        "calling_line_id": p.main or "",
        "admin": order.admin_user_id,
    }
    names = CONSOLIDATED_REQUESTS if ocip_requests == "consolidated" else BROADWORKS_REQUESTS
    names = dict(names)
    if order.follow_on:  # issue 19: what a follow-on builds on is looked up, never added
        names["enterprise"] = "none: the existing enterprise is looked up (ENTERPRISE_NOT_FOUND if absent)"
        names["service_packs"] += " / ServiceProviderServicePackModifyRequest (quantity raised)"
        if order.order_kind == "add_services":
            names["group"] = "GroupModifyRequest (userLimit raised, when below)"
    bw = [{"step": s, "request": names[s], "detail": bw_detail.get(s, "")}
          for s in BROADWORKS_STEPS if bw_work.get(s, True)]
    billing = planned_requests(order)
    tickets = [{"step": follow_up_step(f), "request": TICKETS_REQUEST, "detail": f.subject} for f in order.follow_ups]
    mail = ([{"step": "admin_credentials", "request": MAIL_REQUEST, "detail": f"to {order.partner_email}"}]
            if order.admin_user_id else [])
    return {"broadworks": bw, "billing": billing, "tickets": tickets, "mail": mail}


def _remaining(account: str, steps: dict[str, list[dict[str, str]]], ledger: Ledger) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for system, items in steps.items():
        if ledger.get((account, system, "complete"), ("",))[0] == "done":
            continue  # the system is finished for this customer: nothing is sent again
        left = []
        for item in items:
            status, error = ledger.get((account, system, item["step"]), ("", None))
            if status == "done":
                continue
            # No run holds the data home while we read, so a step the ledger holds as 'pending' was sent by a
            # run that died: it is in doubt (looked up first, then continued); failed: sent again by retry.
            state = {"": "pending", "pending": "in_doubt"}.get(status, status)
            left.append({**item, "state": state, **({"error": error} if error else {})})
        if left:
            out[system] = left
    return out


def _document(batch: str, partner: str, staged: bool, plans: Iterable[dict[str, Any]], ledger: Ledger,
              routing: Iterable[tuple[str, dict[str, str]]], held: int, ocip_requests: str = "classic") -> dict[str, Any]:
    customers: list[dict[str, Any]] = []
    complete = 0
    by_system: dict[str, int] = dict.fromkeys(SYSTEMS, 0)
    for plan in plans:
        order = CustomerOrder.from_dict(plan)
        left = _remaining(order.account, customer_steps(order, ocip_requests), ledger)
        if not left:
            complete += 1
            continue
        for system, items in left.items():
            by_system[system] += len(items)
        customers.append({"account": order.account, "steps": left})
    for account, ticket in routing:  # held customers that ordered SIP Trunking get their ticket anyway
        step = ticket_step(ticket["kind"])
        status, error = ledger.get((account, "tickets", step), ("pending", None))
        if status != "done":
            by_system["tickets"] += 1
            customers.append({"account": account, "held": True, "steps": {"tickets": [
                {"step": step, "request": TICKETS_REQUEST, "detail": ticket["subject"], "state": status,
                 **({"error": error} if error else {})}]}})
    return {
        "batch": batch, "partner": partner, "staged": staged,
        "customers": customers,
        "totals": {"to_send": len([c for c in customers if not c.get("held")]), "complete": complete, "held": held,
                   "steps": sum(by_system.values()), "by_system": by_system},
    }


# ----------------------------------------------------------------------------- sources


def _staged(staged: StagedBatch | None, batch: str, partners_file: Path, ocip_requests: str) -> dict[str, Any]:
    if staged is None:
        raise UsageError(f"no batch {batch} (onboard status lists the batches)")
    partner = resolve_partner(load_partners(partners_file), staged.partner_id)
    routing = [(a, trunking_follow_up(partner, a)) for a in staged.trunking_held]
    return _document(batch, staged.partner_id, True, staged.plans, staged.ledger, routing, staged.held,
                     ocip_requests)


def _reserve_in_memory(frames: Mapping[str, pd.DataFrame], keys: list[str], free: pd.DataFrame
                       ) -> tuple[dict[str, list[NumberGrant]], dict[str, list[tuple[str, str, int]]]]:
    """What ``pipeline.stage._reserve`` would give, taken from a local copy of the free numbers."""
    wanted = set(keys)
    grants = own_number_grants(frames.get("Numbers"), wanted)
    backorders: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    pool: dict[tuple[str, str], list[str]] = defaultdict(list)
    for number, npa, nxx in free.sort_values("number")[["number", "npa", "nxx"]].itertuples(index=False):
        pool[(str(npa), str(nxx))].append(str(number))
    taken: set[str] = set()
    for req in did_requests(frames.get("DIDs"), wanted):
        here = pool[(req.npa, req.nxx)]
        got = [n for n in req.specific if n in here and n not in taken]
        got += [n for n in here if n not in taken and n not in got][: max(0, req.quantity - len(got))]
        taken.update(got)
        grants[req.account_key].extend(NumberGrant(n, "inventory", req.purpose, req.fax_email) for n in got)
        if req.quantity > len(got):
            backorders[req.account_key].append((req.npa, req.nxx, req.quantity - len(got)))
    return grants, backorders


def _in_memory(settings: Settings, path: Path, options: RunOptions) -> dict[str, Any]:
    """Validate and plan a workbook whose batch is not staged, writing nothing."""
    from transforms.ingest import read_order

    home = settings.home.resolve()
    raw = read_order(path)
    partner = partner_of(raw.sheets.get("Customers"), options.partner, settings.partners_file)
    bid = make_batch_id(partner.partner_id, input_files([path]))
    free = free_inventory(home)
    checked = check_order(raw, existing=None, known=read_known(home, partner.partner_id, exclude_batch=bid), inventory=free,
                          allow_pending_e911=options.allow_pending_e911, all_or_nothing=options.all_or_nothing)
    result, findings, held = checked.result, checked.findings, set(checked.held)
    grants, backorders = _reserve_in_memory(checked.frames, checked.valid, free)
    # The same id assignment as staging, over the snapshot's claims, claiming nothing: near-duplicate
    # names get the distinct ids the run will give them.
    claims = SnapshotClaims.load(snapshot_dir(home), partner.partner_id)
    first = checked.frames["Customers"].drop_duplicates("_account_key")
    names = dict(zip(first["_account_key"].astype(str), first["account_name"].astype(str), strict=True))
    ids = assign_customer_ids(partner.partner_id, [(k, names[k]) for k in checked.valid], claims.own,
                              claims.is_taken, claims.give)
    plans = plan_valid(checked, partner, bid, numbers=grants, backorders=backorders, ids=ids)
    errors = findings[findings["severity"] == "error"]
    trunking = sorted(set(errors.loc[errors["code"] == "TRUNKING_NOT_SUPPORTED", "account"].astype(str)))
    routing = [(a, trunking_follow_up(partner, a)) for a in trunking]
    return _document(bid, partner.partner_id, False, plans.values(), {}, routing, len(held - set(result.skipped)),
                     settings.ocip_requests)


def plan_steps(settings: Settings, target: str, *, partner: str | None = None, allow_pending_e911: bool = False,
               all_or_nothing: bool = False) -> dict[str, Any]:
    """What `onboard run FILE` / `onboard retry BATCH` would still send, per customer and system.

    Writes nothing and contacts no system. Raises UsageError (unknown batch), LockedError (a run holds
    the staged batch right now) or InputError (unusable workbook).
    """
    home = settings.home.resolve()
    path = Path(target)
    if not path.exists():
        ro = ReadOnlyStaging.open(home)
        if ro is None:
            raise UsageError(f"{target}: no such file, and no batch {target} under {home}")
        with ro:
            return _staged(ro.batch(target), target, settings.partners_file, settings.ocip_requests)
    options = RunOptions(partner=partner, allow_pending_e911=allow_pending_e911, all_or_nothing=all_or_nothing)
    from transforms.ingest import read_order

    files = input_files([path])
    raw = read_order(path)
    bid = make_batch_id(partner_of(raw.sheets.get("Customers"), partner, settings.partners_file).partner_id, files)
    if RunLock(home).is_held():
        if any(b["batch"] == bid for b in read_batches(home)):  # staged and being run right now
            raise LockedError(RunLock(home).describe_holder())
        return _in_memory(settings, path, options)
    ro = ReadOnlyStaging.open(home)
    if ro is not None:
        with ro:
            if ro.has_batch(bid):
                return _staged(ro.batch(bid), bid, settings.partners_file, settings.ocip_requests)
    return _in_memory(settings, path, options)
