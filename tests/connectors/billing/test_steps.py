"""`onboard plan` shows what a run sends: every billing POST a first run makes is in the preview."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from connectors.billing.provision import BillingProvisioner
from connectors.billing.steps import planned_requests
from connectors.common.simhttp import RunningSim
from tests.connectors.billing.conftest import Recorder, SimFactory, make_order


def _preview_posts(rows: list[dict[str, str]]) -> Counter[str]:
    """POSTed resources the preview announces, counted (``2 x POST ContactPoint`` counts twice)."""
    want: Counter[str] = Counter()
    for row in rows:
        if "once per partner" in row["request"]:
            continue  # made by the partner's first customer only
        for times, resource in re.findall(r"(?:(\d+) x )?POST ([A-Za-z/]+)", row["request"]):
            want[resource] += int(times or 1)
    return want


def test_preview_lists_every_post_of_a_run(make_sim: SimFactory, make_client: Any, tmp_path: Path) -> None:
    sim: RunningSim = make_sim(journal=True)
    prov = BillingProvisioner(make_client(sim))
    prov.ensure_partner("P100", "Bright Voice")  # the partner account exists: the preview excludes it too
    journal = tmp_path / "sim" / "billing.jsonl"
    before = len(journal.read_text(encoding="utf-8").splitlines())
    order = make_order()
    assert prov.provision(order, {}, Recorder()).status == "done"
    entries = [json.loads(x) for x in journal.read_text(encoding="utf-8").splitlines()[before:]]
    sent: Counter[str] = Counter()
    for e in entries:
        path = e["request"]["path"]
        if e["request"]["method"] == "POST" and "/Search" not in path and "Login" not in path:
            sent[path.split("/api/v10/", 1)[1]] += 1
    preview = planned_requests(order)
    assert [r["step"] for r in preview][:2] == ["partner_account", "enterprise_account"]
    got = _preview_posts(preview)
    # Account/Package is one request per package line at run time; the preview names the step once.
    assert {k: v for k, v in got.items() if k != "Account/Package"} == \
        {k: v for k, v in sent.items() if k != "Account/Package"}
    assert "Account/Package" in sent and "Account/Package" in got
    assert sent["Account/Parent"] == 2 and sent["ContactPoint"] == 1 + len(order.emails)
