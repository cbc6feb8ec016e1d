"""The account key: how one customer is recognised across sheets, batches and systems.

The Account Name casefolded with its whitespace collapsed. Every layer uses this one function (the
vectorised ``transforms.normalize.account_key`` maps it over a column).
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=262144)  # the same names recur on every sheet of a book
def account_key(name: str) -> str:
    return " ".join(str(name).casefold().split())
