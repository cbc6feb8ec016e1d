"""Issue 18 (a): staging hashes the order fingerprints beside its loads; what it stores is exactly what
validation computes, so that a re-upload is still recognised (ALREADY_ONBOARDED)."""

from __future__ import annotations

from pathlib import Path

from core.settings import Settings
from data.catalog import load_catalog
from data.samples.generate import write_big_book
from pipeline import batch as pipeline
from pipeline import migrate as M
from transforms.ingest import read_order
from transforms.normalize import normalize
from validators.fingerprint import customer_fingerprints


def test_staged_fingerprints_are_the_validators(isolated_home: Path) -> None:
    book = write_big_book(isolated_home.parent / "book.xlsx", 30, 3)
    order, _ = normalize(read_order(book), load_catalog())
    expected = customer_fingerprints(order)
    assert len(expected) == 30
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
        staged = dict(ctx.store.con.execute("SELECT account_key, fingerprint FROM customers WHERE batch_id = ?",
                                            [prepared.batch_id]).fetchall())
    assert staged == expected
