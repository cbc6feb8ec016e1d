"""Ids unique per customer (partner + account key), claimed in the ledger at staging (DESIGN §4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.ids import claim_ids
from staging.store import Store
from transforms.normalize import _key_of
from transforms.plan import MAX_ID_BYTES, assign_customer_ids, customer_ids


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "home") as s:
        yield s


def _stage(store: Store, batch: str, names: list[str], partner: str = "p") -> dict[str, dict[str, str]]:
    """What ``pipeline.stage.prepare`` does for ids: customers rows, then ``claim_ids`` in file order."""
    keys = [_key_of(n) for n in names]
    store.insert("customers", pd.DataFrame({"batch_id": batch, "partner_id": partner, "account_key": keys,
                                            "account": names, "row": range(2, 2 + len(names)), "status": "valid"}),
                 replace=True)
    frame = pd.DataFrame({"_account_key": keys, "account_name": names})
    return claim_ids(store, batch, partner, frame, keys)


def _all_ids(ids: dict[str, dict[str, str]]) -> list[str]:
    return [i[k] for i in ids.values() for k in ("enterprise_id", "admin_user_id")]


def test_names_that_slug_alike_get_distinct_ids_in_one_file(store: Store) -> None:
    names = ["Acme Dental", "Acme Dental.", "Acme-Dental", "ACME  dental!"]
    ids = _stage(store, "b1", names)
    assert len(ids) == 4  # four account keys: four customers (only the same key is the same customer)
    assert len({i["enterprise_id"] for i in ids.values()}) == len(ids)
    assert len(set(_all_ids(ids))) == 2 * len(ids)
    # the first keeps the plain derived ids; the others carry a suffix, never a merge
    assert ids["acme dental"] == customer_ids("p", "Acme Dental", "acme dental")
    assert ids["acme dental."]["enterprise_id"].startswith("p_Acme_Dental_")
    assert all(len(v.encode()) <= MAX_ID_BYTES for i in ids.values() for v in i.values())
    # the claims are in the ledger, one row per id
    rows = store.con.execute("SELECT step, count(*) FROM ledger WHERE batch_id = 'b1' GROUP BY step ORDER BY step").fetchall()
    assert rows == [("id:admin", 4), ("id:enterprise", 4), ("id:group", 4)]


def test_a_later_batch_never_reuses_an_id_and_a_restaged_batch_keeps_its_own(store: Store) -> None:
    first = _stage(store, "b1", ["Acme Dental"])
    second = _stage(store, "b2", ["Acme-Dental"])
    assert first["acme dental"]["enterprise_id"] != second["acme-dental"]["enterprise_id"]
    assert first["acme dental"]["admin_user_id"] != second["acme-dental"]["admin_user_id"]
    # staging b2 again (a kill before its plans were saved, or a resume): the same ids, nothing new claimed
    n = store.scalar("SELECT count(*) FROM ledger")
    again = _stage(store, "b2", ["Acme-Dental"])
    assert again == second and store.scalar("SELECT count(*) FROM ledger") == n
    # a third spelling still gets ids nobody had
    third = _stage(store, "b3", ["Acme Dental!"])
    used = set(_all_ids(first)) | set(_all_ids(second))
    assert not set(_all_ids(third)) & used


def test_legacy_run_claims_count_as_used(store: Store) -> None:
    """Enterprises claimed by runs before ids were claimed at staging are never handed out again."""
    store.con.execute("INSERT INTO ledger VALUES ('old', 'Acme Dental', 'broadworks', 'claim', 'done', 1, "
                      "'p_Acme_Dental', NULL, now())")
    ids = _stage(store, "b1", ["Acme-Dental"])
    assert ids["acme-dental"]["enterprise_id"] != "p_Acme_Dental"


def test_long_names_that_share_their_first_30_bytes_stay_apart(store: Store) -> None:
    base = "Northern Lights Family Dentistry and Orthodontics of"
    ids = _stage(store, "b1", [base + " Springfield", base + " Shelbyville", base + " Springfield."])
    assert len(set(_all_ids(ids))) == 6
    assert all(len(v.encode()) <= MAX_ID_BYTES for i in ids.values() for v in i.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet="Aa -.!éZz0", min_size=1, max_size=40).filter(lambda s: s.strip()), min_size=1,
                max_size=12))
def test_any_names_get_distinct_bounded_deterministic_ids(names: list[str]) -> None:
    customers = list({_key_of(n): (_key_of(n), n) for n in names}.values())
    taken: set[str] = set()
    ids = assign_customer_ids("partner", customers, {}, taken.__contains__, taken.add)
    assert len(set(_all_ids(ids))) == 2 * len(customers)
    assert all(len(v.encode()) <= MAX_ID_BYTES for i in ids.values() for v in i.values())
    again: set[str] = set()
    assert assign_customer_ids("partner", customers, {}, again.__contains__, again.add) == ids
