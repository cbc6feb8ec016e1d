from __future__ import annotations

from pathlib import Path

import validators
from validators import CODES


def test_import_validators_is_ours() -> None:
    # PyPI has an unrelated "validators" package: the project's folder must win.
    root = Path(__file__).resolve().parents[2]
    assert Path(validators.__file__).resolve() == root / "validators" / "__init__.py"
    assert hasattr(validators, "validate_order")


def test_codes_table_is_complete() -> None:
    assert len(CODES) == 37  # issue 19: ENTERPRISE_NOT_FOUND, CUSTOMER_NOT_FOUND, BILLING_TYPE_MISMATCH
    assert all(c.severity in ("error", "warning") and c.description for c in CODES.values())
    warnings = {c for c, v in CODES.items() if v.severity == "warning"}
    assert warnings == {"VALUE_REPAIRED", "BILLING_START_PAST", "ALREADY_ONBOARDED", "QUANTITY_DEFAULTED",
                        "DID_BACKORDER", "UNKNOWN_COLUMN", "UNKNOWN_SHEET"}
