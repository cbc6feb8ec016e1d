"""The ``nightly_finance`` flow under a temporary Prefect server: one test, the harness is slow."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.objects import Artifact, ConcurrencyLimitStrategy
from prefect.client.schemas.schedules import CronSchedule
from prefect.testing.utilities import prefect_test_harness

from core.errors import UsageError
from core.settings import ConfigError, Settings
from data.samples.generate import write_xlsx
from flows.nightly_finance import SUMMARY_KEY, WORKBOOK_KEY, nightly_deployment, nightly_finance
from onboard.serve import check_schedule, healthy, port_in_use, prefect_server
from pipeline.batch import run_file
from pipeline.stage import RunOptions
from reports import compare
from tests.pipeline.test_nightly import DAY, STARTS, delete_billing_account, expected_mrc, sample_book


def artifact(key: str) -> Artifact:
    with get_client(sync_client=True) as client:
        (found,) = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))
    return found


@pytest.fixture
def harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=60):
        yield


def test_flow_writes_workbook_and_artifacts(isolated_home: Path, harness: None) -> None:
    settings = Settings(home=isolated_home)
    book = sample_book()
    done = run_file(settings, write_xlsx(book, isolated_home.parent / "orders.xlsx"), RunOptions())
    assert done["customers"]["billed"] == 4
    delete_billing_account(settings, "Cedar Dental")
    summary = nightly_finance(date=DAY.isoformat())
    workbook = Path(summary["workbook"])
    assert workbook == isolated_home / "reports" / "nightly-2026-04-15.xlsx" and workbook.exists()
    assert summary["by_kind"] == {compare.TICKET_OPEN: 2, compare.PROVISIONED_NOT_BILLED: 1}
    assert summary["expected_mrc"] == round(sum(expected_mrc(book, a) for a in STARTS), 2)
    assert summary["billed_mrc"] == round(summary["expected_mrc"] - expected_mrc(book, "Cedar Dental"), 2)
    assert (isolated_home / "nightly" / "exceptions-2026-04-15.parquet").exists()

    table = artifact(SUMMARY_KEY)
    assert table.type == "table"
    assert "PROVISIONED_NOT_BILLED" in str(table.data) and "billed mrc" in str(table.data)
    link = artifact(WORKBOOK_KEY)
    assert link.type == "markdown"  # Prefect stores a link artifact as markdown
    assert f"({workbook.as_uri()})" in str(link.data)


# -- onboard serve: the deployment and the checks, without a server -------------------------------
def test_nightly_deployment_schedule_and_limit() -> None:
    dep = nightly_deployment("30 1 * * *", "America/Chicago")
    (sched,) = dep.schedules or []
    assert isinstance(sched.schedule, CronSchedule)
    assert (sched.schedule.cron, sched.schedule.timezone) == ("30 1 * * *", "America/Chicago")
    assert dep.concurrency_limit == 1
    assert dep.concurrency_options is not None
    assert dep.concurrency_options.collision_strategy == ConcurrencyLimitStrategy.ENQUEUE
    assert dep.entrypoint == "flows.nightly_finance.nightly_finance"


@pytest.mark.parametrize(("changes", "error"), [
    ({"nightly_cron": "0 2 * *"}, UsageError),
    ({"timezone": "Mars/Olympus"}, UsageError),
    ({"billing_url": "http://127.0.0.1:9/"}, ConfigError),
])
def test_serve_refuses_what_would_fail_at_night(
    isolated_home: Path, changes: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error):
        check_schedule(Settings(home=isolated_home, **changes))  # type: ignore[arg-type]
    check_schedule(Settings(home=isolated_home))


def test_port_taken_by_something_else(isolated_home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(UsageError, match="not a Prefect server"), prefect_server(isolated_home / "log", port):
            pass


@pytest.mark.slow
def test_local_prefect_server_starts_and_stops(isolated_home: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with prefect_server(isolated_home / "logs" / "server.log", port) as url:
        assert url == f"http://127.0.0.1:{port}/api" and healthy(url)
        with prefect_server(isolated_home / "logs" / "other.log", port) as again:  # reused, not started twice
            assert again == url
        assert healthy(url)
    assert not healthy(url) and not port_in_use(port)


def test_nightly_task_runs_per_thousand_customers(isolated_home: Path, harness: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 18 (d): at most 2 task runs per 1,000 customers per stage, whatever chunk size is set
    (read-back tasks hold at least 500 customers), billing read once, and the night finds what was broken."""
    from collections import Counter
    from uuid import UUID

    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from bench.readback_seed import seed

    n = 1000
    book = seed(isolated_home, n)
    monkeypatch.setenv("ONBOARD_CHUNK_SIZE", "1")
    state = nightly_finance(date=DAY.isoformat(), return_state=True)
    summary = state.result()
    assert summary["customers"] == n
    assert summary["exceptions"] == sum(len(v) for v in book.expected().values()) > 0
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[UUID(str(state.state_details.flow_run_id))])))
    by_task = Counter(r.name.rsplit("-", 1)[0] for r in runs)
    assert by_task["read-back-chunk"] == 2 and by_task["read-billing"] == 1, by_task
    assert max(by_task.values()) * 1000 / n <= 2
