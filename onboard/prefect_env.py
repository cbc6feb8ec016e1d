"""The Prefect environment of an `onboard` process, set before anything imports Prefect.

It used to be set as a side effect of importing ``flows``; importing a package should not change the process
(issue 15), so the entry points (the command line, the benchmarks, the test configuration) call this first.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure_prefect(base: Path | None = None) -> Path:
    """No telemetry, quiet logs, a project-local PREFECT_HOME unless one is set; returns that home.

    Only its parent is created (Prefect makes its home without parents, when it first starts): a command that
    never starts Prefect, or a file refused before staging, leaves no Prefect home behind (issue 14)."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_HOME", str((base or Path.cwd()) / "var" / "prefect"))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # The local API server's first start migrates its database; on a busy 2-core machine that takes > 20 s.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    home = Path(os.environ["PREFECT_HOME"])
    home.parent.mkdir(parents=True, exist_ok=True)
    return home
