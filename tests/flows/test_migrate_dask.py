"""``migrate_book`` on a local Dask cluster: connector work on the workers, DuckDB written by the flow only."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from prefect.testing.utilities import prefect_test_harness

from connectors.systems import Systems
from core.settings import Settings
from data.samples.generate import write_big_book
from flows.migrate_book import _FileOutbox, migrate
from pipeline import batch as pipeline
from pipeline import migrate as M
from tests.flows.test_migrate import _assert_exactly_once, _task_runs
from tests.pipeline.mailbox import credential_files, logins_in, read_message


@pytest.fixture
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.mark.slow
def test_small_migration_on_two_dask_workers(isolated_home: Path, harness: None) -> None:
    settings = Settings(home=isolated_home)
    n = 200
    book = write_big_book(isolated_home.parent / "book.xlsx", n, 3, start="2020-01-01")
    result = migrate(settings, [book], chunk_size=50, workers=4, dask="local:2", cutover="2030-01-01")
    c = result["customers"]
    assert (c["total"], c["provisioned"], c["billed"], c["failed"]) == (n, n, n, 0)
    # the connector work ran in the two worker processes, not here (this process alone holds DuckDB)
    assert len(result["worker_pids"]) == 2 and os.getpid() not in result["worker_pids"]
    _assert_exactly_once(isolated_home, n)
    [mail] = credential_files(isolated_home)  # one message for the whole migration's logins
    assert len({x.admin_user_id for x in logins_in(read_message(mail))}) == n
    with pipeline.open_context(settings) as ctx:
        bid = result["batches"][0]["batch"]
        assert ctx.store.scalar(
            "SELECT count(DISTINCT account) FROM ledger WHERE batch_id = ? AND step = 'complete' AND status = 'done' "
            "AND system = 'broadworks'", [bid]) == n
        assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE batch_id = ? AND status = 'sent' "
                                "AND kind = 'admin_credentials'", [bid]) == n
        assert ctx.store.scalar("SELECT count(*) FROM outbox WHERE payload_enc IS NOT NULL") == 0
        # chunk exchange files are gone once loaded
        assert not list(M.work_dir(ctx.home, bid).glob("chunk-*"))
    names = sorted(t.name.rsplit("-", 1)[0] for t in _task_runs(result["flow_run_id"]))
    assert names == ["provision-chunk"] * 4 + ["reconcile", "stage-book"]


def test_credentials_a_dead_worker_queued_are_recovered(isolated_home: Path) -> None:
    """A worker writes sealed credentials to disk before the admin exists; a restart loads them."""
    settings = Settings(home=isolated_home)
    book = write_big_book(isolated_home.parent / "book.xlsx", 3, 2)
    with pipeline.open_context(settings) as ctx:
        bid = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-01-01")).batch_id
        order: Any = SimpleNamespace(partner_id="default", enterprise_id="E1", group_id="E1_G1", partner_name="P",
                                     account="Acme", partner_email="noc@example.com")
        path = M.work_dir(ctx.home, bid) / "chunk-00000.outbox.jsonl"
        _FileOutbox(path, ctx.vault).admin_credentials(order, "E1_admin", "S3cret!pw")
        assert "S3cret!pw" not in path.read_text()  # sealed on disk
        assert M.recover(ctx, cast(Systems, None), bid) == 1
        (row,) = ctx.store.con.execute(
            "SELECT id, account, status, payload_enc FROM outbox WHERE batch_id = ?", [bid]).fetchall()
        assert row[:3] == ("admin:default:E1", "Acme", "queued")
        assert json.loads(ctx.vault.open(row[3]))["password"] == "S3cret!pw"
        assert not path.exists()
