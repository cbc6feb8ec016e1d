"""The pipeline as plain functions: stage, provision in chunks, mail, read back and reconcile, migrate, nightly.

Prefect-free on purpose: `flows/` wraps these in flows and tasks (chunking, retries, artifacts), and tests and
tools call them directly. Below `flows/`, above the stages it drives (staging, connectors, reports).
"""
