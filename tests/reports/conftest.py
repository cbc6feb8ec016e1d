"""Fixtures of the report tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reports.helpers import write_source


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A partner workbook with the injection corpus in account names and notes."""
    return write_source(tmp_path / "order.xlsx")
