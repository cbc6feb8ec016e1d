"""The `onboard` command as a user runs it: exit codes, one clear line, the JSON of DESIGN §7."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook

from data.samples.generate import SAMPLE
from validators import CODES

ROOT = Path(__file__).resolve().parents[2]


def onboard(*args: str, env: dict[str, str] | None = None, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "onboard.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, **(env or {})}, check=False,
    )


def test_validate_json_on_the_sample() -> None:
    proc = onboard("validate", str(SAMPLE), "--json")
    assert proc.returncode == 1, proc.stderr  # some sample customers are wrong on purpose
    doc = json.loads(proc.stdout)
    c = doc["customers"]
    assert c == {"total": 24, "valid": 18, "held": 6, "skipped": 0}
    assert c["total"] == c["valid"] + c["held"] + c["skipped"]
    keys = {"sheet", "row", "column", "code", "severity", "message", "account"}
    assert doc["findings"] and all(set(f) == keys for f in doc["findings"])
    assert {f["code"] for f in doc["findings"]} >= {"REQUIRED_MISSING", "DOMAIN_HAS_SCHEME", "TIMEZONE_UNKNOWN",
                                                     "UNKNOWN_PACKAGE", "TRUNKING_NOT_SUPPORTED", "DID_QUOTA_EXCEEDED"}
    assert "Traceback" not in proc.stderr


def test_validate_writes_the_error_workbook(tmp_path: Path) -> None:
    out = tmp_path / "errors.xlsx"
    proc = onboard("validate", str(SAMPLE), "--errors-out", str(out))
    assert proc.returncode == 1
    assert out.exists() and (tmp_path / "errors.held-back.xlsx").exists()


def _no_customers(path: Path) -> Path:
    wb = Workbook()
    assert wb.active is not None
    wb.active.title = "Packages"
    wb.active.append(["Account Name", "Order Type", "Package"])
    wb.save(path)
    return path


@pytest.mark.parametrize("kind", ["text_renamed", "missing", "no_customers"])
def test_unusable_input_exits_2_with_one_line(tmp_path: Path, kind: str) -> None:
    if kind == "text_renamed":
        path = tmp_path / "orders.xlsx"
        path.write_text("this is not a workbook\n")
    elif kind == "missing":
        path = tmp_path / "nope.xlsx"
    else:
        path = _no_customers(tmp_path / "orders.xlsx")
    proc = onboard("validate", str(path))
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr, proc.stderr
    as_json = onboard("validate", str(path), "--json")
    assert as_json.returncode == 2 and set(json.loads(as_json.stdout)) == {"error"}


def test_half_configured_systems_are_refused(tmp_path: Path) -> None:
    proc = onboard("run", str(SAMPLE), "--json", env={"ONBOARD_BROADWORKS_URL": "http://127.0.0.1:9/x"})
    assert proc.returncode == 2
    assert "ONBOARD_BILLING_URL" in json.loads(proc.stdout)["error"]


def test_run_json_and_status_through_the_cli(tmp_path: Path) -> None:
    proc = onboard("run", str(SAMPLE), "--json", timeout=600)
    assert proc.returncode == 1, proc.stderr  # held customers
    doc = json.loads(proc.stdout)
    c = doc["customers"]
    assert set(doc) == {"batch", "customers", "report", "errors", "held_back"} and Path(doc["report"]).exists()
    assert Path(doc["errors"]).parent == Path(doc["held_back"]).parent == Path(doc["report"]).parent
    assert c["total"] == c["valid"] + c["held"] + c["skipped"]
    assert c["provisioned"] == c["billed"] == c["valid"] == 18 and c["failed"] == 0
    status = json.loads(onboard("status", "--json").stdout)
    assert [b["batch"] for b in status["batches"]] == [doc["batch"]]
    one = json.loads(onboard("status", doc["batch"], "--json").stdout)
    assert one["batch"] == doc["batch"]
    valid = [x for x in one["customers"] if x["customer"] == "valid"]
    assert len(valid) == 18 and all(set(x["status"].values()) == {"done"} for x in valid)
    # the same file again is the same batch: resumed, nothing new, the sample's customers now skipped in validate
    again = json.loads(onboard("validate", str(SAMPLE), "--json").stdout)
    assert again["customers"]["skipped"] == 18


def test_template_and_readme_codes(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    proc = onboard("template", str(out))
    assert proc.returncode == 0 and out.exists()
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{code}`" in readme for code in CODES)
