"""Submitting a validated upload: a flow run of the ``onboard_order_sheet`` deployment that serve hosts.

The portal never opens DuckDB: it starts runs through Prefect (the deployment runs one at a time) and
reads the status snapshot each run keeps current. Which partner submitted which batch is recorded under
``<home>/portal/batches/`` so the batch page can show "queued" before the run has staged it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from staging.batches import batch_id, input_files

DEPLOYMENT = "onboard_order_sheet/portal"  # flow name / deployment name (flows/onboard_order_sheet.py)


class SubmitError(RuntimeError):
    """The run could not be started (the orchestrator is not reachable)."""


class Submitter(Protocol):
    def submit(self, parameters: dict[str, Any]) -> str:
        """Start a run with these flow parameters; return the flow run id."""
        ...

    def state(self, flow_run_id: str) -> str | None:
        """The run's state (``SCHEDULED``, ``PENDING``, ``RUNNING``, ``FAILED``, ``CRASHED``...), None if unknown."""
        ...


ENDED_WITHOUT_STAGING = ("FAILED", "CRASHED", "CANCELLED")


@dataclass
class PrefectSubmitter:
    """Creates a flow run of the deployment and returns at once (``run_deployment(..., timeout=0)``)."""

    api_url: str | None = None
    deployment: str = DEPLOYMENT

    def submit(self, parameters: dict[str, Any]) -> str:
        from flows.onboard_order_sheet import start_portal_run

        try:
            return start_portal_run(parameters, self.deployment, self.api_url)
        except Exception as exc:  # the orchestrator's own errors vary by version: one sentence to the partner
            raise SubmitError(f"the run could not be started ({type(exc).__name__}); try again in a minute "
                              "or ask the operator to check 'onboard serve'") from exc

    def state(self, flow_run_id: str) -> str | None:
        from flows.onboard_order_sheet import portal_run_state

        try:
            return portal_run_state(flow_run_id, self.api_url)
        except Exception:  # the orchestrator unreachable: the page says "queued" and looks again later
            return None


def batch_for(partner_id: str, path: Path) -> str:
    """The batch id the run will give this upload (DESIGN §5): the same file is the same batch."""
    return batch_id(partner_id, input_files([path]))


def _records(home: Path) -> Path:
    d = home / "portal" / "batches"
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    return d


def record(home: Path, batch: str, partner_id: str, upload_id: str, flow_run_id: str, all_or_nothing: bool) -> None:
    path = _records(home) / f"{batch}.json"
    doc = {"batch": batch, "partner": partner_id, "upload": upload_id, "flow_run": flow_run_id,
           "all_or_nothing": all_or_nothing, "submitted_at": datetime.now(UTC).isoformat(timespec="seconds")}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
    os.replace(tmp, path)


def submitted(home: Path, batch: str) -> dict[str, Any] | None:
    if not all(c in "0123456789abcdef" for c in batch) or len(batch) != 16:
        return None
    path = home / "portal" / "batches" / f"{batch}.json"
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def all_submitted(home: Path) -> list[dict[str, Any]]:
    d = home / "portal" / "batches"
    if not d.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8")) for p in d.glob("*.json")]
