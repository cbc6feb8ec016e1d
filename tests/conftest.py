"""Isolation for every test: its own data home and PREFECT_HOME, no telemetry, no real network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from onboard.prefect_env import configure_prefect

# What the command line sets before it imports flows: no telemetry, quiet logs, a long first start-up of the
# temporary API server on a loaded machine (each test then gets its own PREFECT_HOME below).
configure_prefect(Path(__file__).resolve().parents[1])

CASES = Path(__file__).parent / "cases"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ONBOARD_HOME", str(home))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    for var in (
        "ONBOARD_BROADWORKS_URL",
        "ONBOARD_BILLING_URL",
        "ONBOARD_TICKETS_URL",
        "ONBOARD_SMTP_URL",
        "ONBOARD_SECRET_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture
def cases() -> Path:
    return CASES
