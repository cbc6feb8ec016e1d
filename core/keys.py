"""The account key: how one customer is recognised across sheets, batches and systems.

The Account Name casefolded with its whitespace collapsed. Every layer uses this one function (the
vectorised ``transforms.normalize.account_key`` maps it over a column).
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=262144)  # the same names recur on every sheet of a book
def account_key(name: str) -> str:
    return " ".join(str(name).casefold().split())


def ticket_external_id(partner_id: str, account: str, kind: str, detail: str = "") -> str:
    """A follow-up ticket's idempotency key, ``<partner>:<account>:<kind>[:<detail>]``: stable across runs and
    re-uploads, so the tickets system is asked for it before one is opened. The one builder (issue 15)."""
    return f"{partner_id}:{account}:{kind}" + (f":{detail}" if detail else "")


def ticket_step(kind: str, detail: str = "") -> str:
    """The ledger step of a follow-up ticket: ``ticket:<kind>[:<detail>]``."""
    return "ticket:" + kind + (":" + detail if detail else "")
