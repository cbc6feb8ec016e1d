"""Input limits checked before any reader sees a file (``transforms.guard``; issue 14).

They live on the ground floor because settings carry them as defaults and the guard enforces them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.errors import InputError


@dataclass(frozen=True)
class Limits:
    max_unzipped_mb: int = 1024
    max_cells: int = 50_000_000

    @classmethod
    def from_env(cls) -> Limits:
        """The limits from ``ONBOARD_MAX_UNZIPPED_MB`` / ``ONBOARD_MAX_CELLS`` (the CLI passes its settings)."""
        d = cls()
        return cls(_env_int("ONBOARD_MAX_UNZIPPED_MB", d.max_unzipped_mb), _env_int("ONBOARD_MAX_CELLS", d.max_cells))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else default
    except ValueError:
        raise InputError(f"setting {name}={raw!r} is not a whole number") from None
