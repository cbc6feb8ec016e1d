"""Typed connector errors.

Transient errors may be retried (after backoff); terminal ones never are: they become a ledger error
and a report row. ``InDoubtError`` is a transient error raised when a request may have been applied
(the answer was lost): the caller must look up before it sends the request again.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error a connector raises."""

    system: str = "external"

    def __init__(self, message: str, *, code: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.insert(0, f"[{self.code}]")
        if self.detail:
            parts.append(f"({self.detail})")
        return " ".join(parts)


class TransientError(ConnectorError):
    """Timeouts, connection loss, 5xx, 429, NO_OCS_CONNECTION: worth another try after a pause."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        detail: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code, detail=detail)
        self.retry_after = retry_after


class InDoubtError(TransientError):
    """The request was sent but no answer came back: it may or may not have been applied."""


class TerminalError(ConnectorError):
    """The system rejected the request; sending it again unchanged cannot succeed."""


class AuthError(TerminalError):
    """Credentials were refused (after a fresh login)."""
