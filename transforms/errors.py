"""The user-error type of the reading stage (its own module so that the guard and ingest share it)."""

from __future__ import annotations


class InputError(Exception):
    """Unusable input: the message is one line that says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
