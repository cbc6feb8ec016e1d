"""Accepted, then broke provisioning (issue 14): what a system cannot carry is held before anything is
sent, so no customer is half-provisioned; `total` means the same in validate and run."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from data.samples.generate import sample_rows, write_xlsx
from onboard import commands
from pipeline.batch import run_file
from pipeline.stage import RunOptions
from tests.pipeline.conftest import Sims, settings_for

LONG = "Long Name " * 30  # 300 characters: BroadWorks would truncate it, billing refuses it


def _hostile_book(path: Path) -> tuple[Path, set[str]]:
    book = sample_rows(6, invalid=False)
    cust = book.rows["Customers"]
    cust[0][3] = "Ana_x0007_"  # control character in First Name (as Excel escapes it)
    old = str(cust[1][1])
    for sheet, rows in book.rows.items():
        for r in rows:
            col = 1 if sheet == "Customers" else 0
            if r[col] == old:
                r[col] = LONG.strip()
    cust.append(list(cust[2]))  # the same Account Name twice
    held = {str(cust[0][1]), LONG.strip(), str(cust[2][1])}
    return write_xlsx(book, path), held


def test_held_values_are_never_sent(sims: Sims, isolated_home: Path, tmp_path: Path) -> None:
    path, held = _hostile_book(tmp_path / "hostile.xlsx")
    checked = commands.validate(path, None, False, None)
    codes = {f["code"] for f in checked["findings"] if f["severity"] == "error"}
    assert {"INVALID_CHARACTERS", "VALUE_TOO_LONG", "DUPLICATE_ACCOUNT"} <= codes
    assert checked["customers"] == {"total": 7, "valid": 3, "held": 4, "skipped": 0}  # rows, duplicates included

    result = run_file(settings_for(isolated_home, sims), path, RunOptions())
    c = result["customers"]
    assert {k: c[k] for k in ("total", "valid", "held", "skipped")} == checked["customers"]  # one meaning of total
    assert c["provisioned"] == c["billed"] == 3 and c["failed"] == 0
    journal = (tmp_path / "journal" / "broadworks.jsonl").read_text(encoding="utf-8")
    sent = [json.loads(line)["request"] for line in journal.splitlines()]
    assert sent and not any(LONG.strip()[:80] in d or "\x07" in d or "&#7;" in d for d in sent)
    billing = (tmp_path / "journal" / "billing.jsonl").read_text(encoding="utf-8")
    assert LONG.strip()[:80] not in billing
    assert stat.S_IMODE((tmp_path / "journal" / "broadworks.jsonl").stat().st_mode) == 0o600
    for name in held:  # nothing half-done: no system holds any trace of a held customer
        assert name[:40] not in journal and name[:40] not in billing
