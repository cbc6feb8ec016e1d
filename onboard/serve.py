"""``onboard serve``: a local Prefect server on loopback and the nightly finance deployment on its cron.

The server is a child process (``prefect server start``) with its database under PREFECT_HOME; this
process then serves the deployment (ONBOARD_NIGHTLY_CRON in ONBOARD_TIMEZONE, one run at a time)
until interrupted, and stops the server on the way out. A Prefect server already answering on the
port is used as it is. Prefect itself is only imported inside ``flows``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from core.errors import UsageError
from core.settings import Settings

HOST = "127.0.0.1"  # loopback only: the local server has no authentication
DEFAULT_PORT = 4200
STARTUP_TIMEOUT = 120.0


def api_url(port: int, host: str = HOST) -> str:
    return f"http://{host}:{port}/api"


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((host, port)) == 0


@contextmanager
def prefect_server(log_file: Path, port: int = DEFAULT_PORT, *, timeout: float = STARTUP_TIMEOUT) -> Iterator[str]:
    """A Prefect server on loopback for the duration of the block; yields its API URL."""
    url = api_url(port)
    if healthy(url):
        yield url  # someone's server already runs there: use it, leave it running
        return
    if port_in_use(port):
        raise UsageError(f"port {port} on {HOST} is taken by something that is not a Prefect server")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)  # the server must not look for another one
    with log_file.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", HOST, "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
            start_new_session=True,  # Ctrl-C reaches us; we stop the server in order
        )
    try:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if proc.poll() is not None:
                raise RuntimeError(f"the Prefect server exited with code {proc.returncode}: see {log_file}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not answer within {timeout:.0f} s: see {log_file}")
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def check_schedule(settings: Settings) -> None:
    """Refuse, before anything starts, what would only fail at 2 a.m."""
    settings.external_mode()  # a half-configured set of system URLs raises ConfigError
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"ONBOARD_TIMEZONE={settings.timezone!r} is not an IANA time zone") from None
    from flows.nightly_finance import nightly_deployment

    try:
        nightly_deployment(settings.nightly_cron, settings.timezone)
    except ValueError as exc:
        raise UsageError(f"ONBOARD_NIGHTLY_CRON={settings.nightly_cron!r}: {exc}") from None


def serve(settings: Settings, *, port: int = DEFAULT_PORT) -> None:
    """Run until interrupted: local Prefect server + the nightly deployment on its schedule."""
    check_schedule(settings)  # also imports flows: PREFECT_HOME and DO_NOT_TRACK are set from here on
    from flows.nightly_finance import serve_nightly

    home = settings.home.resolve()
    # Each scheduled run is a subprocess that loads its own settings from the environment: pin the data
    # home and time zone served here, or a run started elsewhere would report on ./var.
    os.environ["ONBOARD_HOME"] = str(home)
    os.environ["ONBOARD_TIMEZONE"] = settings.timezone
    with prefect_server(home / "logs" / "prefect-server.log", port) as url:
        os.environ["PREFECT_API_URL"] = url  # the runner's flow-run subprocesses talk to this server too
        print(
            f"Prefect UI: {url.removesuffix('/api')}  nightly_finance: '{settings.nightly_cron}' "
            f"({settings.timezone}), one run at a time. Ctrl-C stops both.",
            file=sys.stderr,
        )
        serve_nightly(settings.nightly_cron, settings.timezone, url)
