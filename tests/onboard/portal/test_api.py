"""The JSON API with a bearer token, and its OpenAPI document."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.onboard.portal.conftest import LivePortal, order_book

pytestmark = pytest.mark.browser


def test_api_upload_with_a_bearer_token_and_openapi(live_portal: LivePortal, page: Any, tmp_path: Path) -> None:
    token = live_portal.token("acme-telecom")
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=live_portal.url, timeout=60) as client:
        assert client.post("/api/uploads", files={"file": ("o.xlsx", b"x")}).status_code == 401
        book = order_book(tmp_path / "order.xlsx", held=True)
        res = client.post("/api/uploads", headers=auth, files={"file": ("order.xlsx", book.read_bytes())})
        assert res.status_code == 200, res.text
        doc = res.json()
        assert doc["customers"] == {"total": 4, "valid": 3, "held": 1, "skipped": 0}
        assert {"sheet", "row", "column", "code", "severity", "message", "account"} <= set(doc["findings"][0])
        assert any(f["code"] == "REQUIRED_MISSING" for f in doc["findings"])
        errors = client.get(doc["errors_workbook"], headers=auth)
        assert errors.status_code == 200
        (tmp_path / "e.xlsx").write_bytes(errors.content)
        assert "Errors" in load_workbook(tmp_path / "e.xlsx").sheetnames
        only_warnings = client.get(f"/api/uploads/{doc['upload']}/findings", params={"severity": "warning"},
                                   headers=auth).json()
        assert all(f["severity"] == "warning" for f in only_warnings)
        other = {"Authorization": f"Bearer {live_portal.token('northwind')}"}
        assert client.get(f"/api/uploads/{doc['upload']}", headers=other).status_code == 404
        assert client.get(doc["errors_workbook"], headers=other).status_code == 404
        pdf = client.post("/api/uploads", headers=auth, files={"file": ("o.xlsx", b"%PDF-1.4 hello")})
        assert pdf.status_code == 400 and "PDF" in pdf.json()["detail"]
        broken = io.BytesIO()
        with zipfile.ZipFile(broken, "w") as z:
            z.writestr("xl/workbook.xml", "<not xml")
        res = client.post("/api/uploads", headers=auth, files={"file": ("mine.xlsx", broken.getvalue())})
        assert res.status_code == 400 and "mine.xlsx" in res.json()["detail"]
        assert str(live_portal.home) not in res.text  # our paths are never shown
        csv = client.post("/api/uploads", headers=auth,
                          files={"file": ("customers.csv", b"Account Name,Email\nSolo Co,a@solo.example\n")})
        assert csv.status_code == 200 and csv.json()["customers"]["total"] == 1
        assert (live_portal.home / "uploads" / "acme-telecom" / csv.json()["upload"] / "customers.csv").is_file()
        spec = client.get("/openapi.json").json()
    assert {"/api/uploads", "/api/uploads/{upload_id}", "/api/batches/{batch_id}",
            "/api/batches/{batch_id}/report.xlsx"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    page.goto(live_portal.url + "/openapi.json")  # the screenshot artifact shows the document
