"""`onboard plan` of a file not staged yet shows what the run will use: the ids staging will give
(near-duplicate names never share one) and the billing requests the run sends (issue 15 loose ends)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from data.samples.generate import sample_rows, write_xlsx
from pipeline.batch import run_file
from pipeline.plan_view import plan_steps
from pipeline.stage import RunOptions
from tests.pipeline.conftest import Sims, settings_for
from tests.pipeline.test_identity import plans, renamed


def _preview_ids(doc: dict[str, Any]) -> dict[str, str]:
    return {c["account"]: next(s["detail"] for s in c["steps"]["broadworks"] if s["step"] == "enterprise")
            for c in doc["customers"] if not c.get("held")}


def test_preview_gives_the_ids_the_run_uses(sims: Sims, isolated_home: Path, tmp_path: Path) -> None:
    settings = settings_for(isolated_home, sims)
    first_book = sample_rows(1, invalid=False)
    name = str(first_book.rows["Customers"][0][1])
    run_file(settings, write_xlsx(renamed(first_book, {name: "Acme Dental"}), tmp_path / "a.xlsx"), RunOptions())
    taken = plans(isolated_home)["Acme Dental"]["enterprise_id"]

    book = sample_rows(2, invalid=False, seed=11)
    a, b = (str(r[1]) for r in book.rows["Customers"][:2])
    path = write_xlsx(renamed(book, {a: "Acme-Dental", b: "Acme  Dental."}), tmp_path / "b.xlsx")
    preview = _preview_ids(plan_steps(settings, str(path)))
    assert len(set(preview.values())) == 2 and taken not in preview.values()  # slug-alike names: own ids

    run_file(settings, path, RunOptions())
    staged = plans(isolated_home)
    assert preview == {acc: staged[acc]["enterprise_id"] for acc in preview}


def test_preview_lists_the_billing_link_and_contact_points(isolated_home: Path, tmp_path: Path) -> None:
    from core.settings import load_settings

    path = write_xlsx(sample_rows(1, invalid=False), tmp_path / "o.xlsx")
    doc = plan_steps(load_settings(), str(path))
    billing = {s["step"]: s["request"] for s in doc["customers"][0]["steps"]["billing"]}
    assert "Account/Parent" in billing["enterprise_account"] and "Account/Parent" in billing["customer_account"]
    assert "ContactPoint" in billing["billing_contact"]


def test_preview_names_the_consolidated_requests_when_the_setting_says_so(
        isolated_home: Path, tmp_path: Path, monkeypatch: Any) -> None:
    from core.settings import load_settings

    path = write_xlsx(sample_rows(1, invalid=False), tmp_path / "o.xlsx")
    classic = {s["step"]: s["request"] for s in plan_steps(load_settings(), str(path))["customers"][0]["steps"]["broadworks"]}
    assert classic["enterprise"] == "ServiceProviderAddRequest13mp2" and classic["group"] == "GroupAddRequest"
    monkeypatch.setenv("ONBOARD_OCIP_REQUESTS", "consolidated")
    doc = plan_steps(load_settings(), str(path))
    bw = {s["step"]: s["request"] for s in doc["customers"][0]["steps"]["broadworks"]}
    assert bw["enterprise"] == "ServiceProviderConsolidatedAddRequest" and bw["group"] == "GroupConsolidatedAddRequest"
    assert bw["admin"] == "ServiceProviderAdminAddRequest14"  # the admin stays its own step (credentials first)
    assert all(r.startswith("(in ") for s, r in bw.items() if s in ("service_packs", "numbers_assigned"))
