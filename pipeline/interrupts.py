"""Under the `onboard` command line, SIGTERM ends a flow the way Ctrl-C does (issue 14).

Prefect's flow engine installs its own SIGTERM bridge (raise TerminationSignal, then seconds of unwinding
through tasks, thread pools and the temporary API server) just before a flow body runs, and restores the
previous handler after it. The command line marks its interrupt handler (``onboard.signals``) on SIGINT,
which Prefect leaves alone; a flow body calls ``keep_cli_interrupt`` first to route SIGTERM there too. A
run started by a Prefect worker or deployment has no marked handler and keeps Prefect's cancellation.
"""

from __future__ import annotations

import contextlib
import signal


def keep_cli_interrupt() -> None:
    with contextlib.suppress(ValueError):  # not the main thread: nothing to route
        handler = signal.getsignal(signal.SIGINT)
        if getattr(handler, "onboard_interrupt", False) and callable(handler):
            signal.signal(signal.SIGTERM, handler)
