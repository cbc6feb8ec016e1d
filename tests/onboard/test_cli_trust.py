"""Issue 16, the CLI half: a command line people trust (help, --version, --json, exit codes, --force)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from rich.console import Console

from data.samples.generate import SAMPLE, write_big_book
from onboard import commands
from onboard.output import exit_code, looks_like_batch, print_migrate, print_nightly
from onboard.progress import Progress

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "tests" / "cases" / "clean.xlsx"


def onboard(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "onboard.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})}, check=False)


def one_error_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def test_version() -> None:
    proc = onboard("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "onboard 0.1.0"


COMMANDS = [["validate"], ["run"], ["migrate"], ["plan"], ["retry"], ["status"], ["template"], ["inventory", "show"],
            ["inventory", "load"], ["report", "nightly"], ["serve"], ["sim"], ["demo"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c))
def test_help_shows_switches_as_switches_and_one_placeholder_style(command: list[str]) -> None:
    proc = onboard(*command, "--help")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "<" not in text and "{" not in text, text  # no <bool>, <str>, <path>, {FILE}
    assert "TEXT" not in text and "INTEGER" not in text and "FLOAT" not in text and "PATH " not in text.replace(
        "PATH...", ""), text  # click's type names are not our placeholders
    for line in text.splitlines():
        words = line.split()
        if words and words[0] in {"--json", "--force", "--all-or-nothing", "--allow-pending-e911", "--help"}:
            assert len(words) == 1 or not words[1].isupper() or words[1] == "->", line  # a switch takes no value


def test_migrate_help_names_the_date_format_and_defaults() -> None:
    text = " ".join(onboard("migrate", "--help").stdout.split())
    assert "--cutover YYYY-MM-DD" in text
    assert "--chunk-size N Customers per chunk. [default: 500" in text
    assert "--workers N Connector sessions in parallel. [default: 4" in text


def test_help_and_version_import_no_heavy_library() -> None:
    code = ("import sys\nfrom onboard.cli import main\n"
            "for argv in (['--help'], ['--version'], ['run', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in ('prefect', 'pandas', 'duckdb', 'pyarrow') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip().splitlines()[-1] == "[]", proc.stdout + proc.stderr


def test_template_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "orders.xlsx"
    out.write_bytes(b"a partner's filled workbook")
    proc = onboard("template", str(out))
    assert proc.returncode == 2
    assert "already exists" in one_error_line(proc) and "--force" in proc.stderr
    assert out.read_bytes() == b"a partner's filled workbook"
    forced = onboard("template", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert load_workbook(out).sheetnames[0]  # a real workbook now


def test_plan_of_a_missing_file_says_the_file_is_missing(tmp_path: Path) -> None:
    proc = onboard("plan", str(tmp_path / "orders.xlsx"))
    assert proc.returncode == 2
    assert "orders.xlsx: no such file" in one_error_line(proc)
    as_json = onboard("plan", str(tmp_path / "orders.xlsx"), "--json")
    assert as_json.returncode == 2 and "no such file" in json.loads(as_json.stdout)["error"]
    assert looks_like_batch("0123456789abcdef") and not looks_like_batch("orders.xlsx")


def test_validate_human_output_tells_errors_from_warnings_without_colour() -> None:
    proc = onboard("validate", str(SAMPLE), env={"NO_COLOR": "1", "TERM": "dumb"})
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert any(line.startswith("ERROR ") for line in lines) and any(line.startswith("WARNING ") for line in lines)
    assert "\x1b[" not in proc.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(proc.stdout)  # human output is not JSON


def test_masked_password_round_trip(tmp_path: Path) -> None:
    """Our error workbook masks passwords; uploading it again as it is must not take the mask as a password."""
    annotated = tmp_path / "errors.xlsx"
    first = onboard("validate", str(SAMPLE), "--errors-out", str(annotated))
    assert first.returncode == 1 and annotated.exists()
    again = onboard("validate", str(annotated), "--json")
    assert again.returncode == 1
    masked = [f for f in json.loads(again.stdout)["findings"] if f["code"] == "PASSWORD_MASKED"]
    assert masked and all(f["sheet"] == "Customers" and f["column"] == "Password" for f in masked)


def test_validate_exits_1_on_a_workbook_without_customers(tmp_path: Path) -> None:
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "Customers"
    wb.active.append(["Account Name", "First Name", "Last Name", "Password", "Address 1", "City", "State", "Zip",
                      "Email", "Default Domain", "Time Zone", "Billing Start Date", "Billing Type"])
    wb.save(path := tmp_path / "orders.xlsx")
    proc = onboard("validate", str(path), "--json")
    doc = json.loads(proc.stdout)
    assert doc["customers"]["held"] == 0 and [f["code"] for f in doc["findings"]] == ["NO_CUSTOMERS"]
    assert proc.returncode == 1  # "0 customers" is not a success


def test_report_timezone_from_a_dot_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard.cli import _settings
    from reports import clock

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ONBOARD_TIMEZONE", raising=False)
    (tmp_path / ".env").write_text("ONBOARD_TIMEZONE=Asia/Tokyo\n")
    try:
        _settings()
        assert clock.zone_name() == "Asia/Tokyo"
    finally:
        clock.configure(None)


@pytest.mark.parametrize(("customers", "code"), [
    ({"total": 3, "valid": 3, "held": 0, "skipped": 0, "provisioned": 3, "billed": 3, "failed": 0}, 0),
    ({"total": 3, "valid": 2, "held": 1, "skipped": 0, "provisioned": 2, "billed": 2, "failed": 0}, 1),
    ({"total": 3, "valid": 3, "held": 0, "skipped": 0, "provisioned": 3, "billed": 2, "failed": 1}, 1),
    ({"total": 3, "valid": 3, "held": 0, "skipped": 0, "provisioned": 2, "billed": 2, "failed": 0}, 1),
    ({"total": 2, "valid": 0, "held": 0, "skipped": 2, "provisioned": 0, "billed": 0, "failed": 0}, 0),
])
def test_one_exit_rule_for_run_retry_and_migrate(customers: dict[str, int], code: int) -> None:
    assert exit_code(customers) == code


def test_progress_labels_each_phase_with_a_total() -> None:
    bar = Progress(False)
    bar.phase("reading", 1)
    report = bar.reporter()
    for done in (0, 1, 2):
        report(done, 2)
    assert bar.phases == [("reading", 1), ("provisioning 2 customers", 2), ("reconciling", 1)]
    assert all(total is not None for _, total in bar.phases)


def test_migrate_and_nightly_summaries_are_short_text_not_a_dict() -> None:
    console = Console(record=True, width=120)
    counts = {"total": 3, "valid": 2, "held": 1, "skipped": 0, "provisioned": 2, "billed": 2, "failed": 0}
    print_migrate(console, {"batches": [{"batch": "ab" * 8, "customers": counts, "report": "r.xlsx"}],
                                     "customers": counts, "cutover": "2027-01-01", "chunks": 1})
    print_nightly(console, {"date": "2026-11-30", "customers": 5, "new_accounts": 2, "first_invoices": 1,
                                     "expected_mrc": 10.0, "billed_mrc": 9.5, "expected_nrc": 0.0, "billed_nrc": 0.0,
                                     "exceptions": 1, "by_kind": {"PACKAGE_MISMATCH": 1}, "new": 1, "resolved": 0,
                                     "still_open": 0, "workbook": "n.xlsx"})
    text = console.export_text()
    assert "{" not in text and "'" not in text
    assert "3 customers, 2 valid, 1 held" in text and "1 PACKAGE_MISMATCH" in text and "nightly workbook: n.xlsx" in text


def test_inventory_show_json_and_human() -> None:
    proc = onboard("inventory", "show", "512", "555", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert set(doc) >= {"npa", "nxx", "numbers", "counts"} and doc["numbers"]
    assert all(n["number"].startswith("+1512555") or n["number"].startswith("512555") for n in doc["numbers"])
    human = onboard("inventory", "show", "512", "555")
    assert human.returncode == 0 and "free" in human.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(human.stdout)


def test_second_run_a_second_later_is_refused_and_a_finished_batch_has_nothing_left(tmp_path: Path) -> None:
    partners = tmp_path / "partners.csv"
    partners.write_text("partner_id,name,notification_email\ndefault,D,d@x.example\n"
                        "acme-telecom,Acme Telecom,orders@acme.example.com\n")
    env = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180", "ONBOARD_PARTNERS": str(partners)}
    first = subprocess.Popen([sys.executable, "-m", "onboard.cli", "run", str(CLEAN), "--json"], cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env})
    time.sleep(1.0)
    second = onboard("run", str(CLEAN), "--json", env=env, timeout=120)
    out, errs = first.communicate(timeout=600)
    assert second.returncode == 2, second.stdout + second.stderr
    assert "another onboard run is in progress" in json.loads(second.stdout)["error"]
    assert first.returncode in (0, 1), errs
    doc = json.loads(out)  # --json: the document alone on stdout
    assert set(doc) == {"batch", "customers", "report", "errors", "held_back"}
    assert exit_code(doc["customers"]) == first.returncode
    again = onboard("run", str(CLEAN), env=env, timeout=600)
    assert again.returncode == first.returncode, again.stderr
    assert "nothing left to send" in again.stdout
    retried = onboard("retry", doc["batch"], env=env, timeout=600)
    assert retried.returncode == first.returncode, retried.stderr
    assert "nothing left to send" in retried.stdout
    as_json = onboard("retry", doc["batch"], "--json", env=env, timeout=600)
    assert json.loads(as_json.stdout)["customers"] == doc["customers"]  # JSON alone, no note mixed in


class _Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[str]:
    """A server on loopback that answers Prefect's health check, as `onboard serve`'s does."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def test_run_uses_the_prefect_server_serve_announces(isolated_home: Path, answering: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard.runtime import use_running_prefect
    from onboard.serve import announce_api

    monkeypatch.setenv("PREFECT_API_URL", "")  # recorded, so whatever use_running_prefect sets is undone
    monkeypatch.delenv("PREFECT_API_URL")
    assert use_running_prefect(isolated_home) is None  # nothing announced: a temporary server
    with announce_api(isolated_home, answering):
        assert use_running_prefect(isolated_home) == answering
        assert os.environ["PREFECT_API_URL"] == answering
    assert not (isolated_home / "prefect-api.url").exists()  # gone with the server


def test_a_stale_announcement_or_a_dead_configured_server(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from onboard.errors import UsageError
    from onboard.runtime import use_running_prefect

    monkeypatch.setenv("PREFECT_API_URL", "")  # recorded, so whatever use_running_prefect sets is undone
    monkeypatch.delenv("PREFECT_API_URL")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/api"
    (isolated_home / "prefect-api.url").write_text(dead)  # a `serve` that was killed
    assert use_running_prefect(isolated_home) is None and "PREFECT_API_URL" not in os.environ
    monkeypatch.setenv("PREFECT_API_URL", dead)
    with pytest.raises(UsageError, match="does not answer"):
        use_running_prefect(isolated_home)


def test_migrate_bar_moves_per_customer_and_shows_reconciling(isolated_home: Path) -> None:
    from prefect.testing.utilities import prefect_test_harness

    from flows.migrate_book import migrate
    from onboard.settings import Settings
    from pipeline import progress

    book = write_big_book(isolated_home.parent / "book.xlsx", 12, 2, start="2030-01-01")
    bar = Progress(False, verb="migrating")
    seen: list[tuple[int, int]] = []
    report = bar.reporter()

    def record(done: int, total: int) -> None:
        seen.append((done, total))
        report(done, total)

    progress.set_reporter(record)
    try:
        with prefect_test_harness(server_startup_timeout=90):
            result = migrate(Settings(home=isolated_home), [book], chunk_size=8, workers=2, cutover="2030-01-01")
    finally:
        progress.set_reporter(None)
    assert result["chunks"] == 2 and result["customers"]["provisioned"] == 12
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and {t for _, t in seen} == {12}
    assert len({d for d, _ in seen}) == 13  # 0..12: every customer moves the bar, not every chunk
    assert bar.phases[-2:] == [("migrating 12 customers", 12), ("reconciling", 1)]


@pytest.fixture
def acme(tmp_path: Path) -> dict[str, str]:
    partners = tmp_path / "partners.csv"
    partners.write_text("partner_id,name,notification_email\ndefault,D,d@x.example\n"
                        "acme-telecom,Acme Telecom,orders@acme.example.com\n")
    return {"ONBOARD_PARTNERS": str(partners)}


def test_one_csv_file_named_for_its_sheet_is_that_sheet(tmp_path: Path, acme: dict[str, str]) -> None:
    single = tmp_path / "customers.csv"
    single.write_bytes((ROOT / "tests" / "cases" / "clean_csv" / "customers.csv").read_bytes())
    proc = onboard("validate", str(single), "--json", "--errors-out", str(tmp_path / "e.xlsx"), env=acme)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["customers"]["total"] == 2 and "internal error" not in proc.stdout
    assert (tmp_path / "e.xlsx").exists()


@pytest.mark.parametrize(("name", "says"), [("book.csv", "'book' names no sheet"),
                                           ("orders.csv", "the Packages sheet alone")])
def test_one_csv_file_named_for_no_sheet_is_refused_listing_the_shapes(tmp_path: Path, name: str, says: str) -> None:
    other = tmp_path / name
    other.write_bytes((ROOT / "tests" / "cases" / "clean_csv" / "customers.csv").read_bytes())
    proc = onboard("validate", str(other))
    assert proc.returncode == 2
    line = one_error_line(proc)
    assert name in line and says in line and ".xlsx workbook" in line and "folder of CSV files" in line
    assert "customers.csv" in line and "internal error" not in line


def test_a_workbook_renamed_csv_is_read_as_the_workbook(tmp_path: Path, acme: dict[str, str]) -> None:
    renamed = tmp_path / "orders.csv"
    renamed.write_bytes(CLEAN.read_bytes())
    proc = onboard("validate", str(renamed), "--json", "--errors-out", str(tmp_path / "e.xlsx"), env=acme)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    doc = json.loads(proc.stdout)
    as_xlsx = json.loads(onboard("validate", str(CLEAN), "--json", env=acme).stdout)
    assert doc["customers"] == as_xlsx["customers"] and doc["customers"]["total"] == 2
    assert (tmp_path / "e.xlsx").exists()


@pytest.mark.parametrize("args", [["validate", str(SAMPLE)], ["plan", str(SAMPLE)], ["status"], ["status", "--json"],
                                  ["template", "{tmp}/t.xlsx"], ["--help"]], ids=lambda a: "-".join(a[:2]))
def test_read_only_commands_never_load_prefect(tmp_path: Path, args: list[str]) -> None:
    code = ("import sys\nfrom onboard.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n"
            "    print('rc', e.code, file=sys.stderr)\nprint('prefect' in sys.modules, file=sys.stderr)")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PREFECT_HOME": str(tmp_path / "pf")})
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "False", proc.stderr
    assert "internal error" not in proc.stderr and not (tmp_path / "pf" / "prefect.db").exists()


def test_status_shows_times_in_the_report_zone_and_names_it() -> None:
    from reports import clock

    counts = {"total": 1, "valid": 1, "held": 0, "skipped": 0, "provisioned": 1, "billed": 1, "failed": 0}
    console = Console(record=True, width=200)
    clock.configure("America/Chicago")
    try:
        commands.print_status(console, {"batches": [{"batch": "ab" * 8, "partner": "default", "status": "done",
                                                     "received_at": "2026-11-30T15:00:00+00:00", "customers": counts}]})
    finally:
        clock.configure(None)
    text = console.export_text()
    assert "received (America/Chicago)" in text and "2026-11-30 09:00" in text and "15:00" not in text


def test_inventory_show_answers_from_the_snapshot_while_a_run_holds_the_database(tmp_path: Path,
                                                                                  isolated_home: Path) -> None:
    import signal

    from tests.onboard.test_concurrency import _holder

    inv = tmp_path / "inv.csv"
    inv.write_text("number,npa,nxx,rate_center,state\n(512) 234-0100,512,234,AUSTIN,TX\n"
                   "1-512-234-0101,512,234,AUSTIN,TX\n")
    loaded = onboard("inventory", "load", str(inv), "--json")
    assert loaded.returncode == 0 and json.loads(loaded.stdout) == {"added": 2}, loaded.stderr
    proc, helper = _holder(isolated_home)  # a second process holds the data home, as a run does
    try:
        shown = onboard("inventory", "show", "512", "234", "--json")
    finally:
        for pid in (proc.pid, helper):
            os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    doc = json.loads(shown.stdout)
    assert [n["number"] for n in doc["numbers"]] == ["+15122340100", "+15122340101"]
    assert doc["counts"] == {"free": 2} and "snapshot" in doc["note"]


def test_migrate_through_the_cli_json_then_human(tmp_path: Path) -> None:
    book = write_big_book(tmp_path / "book.xlsx", 6, 2, start="2030-01-01")
    env = {"PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"}
    first = onboard("migrate", str(book), "--chunk-size", "4", "--cutover", "2030-01-01", "--json", env=env,
                    timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    doc = json.loads(first.stdout)
    assert doc["customers"]["provisioned"] == 6 and doc["chunks"] == 2
    again = onboard("migrate", str(book), "--cutover", "2030-01-01", env=env, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr  # nothing left: the same exit rule
    assert "nothing left to send" in again.stdout
    assert "6 customers, 6 valid, 0 held" in again.stdout and "6 provisioned, 6 billed, 0 failed" in again.stdout
    assert "{" not in again.stdout  # a summary, not a dict
