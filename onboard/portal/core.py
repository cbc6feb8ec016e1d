"""The one call from the portal into the core: workbook -> findings + counts (+ annotated copies).

It is the function behind ``onboard validate`` (so the portal and the CLI can never disagree); when the
core moves into ``core/``, this is the only import to repoint.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def validate_file(path: Path, partner_id: str, errors_out: Path, *, allow_pending_e911: bool = False) -> dict[str, Any]:
    """``{"customers": {...}, "findings": [...], "errors_out", "held_back"}`` as ``onboard validate --json``."""
    from onboard.commands import validate

    result = validate(path, partner_id, allow_pending_e911, errors_out)
    for key in ("errors_out", "held_back"):
        if result.get(key):
            os.chmod(result[key], 0o600)  # DESIGN §5: every file under the data home is 0600
    return result
