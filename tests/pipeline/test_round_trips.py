"""Issue 18 (b): round trips per new customer, counted in the simulators' own journals (not a timing test).

Twenty new customers go through a real run against the loopback simulators; the journals must show
at most 6 BroadWorks documents per customer (commands of several customers share documents of up to
15, in dependency order: a customer's dependent command is always in a later document) and no more
billing requests than the floor LogiSense's documented one-object-per-POST protocol allows
(``connectors.billing.steps.request_floor``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree

from connectors.billing.steps import request_floor
from connectors.broadworks.ocip import MAX_COMMANDS
from connectors.systems import open_systems
from core.order import CustomerOrder
from data.samples.generate import sample_rows, write_xlsx
from pipeline.batch import chunks_to_do, open_context, provision_chunk, stage_batch
from pipeline.stage import RunOptions
from staging.orders import load_plans
from tests.pipeline.conftest import Sims, settings_for
from tests.support.ocip_schema import validate_document

CUSTOMERS = 20
BROADWORKS_MAX = 6.0
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def _journal(folder: Path, system: str) -> list[dict]:
    path = folder / f"{system}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _commands(doc: str) -> list[etree._Element]:
    root = etree.fromstring(doc.encode("ISO-8859-1") if "ISO-8859-1" in doc[:60] else doc.encode())
    return [c for c in root if etree.QName(c).localname == "command"]


@pytest.mark.parametrize("requests", ["classic", "consolidated"])
def test_round_trips_per_new_customer(sims: Sims, isolated_home: Path, tmp_path: Path, requests: str) -> None:
    path = write_xlsx(sample_rows(CUSTOMERS, invalid=False), tmp_path / "orders.xlsx")
    settings = settings_for(isolated_home, sims, concurrency=4, ocip_requests=requests)
    journal = tmp_path / "journal"
    with open_context(settings, "round trips") as ctx:
        prepared = stage_batch(ctx, path, RunOptions())
        with open_systems(ctx.home, settings) as systems:
            before = {s: len(_journal(journal, s)) for s in ("broadworks", "billing")}
            for chunk in chunks_to_do(ctx, prepared.batch_id, 500):
                out = provision_chunk(ctx, systems, prepared.batch_id, chunk)
                assert out["done"]["broadworks"] == out["done"]["billing"] == CUSTOMERS, out
            plans = [p for _, p in load_plans(ctx.store, prepared.batch_id, chunk)]
            assert len(plans) == CUSTOMERS

    bw = _journal(journal, "broadworks")[before["broadworks"]:]
    docs = [_commands(e["request"]) for e in bw]
    assert max(len(d) for d in docs) <= MAX_COMMANDS
    shared = [d for d in docs if len({cmd.findtext("serviceProviderId") for cmd in d} - {None}) > 1]
    assert shared, "no document carried commands of two customers"
    bw_per_customer = len(bw) / CUSTOMERS  # logins included
    assert bw_per_customer <= BROADWORKS_MAX, f"{bw_per_customer:.2f} BroadWorks round trips per customer"
    for e in bw:  # multi-command documents are schema-valid (every request type: test_schema_conformance)
        assert validate_document(e["request"]) == [], e["request"][:300]

    billing = _journal(journal, "billing")[before["billing"]:]
    floor = sum(request_floor(CustomerOrder.from_dict(p)) for p in plans)
    assert floor > 12 * CUSTOMERS  # the sample's customers order packages: the floor is not trivial
    # The floor (one POST per object + one search per customer), plus per chunk the login and the
    # partner's search and creation: nothing else.
    assert len(billing) <= floor + 3, (
        f"{len(billing) / CUSTOMERS:.2f} billing requests per customer, floor {floor / CUSTOMERS:.2f}")
