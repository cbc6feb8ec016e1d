"""A process-wide progress hook: the CLI sets a rich progress bar, flows report chunks to it."""

from __future__ import annotations

from collections.abc import Callable

_reporter: Callable[[int, int], None] | None = None


def set_reporter(fn: Callable[[int, int], None] | None) -> None:
    global _reporter
    _reporter = fn


def report(done: int, total: int) -> None:
    if _reporter is not None:
        _reporter(done, total)
