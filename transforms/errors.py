"""The user-error type of the reading stage; the class itself lives in ``core.errors`` (the user-error base)."""

from __future__ import annotations

from core.errors import InputError

__all__ = ["InputError"]
