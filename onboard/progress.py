"""The terminal progress display of long commands, behind one small interface a callback can drive.

``phase(name, total)`` starts a labelled phase with its total known from the start (a bar that says
``0/?`` for a minute tells the operator nothing); ``advance(n)`` moves it. ``reporter()`` adapts the
``(done, total)`` callback the flows report through (``pipeline.progress``) to the provisioning phase, and
switches to the reconciliation phase once every customer is through. The bar goes to stderr, so stdout
stays clean for ``--json``; with ``enabled=False`` (``--json``, tests) nothing is drawn at all.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any


class Progress:
    def __init__(self, enabled: bool, *, noun: str = "customers", verb: str = "provisioning") -> None:
        self.enabled = enabled
        self.noun, self.verb = noun, verb
        self.name = ""
        self.total: int | None = None
        self.done = 0
        self.phases: list[tuple[str, int | None]] = []  # every phase shown, in order (tests read it)
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self._bar.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def phase(self, name: str, total: int | None = 1) -> None:
        """Start phase ``name`` of ``total`` units (1 for a step that is done in one go)."""
        self.name, self.total, self.done = name, total, 0
        self.phases.append((name, total))
        if self._bar is not None:
            if self._task is not None:
                self._bar.remove_task(self._task)
            self._task = self._bar.add_task(name, total=total)

    def advance(self, n: int = 1) -> None:
        self._set(self.done + n)

    def _set(self, done: int) -> None:
        self.done = done
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done)

    def reporter(self) -> Callable[[int, int], None]:
        """The ``(done, total)`` callback of ``pipeline.progress``: provisioning N customers, then reconciling."""

        def report(done: int, total: int) -> None:
            label = f"{self.verb} {total} {self.noun}"
            if self.name != label:
                self.phase(label, total)
            self._set(done)
            if done >= total:  # every customer through: the flow reads back and writes the report next
                self.phase("reconciling", 1)

        return report
