"""Ctrl-C (SIGINT) and SIGTERM end any command within 2 s (issue 14).

Unwinding through Prefect's engine, a pool of connector threads and their retry back-offs took up to a
minute and printed two tracebacks. The handler instead does what matters and ends the process at once:

1. every batch the process was running becomes ``interrupted`` and the writer lock is released
   (``staging.store.interrupt_open_stores``);
2. the ephemeral Prefect API server this process started is killed (it would outlive us otherwise);
3. one line (``{"error": ...}`` under ``--json``), exit 2.

Ending mid-step is safe for the same reason SIGKILL is (``tests/pipeline/test_chaos.py``): every step is in
the ledger before it is sent and a resume looks up what it cannot be sure of.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from types import FrameType

MESSAGE = "interrupted; run the same command again to resume"
EXIT_INTERRUPTED = 2  # onboard.errors.EXIT_UNUSABLE: the code `onboard` has always used for an interrupted run

_state = {"as_json": False, "message": MESSAGE}


def install(*, as_json: bool, message: str = MESSAGE) -> None:
    """Route SIGINT and SIGTERM to ``stop`` (main thread only: that is where Python runs handlers)."""
    _state.update(as_json=as_json, message=message)
    with contextlib.suppress(ValueError):  # not the main thread (a test calling a command in a worker)
        signal.signal(signal.SIGINT, _handler)
        signal.signal(signal.SIGTERM, _handler)


def _handler(signum: int, frame: FrameType | None) -> None:
    """Start the clean-up beside the interrupted code and return at once. Python runs this handler in the main
    thread wherever it stopped, possibly inside DuckDB (which polls for signals while a query runs and turns
    a handler's exception into "Query interrupted"): doing the work here would re-enter that connection."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
    threading.Thread(target=stop, name="onboard-interrupt", daemon=True).start()


# Prefect's flow engine replaces the SIGTERM handler with its own (raising TerminationSignal, then minutes of
# unwinding); a flow puts ours back when it sees this mark on the SIGINT handler (pipeline.interrupts).
_handler.onboard_interrupt = True  # type: ignore[attr-defined]


def stop() -> None:
    try:
        stop_prefect_server()  # first: it is a process of its own that would outlive us
        with contextlib.suppress(Exception):
            from staging.store import interrupt_open_stores

            interrupt_open_stores()
        with contextlib.suppress(Exception):
            from staging.lock import release_pinned

            release_pinned()  # the lock `onboard run` holds for the whole command (onboard.runtime)
        text = str(_state["message"])
        if _state["as_json"]:
            sys.stdout.write(json.dumps({"error": text}) + "\n")
            sys.stdout.flush()
        else:
            sys.stderr.write(f"error: {text}\n")
            sys.stderr.flush()
    finally:
        os._exit(EXIT_INTERRUPTED)


def stop_prefect_server(grace: float = 0.3) -> None:
    """Kill the temporary Prefect API server(s) this process started (Prefect keeps them in a class registry)."""
    module = sys.modules.get("prefect.server.api.server")
    if module is None:
        return
    with contextlib.suppress(Exception):
        servers = list(module.SubprocessASGIServer._instances.values())
        for server in servers:
            proc = getattr(server, "server_process", None)
            if proc is None or proc.poll() is not None:
                continue
            proc.terminate()
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=grace)
