"""Commands of several customers share one OCI-P document (issue 18 b): a client that coalesces.

Each customer of a chunk still runs its own step machine on its own thread (look up, send what is
missing, settle a lost answer by looking again: ``BroadWorksProvisioner``), but its ``send`` goes here:
the commands of every customer waiting at the same moment are packed into documents of at most 15
commands (the BroadsoftDocument cap of OCISchemaBASE), sent on the client's sessions, and each
customer gets back exactly the answers to its own commands.

Why this keeps the dependency order and exactly-once: a customer submits its next step only after
the answer to the previous one came back, so a customer's dependent commands (group after enterprise,
DN assign after DN add, ...) are always in a LATER document than their parent; we never rely on the
server running a document's commands in order or skipping the rest after an error. OCI-P answers a
document command by command, each with its own response or ErrorResponse (the public OCI-P clients
read one response per command: e.g. the ``broadworks-ocip`` package and lukebeer/broadworks-ocip's
OCIBuilder; our simulator does the same), so one customer's ErrorResponse is that customer's alone.
A document-level failure (no answer, a lost session, a 5xx) reaches every customer in that document
as the same typed error: a transient one is retried by each, an in-doubt one is settled by each with a
look-up, exactly as when the document held one customer.

A batch is sent when 15 commands are waiting, when every member (customer still to finish its
BroadWorks phase) is waiting and no document is in flight (nobody could add to it), or when the oldest
waiting command is ``window`` seconds old (answers in flight bring their customers' next commands
within that time; a member busy elsewhere, e.g. writing the outbox, is not waited for longer).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from connectors.broadworks.client import OcipClient
from connectors.broadworks.ocip import MAX_COMMANDS, Command, OciResponse


@dataclass(eq=False)
class _Part:
    """One caller's commands: answered together, never split across documents."""

    commands: list[Command]
    since: float = field(default_factory=time.monotonic)
    answers: list[OciResponse] | None = None
    error: BaseException | None = None
    done: bool = False


class SharedDocuments(OcipClient):
    """An ``OcipClient`` for the threads of one chunk: ``send``/``get``/``call`` as the wrapped client's,
    but documents are shared. Only ``send`` is overridden; ``get`` and ``call`` build on it."""

    def __init__(self, inner: OcipClient, *, sessions: int, members: int = 0, window: float = 0.02) -> None:
        # Deliberately not OcipClient.__init__: this object owns no session, the wrapped client does.
        self.inner = inner
        self.url = inner.url
        self.user = inner.user
        self.policy = inner.policy
        self.stats = inner.stats
        self.secure = inner.secure
        self.window = window
        self._cond = threading.Condition()
        self._waiting: list[_Part] = []  # not sent yet, in arrival order
        self._open = 0  # parts waiting or in flight
        self._members = members  # customers that will still send (see ``leave``)
        self._pool = ThreadPoolExecutor(max_workers=max(1, sessions), thread_name_prefix="ocip-doc")
        self.documents = 0  # documents this object sent (for tests)

    def __repr__(self) -> str:
        return f"SharedDocuments({self.inner!r})"

    @property
    def round_trips(self) -> int:
        return self.inner.round_trips

    def leave(self) -> None:
        """One of the ``members`` customers has sent its last command: a partly filled document no
        longer waits for it. (Counted from the start, so that the first customers to start do not
        each leave alone before the others have joined.)"""
        with self._cond:
            self._members -= 1
            self._flush_locked()
            self._cond.notify_all()

    def close(self) -> None:
        """Stops the sender threads; the wrapped client (and its sessions) stays open."""
        self._pool.shutdown(wait=True)

    def send(self, commands: Sequence[Command]) -> list[OciResponse]:
        if not commands:
            return []
        if len(commands) > MAX_COMMANDS:  # cannot share a document: documents of its own
            return self.inner.send(commands)
        part = _Part(list(commands))
        with self._cond:
            self._waiting.append(part)
            self._open += 1
            while not part.done:
                self._flush_locked()
                if part.done:
                    break
                timeout = self.window if self._waiting else None
                self._cond.wait(timeout)
        if part.error is not None:
            raise copy.copy(part.error)  # each thread raises (and tracebacks) its own copy
        assert part.answers is not None
        return part.answers

    # ------------------------------------------------------------ internals (hold the condition)

    def _flush_locked(self) -> None:
        while sum(len(p.commands) for p in self._waiting) >= MAX_COMMANDS:
            self._cut_locked()
        if not self._waiting:
            return
        # Every member is waiting and nothing is in flight that could come back with more commands.
        everyone_waits = self._open >= self._members and self._open == len(self._waiting)
        stale = time.monotonic() - self._waiting[0].since >= self.window
        while self._waiting and (everyone_waits or stale):
            self._cut_locked()

    def _cut_locked(self) -> None:
        """One document: the oldest part, then every later part that still fits (first fit)."""
        doc: list[_Part] = []
        size = 0
        for p in list(self._waiting):
            if size + len(p.commands) <= MAX_COMMANDS:
                doc.append(p)
                size += len(p.commands)
                self._waiting.remove(p)
        self.documents += 1
        self._pool.submit(self._send_document, doc)

    def _send_document(self, doc: list[_Part]) -> None:
        commands = [c for p in doc for c in p.commands]
        try:
            answers = self.inner.send(commands)
        except BaseException as exc:  # the same typed error for every customer of the document
            with self._cond:
                for p in doc:
                    p.error, p.done = exc, True
                self._open -= len(doc)
                self._cond.notify_all()
            return
        with self._cond:
            at = 0
            for p in doc:
                p.answers, p.done = answers[at : at + len(p.commands)], True
                at += len(p.commands)
            self._open -= len(doc)
            self._cond.notify_all()
