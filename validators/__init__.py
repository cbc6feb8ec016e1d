"""Validation of a normalized order: pandera schemas per sheet, cross-sheet rules, finding codes (DESIGN §4).

This is the project's own ``validators`` package (PyPI has an unrelated one of the same name)."""

from validators.findings import CODES, Finding, findings_frame
from validators.fingerprint import customer_fingerprints
from validators.validate import Totals, ValidationResult, validate_order

__all__ = ["CODES", "Finding", "Totals", "ValidationResult", "customer_fingerprints", "findings_frame",
           "validate_order"]
