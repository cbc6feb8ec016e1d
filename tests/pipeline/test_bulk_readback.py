"""Read-back at book scale (issue 18 (c)): the nightly and the batch reconciliation read the systems in bulk.

A book of 40 onboarded customers is seeded into the simulators' state and staging (``bench.readback_seed``),
some broken on purpose; the simulators' journals count what the read-back sent.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bench.readback_seed import BATCH, Seeded, seed
from connectors.broadworks.readback import read_back_many
from connectors.broadworks.state import read_back
from connectors.systems import open_systems
from core.settings import Settings
from pipeline import nightly
from pipeline.batch import open_context
from pipeline.readback import read_billing
from pipeline.reconcile import reconcile
from reports import compare

N = 40
BROKEN = {"no_enterprise": 9, "admin": 7, "unassigned": 11, "retailrates": 13}
DAY = date(2026, 4, 15)
COMPARED = ("enterprise_exists", "group_exists", "numbers", "admins")  # what provisioning_gaps reads


@pytest.fixture
def seeded(isolated_home: Path) -> tuple[Settings, Seeded]:
    book = seed(isolated_home, N, BROKEN)
    return Settings(home=isolated_home, sim_journal_dir=isolated_home / "journal", concurrency=2), book


def journal(settings: Settings, system: str) -> list[dict[str, Any]]:
    path = settings.home / "journal" / f"{system}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_nightly_reads_back_the_book_in_bulk(seeded: tuple[Settings, Seeded]) -> None:
    settings, book = seeded
    with open_context(settings, "test") as ctx, open_systems(ctx.home, settings) as systems:
        readbacks = nightly.read_back_customers(systems, nightly.load_book(ctx.store), 2)
        _, summary = nightly.run_nightly(ctx, systems, DAY)
    # what the comparison found is exactly what was broken
    found: dict[str, set[str]] = {}
    for r in readbacks:
        plan = next(p for p in nightly.book_plans(_book(settings)) if p["account"] == r["account"])
        for code, _ in nightly.customer_exceptions(plan, r["broadworks"], r["billing"]):
            found.setdefault(r["account"], set()).add(code)
    assert found == book.expected()
    assert summary["exceptions"] == sum(len(v) for v in book.expected().values())
    assert summary["customers"] == N
    # two read-backs of 40 customers (the gatherer above, then the whole night): < 1 request per customer each
    bw, bl, tk = (journal(settings, s) for s in ("broadworks", "billing", "tickets"))
    assert (len(bw) + len(bl) + len(tk)) / (2 * N) < 1, (len(bw), len(bl), len(tk))
    # BroadWorks: list requests only, many to a document (never one customer's Gets one at a time)
    sizes = [len(re.findall(r"<command ", e["request"])) for e in bw]
    types = Counter(t for e in bw for t in re.findall(r'xsi:type="(\w+)"', e["request"]))
    assert max(sizes) == 15
    assert not {t for t in types if "Get" in t and "List" not in t}, types
    assert types["ServiceProviderAdminGetListRequest14"] == 2 * N  # one per customer and read-back, no more
    # billing: the partner's book in paged searches, whatever the number of customers
    searches = [e for e in bl if e["request"]["path"].endswith("/Search")]
    assert all(e["request"]["body"]["query"]["top"] <= 10000 for e in searches)
    assert len(searches) <= 2 * 6


def _book(settings: Settings) -> Any:
    with open_context(settings, "read") as ctx:
        return nightly.load_book(ctx.store)


def test_bulk_read_back_says_what_one_at_a_time_says(seeded: tuple[Settings, Seeded]) -> None:
    """Same state, same answers: the bulk reader vs ``state.read_back`` per customer, and the comparison's
    verdict on each (its results must not change with the way the systems are read)."""
    settings, _ = seeded
    plans = nightly.book_plans(_book(settings))
    with open_context(settings, "test") as ctx, open_systems(ctx.home, settings) as systems:
        bulk = read_back_many(systems.broadworks, [(p["enterprise_id"], p["group_id"]) for p in plans], concurrency=2)
        single = [read_back(systems.broadworks, p["enterprise_id"], p["group_id"]) for p in plans]
        billing = read_billing(systems.billing, plans)
    assert len(bulk) == len(single) == N
    for p, b, s in zip(plans, bulk, single, strict=True):
        assert {k: b[k] for k in COMPARED} == {k: s[k] for k in COMPARED}, p["account"]
        assert b["numbers_unassigned"] == s["numbers_unassigned"]
        bl = billing.view(p)
        assert compare.compare(p, b, bl) == compare.compare(p, s, bl)
    assert sum(not b["enterprise_exists"] for b in bulk) == len(range(8, N, 9))


def test_one_enterprise_is_asked_once_for_all_its_groups(seeded: tuple[Settings, Seeded]) -> None:
    settings, _ = seeded
    plans = nightly.book_plans(_book(settings))[:3]
    pairs = [(plans[0]["enterprise_id"], plans[0]["group_id"]), (plans[0]["enterprise_id"], "another_G2"),
             *[(p["enterprise_id"], p["group_id"]) for p in plans[1:]]]
    with open_context(settings, "test") as ctx, open_systems(ctx.home, settings) as systems:
        before = len(journal(settings, "broadworks"))
        got = read_back_many(systems.broadworks, pairs, concurrency=1)
        docs = journal(settings, "broadworks")[before:]
    assert [g["group_exists"] for g in got] == [True, False, True, True]
    assert got[1]["numbers"] == [] and got[1]["admins"] == got[0]["admins"]
    commands = [t for e in docs for t in re.findall(r'xsi:type="(\w+)"', e["request"]) if "Login" not in t
                and t != "AuthenticationRequest"]
    assert len(commands) == 3 * 3 + 4  # 3 per enterprise + one group list per (enterprise, group)


def test_batch_reconciliation_gathers_the_same_way_and_agrees(seeded: tuple[Settings, Seeded]) -> None:
    settings, book = seeded
    with open_context(settings, "test") as ctx, open_systems(ctx.home, settings) as systems:
        out = reconcile(ctx.store, systems, BATCH, ctx.home, concurrency=2)
    bw = journal(settings, "broadworks")
    types = Counter(t for e in bw for t in re.findall(r'xsi:type="(\w+)"', e["request"]))
    assert types["ServiceProviderAdminGetListRequest14"] == N
    assert len(bw) + len(journal(settings, "billing")) < N
    rows = list(load_workbook(out, read_only=True)["Exceptions"].iter_rows(values_only=True))
    head = [str(h).lower() for h in rows[0]]
    got: dict[str, set[str]] = {}
    for r in rows[1:]:
        got.setdefault(str(r[head.index("account")]), set()).add(str(r[head.index("code")]))
    assert got == book.expected()
