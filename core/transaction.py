"""One transaction shape for the two SQL stores we own (staging's DuckDB, the simulators' SQLite)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def transaction(execute: Callable[[str], object], begin: str = "BEGIN TRANSACTION") -> Iterator[None]:
    """``begin``, then COMMIT when the block ends, ROLLBACK (and re-raise) when it raises, Ctrl-C included."""
    execute(begin)
    try:
        yield
    except BaseException:
        execute("ROLLBACK")
        raise
    execute("COMMIT")
