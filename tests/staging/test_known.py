"""known_customers (issue 19): what earlier valid batches of a partner gave each account, from the staged
customers, plans, package lines and DID requests; the snapshot's copy for readers while a run holds the
database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from core.known import KnownCustomer
from staging.batches import known_customers
from staging.snapshot import read_known, write_snapshot
from staging.store import Store

T0 = datetime(2025, 6, 1, tzinfo=UTC)
BILL_ENT, BILL_GROUP = "Multi-Group - Bill Enterprise", "Multi-Group - Bill Group"


def _batch(store: Store, bid: str, n: int, partner: str = "acme-telecom") -> None:
    store.insert("batches", pd.DataFrame([{"batch_id": bid, "partner_id": partner, "mode": "order", "sources": "[]",
                                           "received_at": T0 + timedelta(days=n), "status": "done"}]))


def _order(store: Store, bid: str, account: str, *, kind: str | None, fp: str, billing: str = "",
           enterprise: str = "", lines: list[tuple[str, str, int]] = (), dids: int = 0, status: str = "valid",
           partner: str = "acme-telecom") -> None:
    key = " ".join(account.casefold().split())
    store.insert("customers", pd.DataFrame([{"batch_id": bid, "partner_id": partner, "account_key": key,
                                             "account": account, "row": 2, "status": status, "fingerprint": fp,
                                             "billing_type": billing}]))
    plan: dict[str, object] = {"account": account}
    if kind is not None:  # a plan written before follow-on orders has neither key
        plan |= {"order_kind": kind, "enterprise_account": enterprise or account}
    store.insert("plans", pd.DataFrame([{"batch_id": bid, "account_key": key, "account": account, "chunk": 0,
                                         "plan": json.dumps(plan)}]))
    if lines:
        store.insert("package_lines", pd.DataFrame([{"batch_id": bid, "account_key": key, "row": i + 2,
                                                     "order_type": o, "package": p, "quantity": q}
                                                    for i, (o, p, q) in enumerate(lines)]))
    if dids:
        store.insert("did_requests", pd.DataFrame([{"batch_id": bid, "account_key": key, "row": 2, "npa": "512",
                                                    "nxx": "555", "quantity": dids}]))


def _stage_history(store: Store) -> None:
    _batch(store, "b1", 1)
    # before issue 19: no order kind in the plan -> a New Customer
    _order(store, "b1", "Acme Dental", kind=None, fp="fa", billing=BILL_ENT, dids=4,
           lines=[("Hosted PBX", "Enterprise Standard", 5), ("DID", "Additional DID's", 2)])
    _order(store, "b1", "Maple Clinic", kind="new_customer", fp="fm", billing=BILL_GROUP, dids=1,
           lines=[("Hosted UC One", "Select UC Extension - Phone Prime", 3), ("Fax Service", "Virtual Fax Desktop Unlimited", 1)])
    _order(store, "b1", "Held Co", kind="new_customer", fp="fh", billing=BILL_GROUP, status="held")
    _batch(store, "b2", 2)
    _order(store, "b2", "Acme Dental - Round Rock", kind="new_group", fp="fr", enterprise="Acme Dental", dids=2,
           lines=[("Hosted PBX", "Enterprise Standard", 2)])
    _order(store, "b2", "Maple Clinic", kind="add_services", fp="fs", dids=2,
           lines=[("Hosted UC One", "Select UC Extension - Phone Prime", 2)])
    _batch(store, "b3", 3)  # the same Add Services order again, in another file: one order, counted once
    _order(store, "b3", "Maple Clinic", kind="add_services", fp="fs", dids=2,
           lines=[("Hosted UC One", "Select UC Extension - Phone Prime", 2)])
    _batch(store, "o1", 4, partner="other")
    _order(store, "o1", "Acme Dental", kind="new_customer", fp="zz", billing=BILL_GROUP, partner="other",
           lines=[("Hosted PBX", "Enterprise Standard", 9)])


EXPECTED = {
    "acme dental": KnownCustomer("Acme Dental", "acme dental", "new_customer", "acme dental", BILL_ENT, 5, 4, "fa", 7,
                                 frozenset({("new_customer", "fa")})),
    "maple clinic": KnownCustomer("Maple Clinic", "maple clinic", "new_customer", "maple clinic", BILL_GROUP,
                                  6, 3, "fm", 6,  # 3 UC seats + 1 fax seat, then 2 more
                                  frozenset({("new_customer", "fm"), ("add_services", "fs")})),
    "acme dental - round rock": KnownCustomer("Acme Dental - Round Rock", "acme dental - round rock", "new_group",
                                              "acme dental", BILL_ENT, 2, 2, "fr", 2, frozenset({("new_group", "fr")})),
}


def test_known_customers_from_staging(isolated_home: Path) -> None:
    with Store.open(isolated_home) as store:
        _stage_history(store)
        known = known_customers(store, "acme-telecom")
        assert known == EXPECTED  # the held customer and the other partner's are not known
        assert known_customers(store, "other")["acme dental"].seats == 9
        # the batch being validated is left out: without b2 (b3 still holds the Add Services), no group
        without = known_customers(store, "acme-telecom", exclude_batch="b2")
        assert set(without) == {"acme dental", "maple clinic"} and without["maple clinic"].seats == 6
        assert known_customers(store, "acme-telecom", exclude_batch="b1") == {
            "acme dental - round rock": KnownCustomer("Acme Dental - Round Rock", "acme dental - round rock",
                                                      "new_group", "acme dental", "", 2, 2, "fr", 2,
                                                      frozenset({("new_group", "fr")}))}


def test_snapshot_answers_the_same_while_the_run_holds_the_database(isolated_home: Path) -> None:
    assert read_known(isolated_home, "acme-telecom") == {}  # nothing staged yet
    with Store.open(isolated_home) as store:  # the writer lock is held from here on
        _stage_history(store)
        write_snapshot(store)
        assert read_known(isolated_home, "acme-telecom") == EXPECTED
        assert set(read_known(isolated_home, "acme-telecom", exclude_batch="b2")) == {"acme dental", "maple clinic"}
        assert read_known(isolated_home, "nobody") == {}
