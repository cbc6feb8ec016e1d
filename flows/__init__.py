"""Prefect flows and the plain pipeline functions they wrap (Prefect is imported only in flow modules)."""

import os

# Before anything imports Prefect: no telemetry, and a project-local PREFECT_HOME unless one is set.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", os.path.join(os.getcwd(), "var", "prefect"))
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# The local API server's first start migrates its database; on a busy 2-core machine that takes > 20 s.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
# Prefect creates its home without parents; make sure it exists before the first import.
os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)
