"""Issue 18 (a): a migration of new customers is staged without its order fingerprints (nothing earlier to
compare them with) and each chunk hashes its customers' before it is planned; what ends up stored is exactly
what validation computes, so that a re-upload is still recognised (ALREADY_ONBOARDED). When an earlier batch
knows customers of the book, or the book holds follow-on orders, they are hashed while staging, as before."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from core.settings import Settings
from data.catalog import load_catalog
from data.samples.generate import write_big_book
from pipeline import batch as pipeline
from pipeline import migrate as M
from transforms.ingest import read_order
from transforms.normalize import normalize
from validators.fingerprint import customer_fingerprints


def _staged(ctx: pipeline.Context, batch_id: str) -> dict[str, str]:
    return {str(k): str(v or "") for k, v in ctx.store.con.execute(
        "SELECT account_key, fingerprint FROM customers WHERE batch_id = ?", [batch_id]).fetchall()}


def _plan_all(ctx: pipeline.Context, batch_id: str, size: int) -> None:
    for i, chunk in enumerate(M.chunks_to_do(ctx, batch_id, size)):
        M.plan_chunk(ctx, batch_id, chunk, i)


def test_chunks_store_the_validators_fingerprints(isolated_home: Path) -> None:
    book = write_big_book(isolated_home.parent / "book.xlsx", 30, 3)
    order, _ = normalize(read_order(book), load_catalog())
    expected = customer_fingerprints(order)
    assert len(expected) == 30
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2030-02-01"))
        assert set(_staged(ctx, prepared.batch_id).values()) == {""}  # left to the chunks
        _plan_all(ctx, prepared.batch_id, 7)  # chunks of 7: the last one is short
        staged = _staged(ctx, prepared.batch_id)
        _plan_all(ctx, prepared.batch_id, 7)  # planned already: nothing hashed again
        assert _staged(ctx, prepared.batch_id) == staged
    assert staged == expected


def test_a_book_that_earlier_batches_know_is_hashed_while_staged(isolated_home: Path) -> None:
    first = write_big_book(isolated_home.parent / "first.xlsx", 6, 2)
    again = isolated_home.parent / "again.xlsx"
    wb = openpyxl.load_workbook(first)
    ws = wb["Customers"]
    ws.cell(row=ws.max_row + 1, column=1, value=None)  # a different file (another batch), the same customers
    wb.save(again)
    order, _ = normalize(read_order(again), load_catalog())
    expected = customer_fingerprints(order)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        one = M.stage_book(ctx, first, M.MigrateOptions(cutover="2030-02-01"))
        _plan_all(ctx, one.batch_id, 4)
        two = M.stage_book(ctx, again, M.MigrateOptions(cutover="2030-02-01"))
        assert two.batch_id != one.batch_id
        assert _staged(ctx, one.batch_id) == expected
        statuses = {s for (s,) in ctx.store.con.execute("SELECT status FROM customers WHERE batch_id = ?",
                                                         [two.batch_id]).fetchall()}
    assert statuses == {"skipped"}  # ALREADY_ONBOARDED: the fingerprints matched
