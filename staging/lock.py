"""One writer per data home: an advisory lock that dies with its process.

``flock`` is released by the kernel when the holder dies (even on SIGKILL), so a stale lock after a
crash is simply free again; the JSON beside it only says who held it, for the message. The lock's file
descriptor is not inherited by child processes (Python's default), so a helper process a killed run
leaves behind (a Prefect server, say) never blocks the resume.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType


class LockedError(RuntimeError):
    """Another process holds the data home."""


# Data homes this process already holds for a whole command (``onboard run`` takes the lock before it reads
# the file and keeps it through staging and the flow): a Store opened inside borrows it instead of locking
# against itself (flock conflicts between two descriptors of one process) or leaving a gap between the two.
_PINNED: dict[Path, RunLock] = {}


def pin(lock: RunLock) -> None:
    _PINNED[lock.home.resolve()] = lock


def unpin(lock: RunLock) -> None:
    _PINNED.pop(lock.home.resolve(), None)


def release_pinned() -> None:
    """Release every pinned lock (the interrupt path, just before the process ends)."""
    for lock in list(_PINNED.values()):
        unpin(lock)
        lock.release()


class RunLock:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / "onboard.lock"
        self.info_path = home / "onboard.lock.json"
        self._fd: int | None = None
        self._borrowed = False

    def acquire(self, command: str = "") -> RunLock:
        held = _PINNED.get(self.home.resolve())
        if held is not None and held._fd is not None:
            self._borrowed = True
            return self
        self.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockedError(self.describe_holder()) from None
        self._fd = fd
        info = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": command or " ".join(sys.argv[:3]),
        }
        fd_info = os.open(self.info_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd_info, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(info))
        return self

    def describe_holder(self) -> str:
        try:
            info = json.loads(self.info_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return f"another onboard run is in progress on {self.home}; wait for it to finish"
        return (
            f"another onboard run is in progress on {self.home}: pid {info.get('pid')} on {info.get('host')} "
            f"('{info.get('command')}') since {info.get('since')}; wait for it to finish "
            "(onboard status shows its progress)"
        )

    def is_held(self) -> bool:
        if not self.path.exists():
            return False
        fd = os.open(self.path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing releases our probe lock
        return False

    def release(self) -> None:
        if self._borrowed:  # the pinning command releases it
            self._borrowed = False
            return
        if self._fd is not None:
            try:
                self.info_path.unlink(missing_ok=True)
            finally:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
