"""Retry with exponential backoff and full jitter, for transient errors only."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from connectors.common.errors import InDoubtError, TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    base_delay: float = 0.05
    max_delay: float = 5.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Pause before try number ``attempt + 1`` (attempt counts from 1)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_delay)
        cap = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return random.uniform(0, cap)


@dataclass
class RetryStats:
    """Counts shared by a client across calls (for reports and the closing numbers)."""

    retries: int = 0
    in_doubt: int = 0


def call_with_retry(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    stats: RetryStats | None = None,
    on_in_doubt: Callable[[], T | None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn``; on a transient error pause and try again, up to ``policy.attempts`` tries.

    A request whose answer was lost (``InDoubtError``) is never re-sent blindly: ``on_in_doubt`` looks
    the result up first and, when it finds it, that is the answer. Terminal errors pass straight up.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except InDoubtError as exc:
            if stats is not None:
                stats.in_doubt += 1
            if on_in_doubt is not None:
                found = _lookup_with_retry(on_in_doubt, policy, stats, sleep)
                if found is not None:
                    return found
            _pause_or_raise(attempt, exc, policy, stats, sleep)
        except TransientError as exc:
            _pause_or_raise(attempt, exc, policy, stats, sleep)


def _pause_or_raise(
    attempt: int, exc: TransientError, policy: RetryPolicy, stats: RetryStats | None, sleep: Callable[[float], None]
) -> None:
    """After a transient failure: give up (re-raise) when the tries are spent, else count and pause."""
    if attempt >= policy.attempts:
        raise exc
    if stats is not None:
        stats.retries += 1
    sleep(policy.delay(attempt, exc.retry_after))


def _lookup_with_retry(
    lookup: Callable[[], T | None],
    policy: RetryPolicy,
    stats: RetryStats | None,
    sleep: Callable[[float], None],
) -> T | None:
    attempt = 0
    while True:
        attempt += 1
        try:
            return lookup()
        except TransientError as exc:
            _pause_or_raise(attempt, exc, policy, stats, sleep)
