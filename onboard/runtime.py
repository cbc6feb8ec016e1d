"""What a writing command sets up before its work: the data home's writer lock, and a Prefect API.

The lock comes first (issue 16): a second `run` started a second after the first is refused at once,
not after both have read and validated their files. It is held for the whole command, through staging and
the flow (``staging.lock.pin``), so no other run slips in between the two. A file refused before staging
still leaves the data home as it found it (issue 14): the lock file we created for it is taken away again.

Starting a temporary Prefect server costs most of a small run's wall time; when ``onboard serve``'s
server answers (``PREFECT_API_URL``, else the address ``serve`` announces in the data home), the run
reports to it instead.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from onboard.errors import UsageError
from onboard.prefect_env import make_prefect_home
from onboard.serve import API_FILE, healthy

PROBE_TIMEOUT = 0.5  # a server on loopback answers /health in milliseconds; do not make the cold case slower


class HeldHome:
    """The writer lock of a data home for one command. ``staged`` once the data home is meant to change."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.staged = False


@contextlib.contextmanager
def hold_home(home: Path, command: str) -> Iterator[HeldHome]:
    from staging.lock import RunLock, pin, unpin

    home_existed = home.exists()
    lock = RunLock(home)
    lock_existed = lock.path.exists()
    lock.acquire(command)  # LockedError: another run holds it (one line, exit 2)
    pin(lock)
    held = HeldHome(home)
    try:
        yield held
    except BaseException:
        if not held.staged:  # refused before anything was staged: leave no trace of ours
            if not lock_existed:
                with contextlib.suppress(OSError):
                    lock.path.unlink()  # still ours: a process that opened it meanwhile was refused
            unpin(lock)
            lock.release()
            if not home_existed:
                with contextlib.suppress(OSError):
                    home.rmdir()  # only if empty
        raise
    finally:
        unpin(lock)
        lock.release()


def use_running_prefect(home: Path, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Point this process at a Prefect server that answers, if one does: ``PREFECT_API_URL`` when set,
    else the server ``onboard serve`` announces for this data home (``serve.API_FILE``).

    Returns its API URL, or None when none answers (the flow then starts Prefect's temporary server). Only
    the data home's own announcement is trusted, not whatever listens on 127.0.0.1:4200: another data home's
    server (another operator, a test) must not receive this one's runs. A configured ``PREFECT_API_URL``
    that does not answer is refused in one line before anything is staged, rather than failing deep inside
    Prefect. Call before Prefect is imported.
    """
    make_prefect_home()  # the command is about to use Prefect: its home, with parents
    configured = os.environ.get("PREFECT_API_URL")
    announced = _announced(home)
    url = configured or announced
    if url and healthy(url, timeout=timeout):
        os.environ["PREFECT_API_URL"] = url
        return url
    if configured:
        raise UsageError(f"PREFECT_API_URL {configured} does not answer: start `onboard serve`, "
                         "or unset PREFECT_API_URL to run on a temporary Prefect server")
    return None  # an announcement left by a killed `serve` is stale: ignored


def _announced(home: Path) -> str | None:
    try:
        text = (home / API_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return text if text.startswith(("http://127.0.0.1:", "http://localhost:")) else None
