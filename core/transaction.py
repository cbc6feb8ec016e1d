"""One transaction shape for the two SQL stores we own (staging's DuckDB, the simulators' SQLite)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def transaction(execute: Callable[[str], object], begin: str | None = "BEGIN TRANSACTION") -> Iterator[None]:
    """``begin``, then COMMIT when the block ends, ROLLBACK (and re-raise) when it raises, Ctrl-C included.
    ``begin=None``: the transaction was begun already (staging begins one while the workbook is still read),
    and the block commits or rolls back that one."""
    if begin is not None:
        execute(begin)
    try:
        yield
    except BaseException:
        execute("ROLLBACK")
        raise
    execute("COMMIT")
