from __future__ import annotations

from pathlib import Path

from tests.onboard.test_cli import onboard


def test_inventory_load_and_show(tmp_path: Path) -> None:
    csv = tmp_path / "inv.csv"
    csv.write_text("number,npa,nxx,rate_center,state\n(512) 234-0100,512,234,AUSTIN,tx\n1-512-234-0101,512,234,AUSTIN,TX\n")
    first = onboard("inventory", "load", str(csv))
    assert first.returncode == 0 and first.stdout.startswith("2 number(s) added"), first.stderr
    again = onboard("inventory", "load", str(csv))
    assert again.stdout.startswith("0 number(s) added")  # loading twice adds nothing
    shown = onboard("inventory", "show", "512", "234")
    assert shown.returncode == 0 and "+15122340100" in shown.stdout and "2 free" in shown.stdout


def test_bad_inventory_file_is_one_clear_line(tmp_path: Path) -> None:
    csv = tmp_path / "inv.csv"
    csv.write_text("number,npa\n123,512\n")
    proc = onboard("inventory", "load", str(csv))
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [f"error: {csv}: missing column(s) nxx, rate_center, state; "
                                                "expected number, npa, nxx, rate_center, state"]
