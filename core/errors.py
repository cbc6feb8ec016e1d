"""The user-error base: failures the user can fix, shown as one line (exit 2), never a traceback.

Each layer raises its own subclass (``InputError`` for unreadable input, ``ConfigError`` for settings,
``UsageError`` for arguments); ``onboard`` catches ``UserError`` once instead of listing every layer.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: the message is one line that says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InputError(UserError):
    """Unusable input (a file, a sheet, a setting read from the environment)."""


class UsageError(UserError, ValueError):
    """Bad arguments or input the user can fix."""


class ConfigError(UserError, ValueError):
    """Settings that cannot work together (e.g. real BroadWorks with simulated billing)."""
