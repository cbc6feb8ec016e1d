"""Ingest -> normalize -> validate -> stage -> reserve numbers -> plan (plain functions, no Prefect)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from core.known import KnownCustomer
from core.memory import give_back
from data.partners import Partner, load_partners
from data.sheets import CUSTOMERS, Sheet
from pipeline import follow_on
from pipeline.customer_rows import Outcome, customer_rows, first_rows
from pipeline.ids import claim_follow_on_ids, claim_ids
from pipeline.plan_inputs import save_plan_inputs
from staging import inventory, plan_rows
from staging.batches import batch_id as make_batch_id
from staging.batches import create_batch, get_batch, input_files, known_customers, set_batch
from staging.ledger import mark_in_doubt_pending
from staging.orders import save_plans, stage_findings, stage_rows, unstage_rows
from staging.secrets import Vault
from staging.snapshot import write_snapshot
from staging.store import Store
from transforms.follow_on import share_enterprise_lines
from transforms.ingest import Ahead, InputError, RawOrder, read_order
from transforms.normalize import NormalizedOrder
from transforms.partner import choose_partner
from transforms.plan import NumberGrant, did_requests, own_number_grants, trunking_follow_up
from validators.check import check_order, plan_valid, warm_up
from validators.findings import findings_frame
from validators.fingerprint import customer_fingerprints
from validators.sheet_checks import check_ahead
from validators.validate import row_totals

INVENTORY_FILE = Path(__file__).resolve().parent.parent / "data" / "did_inventory.csv"


@dataclass
class RunOptions:
    partner: str | None = None
    allow_pending_e911: bool = False
    all_or_nothing: bool = False
    migration: bool = False
    cutover: str | None = None
    chunk_size: int = 500

    def as_json(self) -> dict[str, Any]:
        return {"allow_pending_e911": self.allow_pending_e911, "all_or_nothing": self.all_or_nothing,
                "migration": self.migration, "cutover": self.cutover}


@dataclass
class Prepared:
    batch_id: str
    partner: Partner
    resumed: bool
    totals: dict[str, int] = field(default_factory=dict)
    routing: list[dict[str, Any]] = field(default_factory=list)  # tickets for held customers (trunking)


def partner_of(raw_customers: pd.DataFrame | None, given: str | None, partners_file: Path) -> Partner:
    """--partner, else the Partner ID column (one value per file), else ``default`` when it is the only one."""
    return choose_partner(raw_customers, given, partners_file)


def adopt_staged(store: Store, bid: str, partners_file: Path) -> Prepared:
    """A batch `onboard run` staged before the flow started: continue it (lost answers are looked up again)."""
    batch = get_batch(store, bid)
    if batch is None:
        raise KeyError(bid)
    partners = load_partners(partners_file)
    pid = str(batch["partner_id"])
    partner = partners.get(pid.casefold()) or Partner(pid, pid, "")
    mark_in_doubt_pending(store, bid)
    set_batch(store, bid, status="running")
    write_snapshot(store, bid)
    return Prepared(bid, partner, resumed=True, routing=_routing(store, bid, partner))


def ensure_inventory(store: Store) -> None:
    if not inventory.has_inventory(store) and INVENTORY_FILE.exists():
        inventory.load_inventory(store, inventory.read_inventory_file(INVENTORY_FILE))


def prepare(
    store: Store, path: Path, options: RunOptions, partners_file: Path, vault: Vault, *, defer_plans_to: Path | None = None,
    raw: RawOrder | None = None, id_scheme: str = "derived",
) -> Prepared:
    """Stage one order. ``defer_plans_to`` (migrations): instead of planning every customer now, keep the
    valid customers' normalized rows as Parquet in ``defer_plans_to/<batch>/`` and let each chunk be
    planned just before it is provisioned (``pipeline.migrate.plan_chunk``): a 100k-customer book is staged
    in seconds and its plans are built while the connectors wait on the network."""
    files = input_files([path])
    if not files:
        raise InputError(f"{path}: no input files (a .xlsx workbook or a folder of CSV files)")
    ours = raw is None  # a RawOrder the caller passed in is left as it is
    early: list[Future[_Setup]] = []
    if raw is None:
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm-up") as side:
            warming = side.submit(warm_up, migration=options.migration)  # beside the read, which leaves the GIL

            def customers_read(customers: pd.DataFrame) -> None:  # in a reader thread, while Packages is read
                early.append(side.submit(_set_up, store, customers, options.partner, partners_file, files))

            # small sheets normalized and checked while Packages is read; the batch looked up once Customers is
            raw = read_order(path, ahead=_on_customers(check_ahead(), customers_read))
            warming.result()
        give_back()  # what the reader threads freed, before the validation, loads and hashing allocate theirs
    # else `onboard run` read and checked it before Prefect
    setup = early[0].result() if early else _set_up(store, raw.sheets.get("Customers"), options.partner,
                                                       partners_file, files)
    partner, bid, known, free = setup.partner, setup.batch_id, setup.known, setup.free
    if setup.resumed:
        return Prepared(bid, partner, resumed=True, routing=_routing(store, bid, partner))
    deferred = defer_plans_to is not None and options.migration
    loads: list[Future[Any]] = []
    staged: list[Future[set[str]]] = []  # the rows loaded: their names that are no customer
    # Two side threads: the rows are loaded into DuckDB and the plan inputs written (both leave the GIL)
    # beside the validation, every row first; the rows of customers that turn out not valid are taken out
    # before the transaction commits. The main thread never uses the database while a load runs on it; the
    # plan inputs (files) may still be written while it stages the customers rows, and are done before the
    # commit.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="stage-side") as side, store.transaction():
        create_batch(store, bid, partner.partner_id, "migration" if options.migration else "order", [path],
                     options.as_json())

        def normalized(order: NormalizedOrder) -> None:
            if ours:  # the read frames are not needed past normalize (peak RSS)
                read.sheets.clear()
                read.ahead.clear()
                read.extras.clear()
                give_back()
            staged.append(side.submit(stage_rows, store, bid, order.sheets))
            loads.extend(staged)
            if deferred and defer_plans_to is not None:
                loads.append(side.submit(save_plan_inputs, defer_plans_to / bid, order.sheets, vault))

        try:
            # Migrations are checked against the inventory too: a specific number that is not free is
            # DID_NOT_AVAILABLE for them as for any order (issue 15).
            read, raw = raw, None
            checked = check_order(read, existing=None, known=known, inventory=free,
                                  allow_pending_e911=options.allow_pending_e911, all_or_nothing=options.all_or_nothing,
                                  migration=options.migration,
                                  # hashed beside the per-cell rules; a migration's are left to its chunks
                                  # (pipeline.migrate.chunk_fingerprints) unless earlier batches need them now
                                  fingerprints=not deferred, on_normalized=normalized)
        except BaseException:
            wait(loads)  # before the transaction is rolled back
            raise
        result, frames, findings = checked.result, checked.frames, checked.findings
        held, valid_keys = set(checked.held), checked.valid
        cust = frames["Customers"]
        follow_ons = follow_on.has_follow_on(cust)
        if follow_ons:  # their screen reads earlier batches' plans: not while a load uses the connection
            _loaded(staged)
        # follow-on orders: what each builds on (earlier batches' plans); one with none is held with its code
        screened = follow_on.screen(store, partner.partner_id, bid, cust, valid_keys)
        if screened.missing:
            held |= set(screened.missing)
            valid_keys = [k for k in valid_keys if k not in screened.missing]
            findings = pd.concat([findings, findings_frame(screened.findings)], ignore_index=True)
        prints = result.fingerprints
        if not prints and follow_ons:  # a follow-on's order key holds its fingerprint
            prints = customer_fingerprints(result.order)
        outcome = Outcome.of(held, result.skipped, findings, prints, screened.bases)
        # the customers rows are made while the loads may still run; the connection is used once they are done
        rows = customer_rows(bid, partner.partner_id, first_rows(cust), outcome, vault, seal=not deferred,
                             cutover=options.cutover if options.migration else None)
        _loaded(staged)
        # not valid: held (screened ones included), skipped, and the rows' names that are no customer
        unstage_rows(store, bid, set().union(*(f.result() for f in staged)) | held | set(result.skipped))
        stage_findings(store, bid, findings)
        store.insert("customers", rows)
        for done in loads:  # the plan inputs too, before the batch commits
            done.result()
    if deferred:
        totals = row_totals(cust["_account_key"], held, set(result.skipped)).as_dict()
        set_batch(store, bid, **totals)  # totals last: a batch without them was cut short (staged again)
        return Prepared(bid, partner, resumed=False, totals=totals, routing=_routing(store, bid, partner))
    grants, backorders = _reserve(store, bid, partner, frames, valid_keys, options)
    new = [k for k in valid_keys if k not in screened.bases]
    ids = claim_ids(store, bid, partner.partner_id, cust, new, id_scheme)  # decided and claimed before any send
    ids |= claim_follow_on_ids(store, bid, partner.partner_id, screened.rows, screened.bases, id_scheme)
    checked = replace(checked, valid=valid_keys)
    received = follow_on.received_date((get_batch(store, bid) or {}).get("received_at"))
    plans = plan_valid(checked, partner, bid, numbers=grants, backorders=backorders, ids=ids, cutover=options.cutover,
                       follow_on=screened.bases, received=received)
    share_enterprise_lines(plans)
    with store.transaction():
        save_plans(store, bid, plans, options.chunk_size)
        _plan_totals(store, bid, plans)
        totals = row_totals(cust["_account_key"], held, set(result.skipped)).as_dict()  # rows, as validate counts
        set_batch(store, bid, **totals)
    return Prepared(bid, partner, resumed=False, totals=totals, routing=_routing(store, bid, partner))


def _loaded(staged: list[Future[set[str]]]) -> None:
    """Wait for the row loads (and raise what failed in them) before the connection is used again."""
    wait(staged)
    for done in staged:
        done.result()


@dataclass(frozen=True)
class _Setup:
    """What staging needs to know before it validates: the partner, the batch, and (for a new batch) what
    earlier batches onboarded and the free numbers."""

    partner: Partner
    batch_id: str
    resumed: bool
    known: dict[str, KnownCustomer] = field(default_factory=dict)
    free: pd.DataFrame | None = None


def _set_up(store: Store, customers: pd.DataFrame | None, given: str | None, partners_file: Path,
            files: list[Path]) -> _Setup:
    """Run in the warm-up thread as soon as the Customers sheet is read (the store is not used by anyone
    else while the workbook is read); its InputError is raised where it always was, after the read."""
    partner = partner_of(customers, given, partners_file)
    bid = make_batch_id(partner.partner_id, files)
    if get_batch(store, bid) is not None:
        return _Setup(partner, bid, resumed=True)
    ensure_inventory(store)
    return _Setup(partner, bid, False, known_customers(store, partner.partner_id, exclude_batch=bid),
                  inventory.free_numbers(store))


def _on_customers(ahead: Ahead, then: Callable[[pd.DataFrame], None]) -> Ahead:
    """``ahead``, that first hands the Customers sheet as read to ``then``."""

    def run(sheet: Sheet, scratch: RawOrder) -> tuple[object, Any]:
        if sheet.name == CUSTOMERS.name:
            then(scratch.sheets[sheet.name])
        return ahead.run(sheet, scratch)

    return Ahead(run)


def _reserve(
    store: Store, bid: str, partner: Partner, frames: dict[str, pd.DataFrame], keys: list[str], options: RunOptions
) -> tuple[dict[str, list[NumberGrant]], dict[str, list[tuple[str, str, int]]]]:
    wanted = set(keys)
    grants = own_number_grants(frames.get("Numbers"), wanted)
    backorders: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    if options.migration:
        return grants, backorders
    names = dict(zip(frames["Customers"]["_account_key"], frames["Customers"]["account_name"], strict=False))
    for req in did_requests(frames.get("DIDs"), wanted):
        res = inventory.reserve(store.con, partner=partner.partner_id, account=names[req.account_key], batch_id=bid,
                                npa=req.npa, nxx=req.nxx, quantity=req.quantity, specific=list(req.specific))
        grants[req.account_key].extend(NumberGrant(n, "inventory", req.purpose, req.fax_email) for n in res.numbers)
        if res.shortfall:
            backorders[req.account_key].append((req.npa, req.nxx, res.shortfall))
        plan_rows.set_did_request_outcome(store, bid, req.account_key, req.row, len(res.numbers), res.shortfall)
    return grants, backorders


def _plan_totals(store: Store, bid: str, plans: dict[str, dict[str, Any]]) -> None:
    if not plans:
        return
    rows = []
    for k, p in plans.items():
        mrc = sum(line["mrc"] * line["quantity"] for line in p["packages"])
        nrc = sum(line["nrc"] * line["quantity"] for line in p["packages"])
        rows.append({"account_key": k, "enterprise_id": p["enterprise_id"], "group_id": p["group_id"],
                     "mrc": round(mrc, 2), "nrc": round(nrc, 2), "seats": p["user_limit"]})
    plan_rows.set_plan_totals(store, bid, pd.DataFrame(rows))


def _routing(store: Store, bid: str, partner: Partner) -> list[dict[str, Any]]:
    """Held customers that ordered SIP Trunking get a trunking-request ticket."""
    return [{"account": a, **trunking_follow_up(partner, a)} for a in plan_rows.trunking_held_accounts(store, bid)]
