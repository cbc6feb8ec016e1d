"""The simulator's error answers: its own numbers, in two variants the tests can flip between.

The numbers are the simulator's choice, never the client's: the client decides from list requests,
from the shape of an answer and from phrases, not from ``[Error NNNN]``. The ``alternate`` variant
leaves out the optional ``errorCode`` element and uses other numbers (and other wording for a lost
session), so a test proves nothing in the client hangs on either.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.broadworks.ocip import error_command

ERR_INVALID_REQUEST = "4003"  # a value a rule refuses (bad range, weak password)
ERR_NOT_FOUND = "4008"
ERR_DUPLICATE = "4100"
ERR_NOT_AUTHORIZED = "4300"
ERR_QUANTITY = "4310"  # more than was authorized above
ERR_LOGIN_FAILED = "4962"
ERR_SESSION = "6001"  # not logged in / session unknown
ERR_SCHEMA = "6004"  # "OCI XML Request validation error": order, facets, enumerations, 16+ commands

SCHEMA_SUMMARY = "OCI XML Request validation error"

VARIANTS = ("standard", "alternate")

# Other numbers for the same meanings (any will do, as long as they differ from the standard ones).
_ALTERNATE = {
    ERR_INVALID_REQUEST: "8003",
    ERR_NOT_FOUND: "8110",
    ERR_DUPLICATE: "8120",
    ERR_NOT_AUTHORIZED: "8130",
    ERR_QUANTITY: "8140",
    ERR_LOGIN_FAILED: "8150",
    ERR_SESSION: "8160",
    ERR_SCHEMA: "8170",
}

SESSION_SUMMARIES = {"standard": "Not logged in or invalid session", "alternate": "Invalid sessionId"}


@dataclass(frozen=True)
class ErrorStyle:
    """How this simulator writes its ErrorResponses."""

    variant: str = "standard"

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"error variant must be one of {VARIANTS}, got {self.variant!r}")

    def code(self, code: str) -> str:
        return _ALTERNATE.get(code, code) if self.variant == "alternate" else code

    def command(self, code: str, summary: str, detail: str | None = None) -> str:
        return error_command(self.code(code), summary, detail, with_code=self.variant == "standard")

    def session_summary(self) -> str:
        return SESSION_SUMMARIES[self.variant]
