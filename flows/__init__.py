"""Prefect flows and tasks: thin wrappers over ``pipeline`` (chunking, retries, progress, artifacts).

Importing this package changes nothing in the process: the Prefect environment (no telemetry, a local
PREFECT_HOME) is set by the entry points before they import it (``onboard.prefect_env``).
"""
