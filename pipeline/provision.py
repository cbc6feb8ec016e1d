"""Push planned customers to the systems: BroadWorks, billing, tickets, then the mail outbox.

Connector work runs on a thread pool bounded by ONBOARD_CONCURRENCY; only this module's caller (the
flow's thread) writes DuckDB, except the outbox insert of admin credentials, which must be durable
before the admin is created and therefore happens on a cursor of the worker's own.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from connectors.broadworks.client import OcipClient
from connectors.broadworks.provision import AdminCallback as AdminCredentials
from connectors.broadworks.provision import BroadWorksProvisioner
from connectors.broadworks.shared_documents import SharedDocuments
from connectors.broadworks.state import enterprise_exists
from connectors.common.errors import ConnectorError
from connectors.systems import Systems
from core.order import CustomerOrder, Provisioner, StepEvent, SystemResult
from pipeline import follow_on
from staging import inventory, plan_rows, results
from staging.claims import Claims
from staging.follow_on import reject_order
from staging.ledger import LedgerBuffer, done_steps
from staging.orders import load_plans
from staging.outbox import Outbox
from staging.secrets import Vault
from staging.store import Store

SYSTEMS = ("broadworks", "billing", "tickets")
# Customers in their BroadWorks phase at once, per session. Their commands share documents; a chunk's
# BroadWorks phase takes ~6 dependent rounds per customer against ~21 sequential billing requests, so
# this many keep BroadWorks ahead of billing while billing starts after the first customers' rounds.
BW_CUSTOMERS_PER_SESSION = 1


@dataclass
class ChunkResult:
    accounts: int = 0
    done: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SYSTEMS, 0))
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SYSTEMS, 0))


def _refused(order: CustomerOrder, broadworks: OcipClient, claims: Claims, record: Callable[[StepEvent], None],
             absent: Callable[[str], None] | None = None) -> str | None:
    """CUSTOMER_EXISTS check for a customer that has not claimed its enterprise; claims it when BroadWorks is free
    (then ``absent`` hears that the enterprise does not exist). The look-up goes through the chunk's shared
    documents: 15 customers' list requests in one document."""
    if claims.claimed(order):
        return None
    if claims.claimed_by_other(order) or enterprise_exists(broadworks, order.enterprise_id):
        error = (f"CUSTOMER_EXISTS: BroadWorks already holds enterprise {order.enterprise_id} and this pipeline "
                 "did not create it for this customer; nothing was changed (check the account name, or onboard it "
                 "by hand)")
        record(StepEvent(order.account, "broadworks", "enterprise", "failed", error=error))
        return error
    claims.claim(order)
    if absent is not None:
        absent(order.enterprise_id)
    return None


NOT_BILLED = "NOT_BILLED"  # the billing error of a customer whose BroadWorks enterprise or group is not done


def _service_ready(order: CustomerOrder, bw: SystemResult, steps_done: set[str]) -> str | None:
    """Why billing must wait (None: it may go): billing follows service (DESIGN §6)."""
    missing = [s for s in ("enterprise", "group") if s not in steps_done]
    if bw.status == "done" and not missing:
        return None
    why = bw.error or ("BroadWorks " + " and ".join(missing) + " not done")
    return (f"{NOT_BILLED}: no billing account was created because BroadWorks did not finish for this customer "
            f"({why}); it is billed once BroadWorks is done (onboard retry)")


@dataclass
class _Customer:
    """One customer across the chunk's two phases (BroadWorks, then billing and tickets)."""

    bw_done: set[str]
    results: list[SystemResult] = field(default_factory=list)
    stopped: str | None = None  # refused or failed as a whole: the later phase sends nothing either


def _customer(
    order: CustomerOrder,
    provisioners: Sequence[tuple[str, Provisioner]],
    done: Mapping[tuple[str, str], Mapping[str, str | None]],
    record: Callable[[StepEvent], None],
    guard: Callable[[CustomerOrder], str | None] | None = None,
    state: _Customer | None = None,
) -> list[SystemResult]:
    """One customer in the given systems (``state`` carries it from an earlier phase); whatever goes
    wrong fails this customer only, never the batch."""
    state = state or _Customer(set(done.get((order.account, "broadworks"), {})))
    if state.stopped is not None:
        return [SystemResult(order.account, s, "failed", error=state.stopped) for s, _ in provisioners]
    try:
        return _customer_steps(order, provisioners, done, record, guard, state)
    except Exception as exc:  # a bug or a surprise in one customer must not stop the others
        state.stopped = _unexpected(exc)
        return _fail_unfinished(order, [s for s, _ in provisioners], done, record, state.stopped)


def _unexpected(exc: BaseException) -> str:
    return f"unexpected error: {type(exc).__name__}: {exc}"


def _fail_unfinished(order: CustomerOrder, systems: Sequence[str], done: Mapping[tuple[str, str], Mapping[str, str | None]],
                     record: Callable[[StepEvent], None], error: str) -> list[SystemResult]:
    """The customer failed as a whole: every system it had not completed is failed, with the error, for retry."""
    out = []
    for system in systems:
        if "complete" in done.get((order.account, system), {}):
            out.append(SystemResult(order.account, system, "done"))
            continue
        record(StepEvent(order.account, system, "complete", "failed", error=error))
        out.append(SystemResult(order.account, system, "failed", error=error))
    return out


def _customer_steps(
    order: CustomerOrder,
    provisioners: Sequence[tuple[str, Provisioner]],
    done: Mapping[tuple[str, str], Mapping[str, str | None]],
    record: Callable[[StepEvent], None],
    guard: Callable[[CustomerOrder], str | None] | None,
    state: _Customer,
) -> list[SystemResult]:
    if guard is not None:
        try:
            refused = guard(order)
        except ConnectorError as exc:  # could not even look: try again on a later run
            state.stopped = str(exc)
            return [SystemResult(order.account, s, "failed", error=str(exc)) for s, _ in provisioners]
        if refused:
            record(StepEvent(order.account, "broadworks", "complete", "failed", error=refused))
            state.stopped = refused
            return [SystemResult(order.account, s, "failed", error=refused) for s, _ in provisioners]
    bw_done = state.bw_done

    def track(event: StepEvent) -> None:
        if event.system == "broadworks" and event.status == "done":
            bw_done.add(event.step)
        record(event)

    results: list[SystemResult] = []
    for system, prov in provisioners:
        steps = done.get((order.account, system), {})
        if "complete" in steps:
            results.append(SystemResult(order.account, system, "done"))
            state.results.append(results[-1])
            continue
        if system == "billing":
            bw = next((r for r in state.results if r.system == "broadworks"),
                      SystemResult(order.account, "broadworks", "done"))
            waiting = _service_ready(order, bw, bw_done)
            if waiting:
                record(StepEvent(order.account, system, "complete", "failed", error=waiting))
                results.append(SystemResult(order.account, system, "failed", error=waiting))
                state.results.append(results[-1])
                continue
        try:
            res: SystemResult = prov.provision(order, steps, track)
        except ConnectorError as exc:  # retries exhausted: the step stays in doubt/failed for a later run
            res = SystemResult(order.account, system, "failed", error=str(exc))
            record(StepEvent(order.account, system, "complete", "failed", error=str(exc)))
        except Exception as exc:  # unexpected: this customer fails in this system, recorded
            res = SystemResult(order.account, system, "failed", error=_unexpected(exc))
            record(StepEvent(order.account, system, "complete", "failed", error=res.error))
        else:
            record(StepEvent(order.account, system, "complete", "done" if res.status == "done" else "failed",
                             error=res.error))
        results.append(res)
        state.results.append(res)
    return results


Guard = Callable[[CustomerOrder, OcipClient, Callable[[str], None] | None], str | None]


def provision_orders(
    systems: Systems,
    orders: Sequence[CustomerOrder],
    done: Mapping[tuple[str, str], Mapping[str, str | None]],
    record: Callable[[StepEvent], None],
    on_admin_credentials: AdminCredentials,
    *,
    concurrency: int,
    guard: Guard | None = None,
) -> Iterator[tuple[CustomerOrder, list[SystemResult]]]:
    """Every order in every system; yields each order with its results, in order (issue 18 b).

    The BroadWorks commands of the orders share documents (up to 15 commands, several customers):
    ``BW_CUSTOMERS_PER_SESSION x concurrency`` customers at a time run their BroadWorks phase, each on a
    thread, through one ``SharedDocuments`` client, its independent steps at once; billing and tickets
    start for a customer as soon as its BroadWorks phase is over, on ``concurrency`` threads.
    ``guard(order, client, absent)``: the CUSTOMER_EXISTS check, sent through the shared client
    (``absent`` hears an enterprise found free).
    """
    width = max(1, min(len(orders), BW_CUSTOMERS_PER_SESSION * concurrency))
    shared = SharedDocuments(systems.broadworks, sessions=max(1, concurrency), members=width)
    provisioners = systems.provisioners(on_admin_credentials, broadworks=shared)
    bw_prov = provisioners[0][1]
    absent = bw_prov.looked_up_absent if isinstance(bw_prov, BroadWorksProvisioner) else None
    check = (lambda order: guard(order, shared, absent)) if guard is not None else None
    states = {o.account: _Customer(set(done.get((o.account, "broadworks"), {}))) for o in orders}
    queue = deque(orders)
    taken = threading.Lock()
    started: dict[str, Future[tuple[list[SystemResult], Future[list[SystemResult]]]]] = {
        o.account: Future() for o in orders}

    try:
        with (ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="provision") as later,
              ThreadPoolExecutor(max_workers=width, thread_name_prefix="provision-bw") as first):

            def broadworks_worker() -> None:
                # ``width`` customers are in their BroadWorks phase at any time: a worker takes the next
                # one as soon as its customer is through, so BroadWorks keeps ahead of billing from the
                # first customers on; it leaves the shared documents only when no customer is left.
                try:
                    while True:
                        with taken:
                            if not queue:
                                return
                            order = queue.popleft()
                        slot = started[order.account]
                        try:
                            service = _customer(order, provisioners[:1], done, record, check, states[order.account])
                            slot.set_result((service, later.submit(
                                _customer, order, provisioners[1:], done, record, None, states[order.account])))
                        except BaseException as exc:
                            slot.set_exception(exc)
                            raise
                finally:
                    shared.leave()

            for _ in range(width):
                first.submit(broadworks_worker)
            for order in orders:
                service, rest = started[order.account].result()
                yield order, [*service, *rest.result()]
    finally:
        shared.close()


def provision_accounts(
    store: Store,
    systems: Systems,
    vault: Vault,
    batch_id: str,
    accounts: Sequence[str],
    *,
    concurrency: int,
    on_progress: Callable[[int], None] | None = None,
    on_flush: Callable[[], None] | None = None,
    flush_every: float = 5.0,
) -> ChunkResult:
    """Provision the given accounts of a batch (a chunk); the ledger is flushed as results come in.

    Flushed at least every ``flush_every`` seconds (then ``on_flush``, e.g. the status snapshot), so a
    kill loses little and ``onboard status`` shows progress during a long chunk.
    """
    plans = load_plans(store, batch_id, accounts)
    passwords = plan_rows.sealed_passwords(store, batch_id)
    done = done_steps(store, batch_id, accounts)
    ledger = LedgerBuffer(batch_id)
    outbox = Outbox(store, vault, batch_id)
    orders: list[CustomerOrder] = []
    for _, p in plans:
        try:
            orders.append(CustomerOrder.from_dict(p, portal_password=vault.open(passwords.get(p["account"]))))
        except Exception as exc:  # one unreadable plan fails its customer, not the chunk
            for system in SYSTEMS:
                ledger(StepEvent(str(p.get("account")), system, "complete", "failed", error=_unexpected(exc)))
    out = ChunkResult(accounts=len(plans))
    for system in SYSTEMS:
        out.failed[system] += len(plans) - len(orders)
    claims = Claims(store, batch_id, orders, {p["account"]: k for k, p in plans})

    def guard(order: CustomerOrder, broadworks: OcipClient, absent: Callable[[str], None] | None) -> str | None:
        if order.follow_on:  # claims no enterprise: what it builds on must exist (pipeline.follow_on.refused)
            return follow_on.refused(order, systems, ledger)
        return _refused(order, broadworks, claims, ledger, absent)

    flushed = time.monotonic()
    for i, (order, got) in enumerate(
        provision_orders(systems, orders, done, ledger, outbox.admin_credentials, concurrency=concurrency, guard=guard),
        start=1,
    ):
        results = got
        try:
            _record_results(store, batch_id, order, results)
            code = next((c for r in results for c in follow_on.RUN_TIME_CODES
                         if r.error and r.error.startswith(c + ":")), None)
            if code == "CUSTOMER_EXISTS":
                _reject(store, batch_id, order)
            elif code is not None:  # a follow-on whose enterprise or customer is gone (issue 19)
                inventory.release(store, batch_id, order.account)
                reject_order(store, batch_id, order.account, code, next(r.error or "" for r in results))
        except Exception as exc:  # this customer fails, the chunk goes on
            results = _fail_unfinished(order, SYSTEMS, done, ledger, _unexpected(exc))
        for r in results:
            (out.done if r.status == "done" else out.failed)[r.system] += 1
        if ledger.pending_count() >= 500 or time.monotonic() - flushed >= flush_every:
            ledger.flush(store)
            flushed = time.monotonic()
            if on_flush is not None:
                on_flush()
        if on_progress is not None:
            on_progress(i)
    ledger.flush(store)
    return out


def _reject(store: Store, batch_id: str, order: CustomerOrder) -> None:
    """A customer finally rejected at run time: its reserved numbers go back, a finding says why."""
    inventory.release(store, batch_id, order.account)
    results.reject_customer(store, batch_id, order.account, order.enterprise_id)


def _record_results(store: Store, batch_id: str, order: CustomerOrder, done: Sequence[SystemResult]) -> None:
    for r in done:
        if r.system == "broadworks" and r.status == "done":
            inventory.mark_assigned(store, [n.number for n in order.numbers if n.source == "inventory"])
        if r.system == "billing" and r.external_ids:
            results.record_billing_accounts(store, batch_id, order.partner_id, order.account, r.external_ids)
        if r.system == "tickets":
            results.record_tickets(store, batch_id, order, r.external_ids)


