from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from core.order import StepEvent
from staging import inventory
from staging.batches import batch_id, input_files
from staging.ledger import LedgerBuffer, done_steps, mark_in_doubt_pending
from staging.lock import LockedError, RunLock
from staging.secrets import Vault, load_key
from staging.store import Store


def test_batch_id_follows_design(tmp_path: Path) -> None:
    a = tmp_path / "b.csv"
    b = tmp_path / "a.csv"
    a.write_bytes(b"x,y\n1,2\n")
    b.write_bytes(b"hello")
    expected = hashlib.sha256(b"acme\0a.csv\0hello\0b.csv\0x,y\n1,2\n\0").hexdigest()[:16]
    assert batch_id("acme", [a, b]) == expected
    assert batch_id("acme", input_files([tmp_path])) == expected
    assert batch_id("other", [a, b]) != expected


def test_second_writer_is_told_who_holds_the_lock(isolated_home: Path) -> None:
    with Store.open(isolated_home, command="onboard run x.xlsx"):
        with pytest.raises(LockedError) as info:
            Store.open(isolated_home)
        assert "onboard run x.xlsx" in str(info.value)
        assert f"pid {os.getpid()}" in str(info.value)
    Store.open(isolated_home).close()  # free again once released


def test_lock_of_a_killed_process_is_free(isolated_home: Path) -> None:
    code = (
        "import os, sys; from pathlib import Path; from staging.lock import RunLock; "
        f"RunLock(Path({str(isolated_home)!r})).acquire('killed run'); os.kill(os.getpid(), 9)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2], check=False)
    assert proc.returncode == -9
    assert (isolated_home / "onboard.lock.json").exists()  # stale info left behind ...
    assert not RunLock(isolated_home).is_held()  # ... but the lock died with its holder
    Store.open(isolated_home).close()


def test_ledger_keeps_attempts_and_external_ids(isolated_home: Path) -> None:
    with Store.open(isolated_home) as store:
        buf = LedgerBuffer("b1")
        buf(StepEvent("Acme", "broadworks", "enterprise", "pending"))
        buf.flush(store)
        assert mark_in_doubt_pending(store, "b1") == 1
        buf(StepEvent("Acme", "broadworks", "enterprise", "pending"))
        buf.flush(store)
        buf(StepEvent("Acme", "broadworks", "enterprise", "done", external_id="ENT1"))
        buf.flush(store)
        row = store.frame("SELECT status, attempts, external_id FROM ledger").iloc[0]
        assert (row["status"], row["attempts"], row["external_id"]) == ("done", 2, "ENT1")
        assert done_steps(store, "b1") == {("Acme", "broadworks"): {"enterprise": "ENT1"}}


def _inv(store: Store, n: int = 5) -> None:
    frame = pd.DataFrame({
        "number": [f"+1512555{100 + i:04d}" for i in range(n)], "npa": "512", "nxx": "555",
        "rate_center": "AUSTIN", "state": "TX",
    })
    assert inventory.load_inventory(store, frame) == n
    assert inventory.load_inventory(store, frame) == 0  # loading again adds nothing


def test_specific_then_next_free_and_backorder(isolated_home: Path) -> None:
    with Store.open(isolated_home) as store:
        _inv(store)
        res = inventory.reserve(store.con, partner="p", account="A", batch_id="b", npa="512", nxx="555", quantity=3,
                                specific=["+15125550103"])
        assert res.numbers == ["+15125550103", "+15125550100", "+15125550101"]
        assert res.rate_centers["+15125550100"] == "AUSTIN"
        again = inventory.reserve(store.con, partner="p", account="A", batch_id="b", npa="512", nxx="555", quantity=3,
                                  specific=["+15125550103"])
        assert sorted(again.numbers) == sorted(res.numbers)  # a re-run reserves nothing new
        other = inventory.reserve(store.con, partner="p", account="B", batch_id="b", npa="512", nxx="555", quantity=4,
                                  specific=["+15125550100"])
        assert other.unavailable == ["+15125550100"]
        assert other.numbers == ["+15125550102", "+15125550104"]
        assert other.shortfall == 2
        assert inventory.release(store, "b", "B") == 2
        assert len(inventory.free_numbers(store)) == 2


def test_concurrent_reservations_never_share_a_number(isolated_home: Path) -> None:
    with Store.open(isolated_home) as store:
        _inv(store, 20)
        results: dict[str, list[str]] = {}
        errors: list[BaseException] = []

        def grab(account: str) -> None:
            cur = store.cursor()
            for _ in range(20):
                try:
                    results[account] = inventory.reserve(cur, partner="p", account=account, batch_id="b", npa="512",
                                                         nxx="555", quantity=15).numbers
                    return
                except Exception as exc:  # a write-write conflict: the loser tries again
                    errors.append(exc)
            raise AssertionError("never reserved")

        threads = [threading.Thread(target=grab, args=(a,)) for a in ("A", "B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(results["A"]).isdisjoint(results["B"])
        assert len(results["A"]) + len(results["B"]) == 20
        held = store.frame("SELECT account, count(*) n FROM did_inventory WHERE status='reserved' GROUP BY account")
        assert held["n"].sum() == 20


def test_vault_key_file_is_private(isolated_home: Path) -> None:
    key = load_key(isolated_home)
    assert (isolated_home / "secret.key").stat().st_mode & 0o777 == 0o600
    assert load_key(isolated_home) == key
    v = Vault(key)
    token = v.seal("s3cret!")
    assert "s3cret" not in token and v.open(token) == "s3cret!"
