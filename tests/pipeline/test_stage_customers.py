"""The customers rows staging writes (one per account key, its first row): status, the error codes that
held it, its billing start, its fingerprint and its sealed portal password, checked against a plain reading
of the validation's own findings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from core.keys import account_key
from core.settings import Settings
from data.catalog import load_catalog
from data.samples.generate import sample_rows, write_xlsx
from pipeline import batch as pipeline
from pipeline.stage import RunOptions, prepare
from transforms.ingest import read_order
from validators.check import check_order


def _rows(ctx: pipeline.Context, batch_id: str) -> dict[str, dict[str, Any]]:
    cur = ctx.store.con.execute("SELECT * FROM customers WHERE batch_id = ?", [batch_id])
    names = [d[0] for d in cur.description]
    return {r[names.index("account_key")]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


Expected = tuple[dict[str, str], dict[str, str], dict[str, Any], dict[str, str]]


def _expected(book: Path, *, all_or_nothing: bool) -> Expected:
    """account key -> status, -> codes, -> the first row of that key, -> its fingerprint, as a plain reading
    of check_order."""
    checked = check_order(read_order(book), existing=None, inventory=None, all_or_nothing=all_or_nothing,
                          catalog=load_catalog())
    codes: dict[str, set[str]] = defaultdict(set)
    for f in checked.findings.itertuples():
        if f.severity == "error" and f.account:
            codes[account_key(str(f.account))].add(str(f.code))
    first: dict[str, Any] = {}
    for row in checked.frames["Customers"].to_dict("records"):
        first.setdefault(row["_account_key"], row)
    status = {k: "skipped" if k in checked.skipped else "held" if k in checked.held else "valid" for k in first}
    joined = {k: ",".join(sorted(codes[k])) or ("ALL_OR_NOTHING" if status[k] == "held" else "") for k in first}
    return status, joined, first, dict(checked.result.fingerprints)


@pytest.mark.parametrize("all_or_nothing", [False, True])
def test_customers_rows_say_what_validation_found(isolated_home: Path, all_or_nothing: bool) -> None:
    book = write_xlsx(sample_rows(24, start="2031-03-01"), isolated_home.parent / "order.xlsx")
    status, codes, first, prints = _expected(book, all_or_nothing=all_or_nothing)
    assert set(status.values()) >= {"valid", "held"} if not all_or_nothing else set(status.values()) == {"held"}
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = prepare(ctx.store, book, RunOptions(all_or_nothing=all_or_nothing), ctx.settings.partners_file,
                           ctx.vault)
        rows = _rows(ctx, prepared.batch_id)
        assert set(rows) == set(first)
        for key, row in rows.items():
            assert row["status"] == status[key], key
            assert row["codes"] == codes[key], key
            assert row["account"] == first[key]["account_name"]
            assert row["row"] == first[key]["_row"]
            assert row["billing_start"] == dt.date(2031, 3, 1)
            assert row["order_kind"] == "new_customer" and row["order_key"] == key
            assert row["fingerprint"] == prints[key] != ""  # an order hashes every customer while staged
            if status[key] == "valid":
                assert ctx.vault.open(row["password_enc"]) == first[key]["password"]
            else:
                assert row["password_enc"] is None


def test_a_migration_bills_from_its_cutover_and_leaves_passwords_to_its_chunks(isolated_home: Path) -> None:
    book = write_xlsx(sample_rows(24, start="2031-03-01"), isolated_home.parent / "book.xlsx")
    status, codes, _, _ = _expected(book, all_or_nothing=False)
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = prepare(ctx.store, book, RunOptions(migration=True, cutover="2032-07-01"),
                           ctx.settings.partners_file, ctx.vault, defer_plans_to=isolated_home / "migrate")
        rows = _rows(ctx, prepared.batch_id)
    assert {k: r["status"] for k, r in rows.items()} == status
    assert {k: r["codes"] for k, r in rows.items()} == codes
    assert {r["billing_start"] for r in rows.values()} == {dt.date(2032, 7, 1)}
    assert {r["password_enc"] for r in rows.values()} == {None}
    assert {r["fingerprint"] for r in rows.values()} == {""}  # hashed per chunk when planned


def test_a_billing_start_that_is_not_a_date_is_staged_empty(isolated_home: Path) -> None:
    rows = sample_rows(4, start="2031-03-01", invalid=False)
    rows.rows["Customers"][1][15] = "next spring"  # BILLING_START is held by validation; the row has no date
    book = write_xlsx(rows, isolated_home.parent / "order.xlsx")
    first = _expected(book, all_or_nothing=False)[2]
    with pipeline.open_context(Settings(home=isolated_home)) as ctx:
        prepared = prepare(ctx.store, book, RunOptions(), ctx.settings.partners_file, ctx.vault)
        staged = _rows(ctx, prepared.batch_id)
    by_name = {r["account"]: r["billing_start"] for r in staged.values()}
    assert by_name[rows.rows["Customers"][1][1]] is None
    assert sorted(v for v in by_name.values() if v is not None) == [dt.date(2031, 3, 1)] * (len(first) - 1)
