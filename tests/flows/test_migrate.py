"""``migrate_book``: migration mode (own numbers, cutover), chunked plans, and a kill half-way + restart."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.testing.utilities import prefect_test_harness

from connectors.broadworks.client import OcipClient
from connectors.broadworks.state import read_back
from connectors.systems import open_systems
from core.settings import SIM_SECRET, SIM_USER, Settings
from data.samples.generate import BIG_SHEETS, big_book_rows, write_big_book
from flows.migrate_book import migrate
from pipeline import batch as pipeline
from pipeline import migrate as M
from tests.pipeline.conftest import Sims, settings_for
from tests.pipeline.mailbox import credential_files, logins_in, read_message
from transforms.ingest import InputError


@pytest.fixture
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=90):
        yield


def test_cutover_defaults_to_next_first_and_never_back_bills() -> None:
    assert M.resolve_cutover(None, date(2026, 11, 25)) == "2026-12-01"
    assert M.resolve_cutover("", date(2026, 12, 5)) == "2027-01-01"
    assert M.resolve_cutover("2026-11-25", date(2026, 11, 25)) == "2026-11-25"
    with pytest.raises(InputError, match="back-bills"):
        M.resolve_cutover("2026-11-24", date(2026, 11, 25))
    with pytest.raises(InputError, match="not a date"):
        M.resolve_cutover("12/01/2026", date(2026, 11, 25))


def test_chunks_are_planned_with_own_numbers_and_the_cutover(isolated_home: Path) -> None:
    settings = Settings(home=isolated_home)
    book = write_big_book(isolated_home.parent / "book.xlsx", 12, 3, start="2020-01-01")  # billing start in the past
    opts = M.MigrateOptions(chunk_size=5, cutover="2030-02-01")
    with pipeline.open_context(settings) as ctx:
        prepared = M.stage_book(ctx, book, opts)
        assert prepared.totals == {"total": 12, "valid": 12, "held": 0, "skipped": 0}
        # no plans yet: they are built per chunk, just before it is provisioned
        assert ctx.store.scalar("SELECT count(*) FROM plans WHERE batch_id = ?", [prepared.batch_id]) == 0
        assert ctx.store.scalar("SELECT count(*) FROM findings WHERE code = 'BILLING_START_PAST'") == 0
        chunks = M.chunks_to_do(ctx, prepared.batch_id, opts.chunk_size)
        assert [len(c) for c in chunks] == [5, 5, 2]
        assert M.plan_chunk(ctx, prepared.batch_id, chunks[1], 1) == 5
        assert M.plan_chunk(ctx, prepared.batch_id, chunks[1], 1) == 0  # planned once
        rows = ctx.store.con.execute(
            "SELECT account, chunk, plan FROM plans WHERE batch_id = ? ORDER BY account", [prepared.batch_id]
        ).fetchall()
        assert sorted(a for a, _, _ in rows) == sorted(chunks[1]) and {c for _, c, _ in rows} == {1}
        for account, _, text in rows:
            plan = json.loads(text)
            assert plan["billing_start"] == "2030-02-01"
            assert [n["source"] for n in plan["numbers"]] == ["own"]
            assert plan["numbers"][0]["number"] == plan["main_number"]
            assert not any(f["kind"] == "lnp_order" for f in plan["follow_ups"])  # own numbers are not ported
            assert len(plan["packages"]) == 3 and plan["account"] == account
        # nothing taken from inventory, and the customers row carries the plan's ids and totals
        assert ctx.store.scalar("SELECT count(*) FROM did_inventory WHERE batch_id = ?", [prepared.batch_id]) == 0
        assert ctx.store.scalar(
            "SELECT count(*) FROM customers WHERE batch_id = ? AND enterprise_id IS NOT NULL", [prepared.batch_id]
        ) == 5
        # no password in the plan inputs kept for later chunks
        folder = M.work_dir(ctx.home, prepared.batch_id)
        assert b"Pw!" not in (folder / "Customers.arrow").read_bytes()


def test_a_folder_of_csv_files_is_a_book_too(isolated_home: Path) -> None:
    folder = isolated_home.parent / "book"
    folder.mkdir()
    rows: dict[str, list[list[object]]] = {s.name: [] for s in BIG_SHEETS}
    for sheet, row in big_book_rows(6, 2, start="2020-01-01"):
        rows[sheet].append(row)
    for s in BIG_SHEETS:
        with (folder / s.csv_name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([[c.label for c in s.columns], *rows[s.name]])
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = M.stage_book(ctx, folder, M.MigrateOptions(cutover="2030-02-01"))
        assert prepared.totals["valid"] == 6
        (chunk,) = M.chunks_to_do(ctx, prepared.batch_id, 500)
        assert M.plan_chunk(ctx, prepared.batch_id, chunk, 0) == 6
        plans = [json.loads(p) for (p,) in ctx.store.con.execute("SELECT plan FROM plans").fetchall()]
        assert all(p["numbers"][0]["source"] == "own" and len(p["packages"]) == 2 for p in plans)


def _sims(home: Path) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    return sqlite3.connect(home / "sim" / "broadworks.sqlite"), sqlite3.connect(home / "sim" / "billing.sqlite")


def _assert_exactly_once(home: Path, customers: int) -> None:
    bw, billing = _sims(home)
    try:
        assert bw.execute("SELECT count(*) FROM sp").fetchone()[0] == customers
        assert bw.execute("SELECT count(*) FROM grp").fetchone()[0] == customers
        assert bw.execute("SELECT count(*) FROM admin").fetchone()[0] == customers
        # every own number went to its customer's group, none twice
        assert bw.execute("SELECT count(*), count(DISTINCT sp) FROM dn WHERE grp IS NOT NULL").fetchone() == (
            customers, customers)
        dup = billing.execute("SELECT name, count(*) FROM accounts GROUP BY name, parent_id HAVING count(*) > 1")
        assert dup.fetchall() == []
        assert billing.execute("SELECT count(*) FROM accounts WHERE role = 'Customer'").fetchone()[0] == customers
        dup = billing.execute(
            "SELECT account_id, package_name, count(*) FROM account_packages GROUP BY 1, 2 HAVING count(*) > 1")
        assert dup.fetchall() == []
    finally:
        bw.close()
        billing.close()


def _task_runs(flow_run_id: str) -> list[Any]:
    with get_client(sync_client=True) as client:
        return client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])))


@pytest.mark.slow
def test_migration_killed_half_way_completes_on_restart_without_duplicates(
    isolated_home: Path, harness: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(home=isolated_home)
    n = 24
    book = write_big_book(isolated_home.parent / "book.xlsx", n, 3, start="2020-01-01")
    real = M.provision_here
    calls: list[int] = []

    def dies_in_chunk_two(ctx: Any, systems: Any, batch_id: str, accounts: list[str], *_: Any) -> dict[str, Any]:
        calls.append(len(accounts))
        if len(calls) == 2:
            real(ctx, systems, batch_id, accounts[: len(accounts) // 2])
            raise RuntimeError("killed half-way")
        return real(ctx, systems, batch_id, accounts)

    monkeypatch.setattr(M, "provision_here", dies_in_chunk_two)
    with pytest.raises(RuntimeError, match="killed half-way"):
        migrate(settings, [book], chunk_size=8, workers=4, cutover="2030-01-01")
    monkeypatch.setattr(M, "provision_here", real)

    result = migrate(settings, [book], chunk_size=8, workers=4, cutover="2030-01-01")
    c = result["customers"]
    assert (c["total"], c["valid"], c["provisioned"], c["billed"], c["failed"]) == (n, n, n, n, 0)
    assert result["chunks"] == 2  # 24 - 8 done - 4 done = 12 left: chunks of 8 and 4
    _assert_exactly_once(isolated_home, n)
    # every admin's credentials mailed once to the partner, all in one message: the killed run never
    # finished, so it mailed nothing; the resume mails every login once its provisioning is over
    [mail] = credential_files(isolated_home)
    logins = logins_in(read_message(mail))
    assert len(logins) == len({x.admin_user_id for x in logins}) == len({x.password for x in logins}) == n
    # one stage, one task per chunk, one reconcile: at most one task run per 500 customers per stage
    names = sorted(t.name.rsplit("-", 1)[0] for t in _task_runs(result["flow_run_id"]))
    assert names == ["provision-chunk", "provision-chunk", "reconcile", "stage-book"]
    with get_client(sync_client=True) as client:
        (art,) = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["migrate-progress"]),
            flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(result["flow_run_id"])])))
    assert art.type == "progress" and float(str(art.data)) == 100.0


def test_a_migration_with_dids_rows_gets_its_new_numbers_from_inventory(isolated_home: Path, sims: Sims) -> None:
    """DIDs rows of a migrated book: reserved from inventory as in a run, beside the customers' own numbers,
    assigned in BroadWorks; a shortfall opens a backorder ticket; never validated and then dropped."""
    folder = isolated_home.parent / "book"
    folder.mkdir()
    rows: dict[str, list[list[object]]] = {s.name: [] for s in BIG_SHEETS}
    for sheet, row in big_book_rows(3, 2, start="2020-01-01"):
        rows[sheet].append(row)
    names = [r[1] for r in rows["Customers"]]
    for s in BIG_SHEETS:
        with (folder / s.csv_name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([[c.label for c in s.columns], *rows[s.name]])
    with (folder / "dids.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([
            ["Account Name", "NPA", "NXX", "Quantity", "Numbers", "Purpose", "Fax Email", "Notes"],
            [names[0], "512", "555", "2", "", "Voice", "", ""],
            [names[1], "212", "555", "", "212-555-0105", "Fax", "fax@one.example.com", ""],
            [names[2], "999", "555", "1", "", "Voice", "", ""],  # an NPA-NXX the inventory does not hold
            [names[2], "512", "555", "", "512-555-0100", "Voice", "", ""],  # given to names[0] just before
        ])
    settings = settings_for(isolated_home, sims)
    with pipeline.open_context(settings) as ctx:
        prepared = M.stage_book(ctx, folder, M.MigrateOptions(cutover="2030-02-01"))
        assert prepared.totals["valid"] == 3
        (chunk,) = M.chunks_to_do(ctx, prepared.batch_id, 500)
        assert M.plan_chunk(ctx, prepared.batch_id, chunk, 0) == 3
        plans = {json.loads(p)["account"]: json.loads(p)
                 for (p,) in ctx.store.con.execute("SELECT plan FROM plans").fetchall()}
        new = {a: [n for n in p["numbers"] if n["source"] == "inventory"] for a, p in plans.items()}
        assert [n["number"][:8] for n in new[names[0]]] == ["+1512555", "+1512555"]
        assert [(n["number"], n["purpose"], n["fax_email"]) for n in new[names[1]]] == [
            ("+12125550105", "Fax", "fax@one.example.com")]
        assert all(sum(n["source"] == "own" for n in p["numbers"]) == 1 for p in plans.values())
        assert new[names[0]][0]["number"] == "+15125550100"
        # the number taken is backordered, never swapped for another one (a migration validates no inventory)
        assert new[names[2]] == []
        assert {(f["kind"], f["detail"]) for f in plans[names[2]]["follow_ups"]} >= {
            ("did_backorder", "999-555"), ("did_backorder", "512-555")}
        assert sorted(ctx.store.con.execute("SELECT reserved, backordered FROM did_requests WHERE batch_id = ?",
                                            [prepared.batch_id]).fetchall()) == [(0, 1), (0, 1), (1, 0), (2, 0)]
        reserved = ctx.store.frame(
            "SELECT account, number FROM did_inventory WHERE batch_id = ? AND status = 'reserved'", [prepared.batch_id])
        assert sorted(reserved["number"]) == sorted(n["number"] for ns in new.values() for n in ns)
        with open_systems(ctx.home, settings) as systems:
            M.provision_here(ctx, systems, prepared.batch_id, chunk)
        assert ctx.store.scalar("SELECT count(*) FROM did_inventory WHERE batch_id = ? AND status = 'assigned'",
                                [prepared.batch_id]) == 3
        # planned again (a resumed chunk): nothing more is reserved
        ctx.store.con.execute("DELETE FROM plans WHERE batch_id = ?", [prepared.batch_id])
        assert M.plan_chunk(ctx, prepared.batch_id, chunk, 0) == 3
        assert ctx.store.scalar("SELECT count(*) FROM did_inventory WHERE batch_id = ?", [prepared.batch_id]) == 3
    bw = OcipClient(sims.broadworks.base_url + "/webservice/services/ProvisioningService", SIM_USER, SIM_SECRET)
    try:
        for account, p in plans.items():
            got = read_back(bw, p["enterprise_id"], p["group_id"])
            held = {"+" + "".join(ch for ch in n if ch.isdigit()) for n in got["numbers"]}
            assert held == {n["number"] for n in p["numbers"]}, account
    finally:
        bw.close()
    backorder = sims.tk.tickets(external_id=f"default:{names[2]}:did_backorder:999-555")
    assert len(backorder) == 1


def test_a_migration_checks_specific_numbers_against_the_inventory(isolated_home: Path, sims: Sims) -> None:
    """One core function (issue 15): a migration is validated with the inventory too, so a specific number
    that is not free is DID_NOT_AVAILABLE (the customer held), not silently backordered."""
    folder = isolated_home.parent / "book"
    names = _csv_book(folder, 2, lambda names: [[names[1], "512", "555", "", "512-555-0999", "Voice", "", ""]])
    settings = settings_for(isolated_home, sims)
    with pipeline.open_context(settings) as ctx:
        prepared = M.stage_book(ctx, folder, M.MigrateOptions(cutover="2030-02-01"))
        assert (prepared.totals["valid"], prepared.totals["held"]) == (1, 1)
        found = ctx.store.frame("SELECT account, code, \"column\" FROM findings WHERE batch_id = ? AND severity = 'error'",
                                [prepared.batch_id])
        assert found.to_dict("records") == [{"account": names[1], "code": "DID_NOT_AVAILABLE", "column": "Numbers"}]


def _csv_book(folder: Path, customers: int, dids: Any) -> list[str]:
    """A migration folder of CSV files; ``dids(names)`` gives the DIDs rows. Returns the account names."""
    folder.mkdir()
    rows: dict[str, list[list[object]]] = {s.name: [] for s in BIG_SHEETS}
    for sheet, row in big_book_rows(customers, 2, start="2020-01-01"):
        rows[sheet].append(row)
    names = [str(r[1]) for r in rows["Customers"]]
    for s in BIG_SHEETS:
        with (folder / s.csv_name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([[c.label for c in s.columns], *rows[s.name]])
    with (folder / "dids.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([
            ["Account Name", "NPA", "NXX", "Quantity", "Numbers", "Purpose", "Fax Email", "Notes"], *dids(names)])
    return names
