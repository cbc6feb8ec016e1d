"""CUSTOMER_EXISTS at run time: an enterprise we did not create is never touched; its numbers go back."""

from __future__ import annotations

from pathlib import Path

import duckdb

from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient
from core.settings import SIM_SECRET, SIM_USER
from data.samples.generate import sample_rows, write_xlsx
from pipeline.batch import run_file
from pipeline.stage import RunOptions
from tests.pipeline.conftest import Sims, settings_for
from transforms.plan import enterprise_id


def test_foreign_enterprise_is_refused_and_the_rest_goes_through(sims: Sims, isolated_home: Path,
                                                                 tmp_path: Path) -> None:
    book = sample_rows(5, invalid=False)
    victim = str(book.rows["Customers"][0][1])  # has a DIDs row: numbers get reserved for it
    path = write_xlsx(book, tmp_path / "orders.xlsx")
    foreign = enterprise_id("default", victim)
    client = OcipClient(sims.broadworks.base_url + "/webservice/services/ProvisioningService", SIM_USER, SIM_SECRET)
    try:
        client.call(C.sp_add(foreign, "someone-else.example.com", "Someone else's enterprise"))
    finally:
        client.close()
    adds_before = sims.bw.accepted_adds()

    settings = settings_for(isolated_home, sims)
    first = run_file(settings, path, RunOptions())
    c = first["customers"]
    assert c["valid"] == 5 and c["provisioned"] == 4 and c["billed"] == 4 and c["failed"] == 1
    # nothing was sent for the refused customer: its enterprise is untouched, no billing accounts
    snap = sims.bw.store.snapshot(foreign)
    assert snap["sp"]["domain"] == "someone-else.example.com"
    assert snap["groups"] == [] and snap["admins"] == [] and snap["dns"] == []
    names = {r[0] for r in sims.bl.store._all("SELECT name FROM accounts")}
    assert victim not in names and f"{victim} Enterprise" not in names and len(names) == 1 + 2 * 4

    con = duckdb.connect(str(isolated_home / "onboard.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM did_inventory WHERE account = ?", [victim]).fetchone() == (0,)
        found = con.execute("SELECT sheet, row, \"column\", code FROM findings WHERE code = 'CUSTOMER_EXISTS'").fetchall()
        assert found == [("Customers", 2, "Account Name", "CUSTOMER_EXISTS")]
    finally:
        con.close()

    # a second run refuses it again and creates nothing new anywhere
    adds_after_first = sims.bw.accepted_adds()
    assert adds_after_first > adds_before
    again = run_file(settings, path, RunOptions())
    assert again["customers"]["failed"] == 1 and sims.bw.accepted_adds() == adds_after_first


def test_an_enterprise_claimed_by_another_customer_is_never_modified(sims: Sims, isolated_home: Path,
                                                                     tmp_path: Path) -> None:
    """Only the customer's own claim lets a run continue on an enterprise BroadWorks already holds: one
    claimed by another customer (data from before ids were claimed at staging) is refused, admin untouched."""
    from connectors.systems import open_systems
    from pipeline.batch import drive_batch, open_context, stage_batch
    from staging.claims import claim_enterprise

    book = sample_rows(2, invalid=False)
    victim = str(book.rows["Customers"][0][1])
    path = write_xlsx(book, tmp_path / "orders.xlsx")
    settings = settings_for(isolated_home, sims)
    with open_context(settings) as ctx:
        bid = stage_batch(ctx, path, RunOptions()).batch_id
        (plan,) = ctx.store.con.execute("SELECT plan FROM plans WHERE batch_id = ? AND account = ?",
                                        [bid, victim]).fetchone() or ("{}",)
        import json

        eid, admin = json.loads(plan)["enterprise_id"], json.loads(plan)["admin_user_id"]
        # another customer of an older batch claimed (and created) that enterprise, with this admin id
        ctx.store.con.execute("INSERT INTO customers (batch_id, partner_id, account_key, account, row, status) "
                              "VALUES ('older', 'default', 'someone else', 'Someone Else', 2, 'valid')")
        claim_enterprise(ctx.store.con, "older", "Someone Else", eid)
        client = OcipClient(sims.broadworks.base_url + "/webservice/services/ProvisioningService", SIM_USER, SIM_SECRET)
        try:
            client.call(C.sp_add(eid, "else.example.com", "Someone Else"))
            client.call(C.sp_admin_add(eid, admin, "Some", "One", "Their-Pass-123", "Customer"))
        finally:
            client.close()
        before = sims.bw.store.snapshot(eid)
        with open_systems(ctx.home, settings) as systems:
            res = drive_batch(ctx, systems, bid, 10)
    assert res["customers"]["provisioned"] == 1 and res["customers"]["failed"] == 1
    assert sims.bw.store.snapshot(eid) == before  # enterprise, groups and admin exactly as they were
    journal = (tmp_path / "journal" / "broadworks.jsonl").read_text()
    assert "ServiceProviderAdminModifyRequest" not in journal
    assert victim not in {r[0] for r in sims.bl.store._all("SELECT name FROM accounts")}
