"""The Prefect environment of an `onboard` process, set before anything imports Prefect.

It used to be set as a side effect of importing ``flows``; importing a package should not change the process
(issue 15), so the entry points (the command line, the benchmarks, the test configuration) call this first.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect(base: Path | None = None, *, create: bool = True) -> Path:
    """No telemetry, quiet logs, a project-local PREFECT_HOME unless one is set; the home, created unless
    ``create`` is False (the command line: only a command that uses Prefect creates it, ``make_prefect_home``)."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_HOME", str((base or Path.cwd()) / "var" / "prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The local API server's first start migrates its database; on a busy 2-core machine that takes > 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    home = Path(os.environ["PREFECT_HOME"])
    if create:
        make_prefect_home()
    return home


def make_prefect_home() -> None:
    """PREFECT_HOME with its parents (Prefect creates its home without parents), right before Prefect is used:
    a file refused before that leaves no trace there (issue 14)."""
    Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
