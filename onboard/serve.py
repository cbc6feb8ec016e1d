"""``onboard serve``: a local Prefect server on loopback, the deployments, and the partner portal.

The server is a child process (``prefect server start``) with its database under PREFECT_HOME; this
process then serves two deployments in one runner, one flow run at a time: the nightly finance
(ONBOARD_NIGHTLY_CRON in ONBOARD_TIMEZONE) and ``onboard_order_sheet/portal``, which the portal submits
to. The portal (uvicorn, a thread of this process) binds 127.0.0.1 unless ``--host`` says otherwise, on
ONBOARD_PORTAL_PORT (default 8080). Everything stops on Ctrl-C. A Prefect server already answering on
the port is used as it is. Prefect itself is only imported inside ``flows``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
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
DEFAULT_PORTAL_PORT = 8080
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


API_FILE = "prefect-api.url"


@contextmanager
def announce_api(home: Path, url: str) -> Iterator[None]:
    """Tell `onboard run` on the same data home where this server answers (onboard.runtime), so a run
    reports to it instead of starting a temporary server of its own; gone when the server goes."""
    path = home / API_FILE
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(url)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)


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


def portal_port() -> int:
    # ONBOARD_PORTAL_PORT (DESIGN §7); read here so the settings module stays as other commands need it.
    raw = os.environ.get("ONBOARD_PORTAL_PORT") or str(DEFAULT_PORTAL_PORT)
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise UsageError(f"ONBOARD_PORTAL_PORT={raw!r} is not a port number")
    return int(raw)


def start_portal(settings: Settings, host: str, port: int, api_url: str) -> threading.Thread:
    """The partner portal in a thread of this process; it submits runs to the Prefect server at ``api_url``."""
    import uvicorn

    from onboard.portal.app import build_portal, create_app
    from onboard.portal.submit import PrefectSubmitter

    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    app = create_app(build_portal(settings.home, PrefectSubmitter(api_url), secret_key=key))
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                                           proxy_headers=False))
    thread = threading.Thread(target=server.run, name="portal", daemon=True)  # dies with serve
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise UsageError(f"the partner portal could not listen on {host}:{port} (is the port taken?)")
        time.sleep(0.1)
    return thread


def start_portal_when_ready(settings: Settings, host: str, port: int, api_url: str) -> threading.Thread:
    """The portal opens once the order-sheet deployment is registered, so its first submit cannot fail
    with "deployment not found" while ``prefect.serve`` is still starting (it registers, then runs)."""
    from flows.onboard_order_sheet import deployment_ready
    from onboard.portal.submit import DEPLOYMENT

    if port_in_use(port, host if host not in ("0.0.0.0", "::") else HOST):  # noqa: S104 - compared, not bound
        raise UsageError(f"the partner portal cannot listen on {host}:{port}: the port is in use")

    def wait_then_start() -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not deployment_ready(DEPLOYMENT, api_url):
            if time.monotonic() > deadline:
                print(f"the partner portal did not start: deployment {DEPLOYMENT} was not registered within "
                      f"{STARTUP_TIMEOUT:.0f} s (see the Prefect server log)", file=sys.stderr, flush=True)
                return
            time.sleep(0.5)
        try:
            start_portal(settings, host, port, api_url)
        except UsageError as exc:
            print(f"error: {exc}", file=sys.stderr, flush=True)

    thread = threading.Thread(target=wait_then_start, name="portal-start", daemon=True)
    thread.start()
    return thread


def serve(settings: Settings, *, port: int = DEFAULT_PORT, portal_host: str = HOST) -> None:
    """Run until interrupted: local Prefect server + the deployments + the partner portal."""
    from onboard.prefect_env import make_prefect_home

    make_prefect_home()
    check_schedule(settings)  # also imports flows: PREFECT_HOME and DO_NOT_TRACK are set from here on
    from flows.onboard_order_sheet import serve_with_nightly

    web_port = portal_port()
    home = settings.home.resolve()
    # Each run is a subprocess that loads its own settings from the environment: pin the data home and
    # time zone served here, or a run started elsewhere would work on ./var.
    os.environ["ONBOARD_HOME"] = str(home)
    os.environ["ONBOARD_TIMEZONE"] = settings.timezone
    with prefect_server(home / "logs" / "prefect-server.log", port) as url, announce_api(home, url):
        os.environ["PREFECT_API_URL"] = url  # the runner's flow-run subprocesses talk to this server too
        start_portal_when_ready(settings, portal_host, web_port, url)
        print(
            f"Prefect UI: {url.removesuffix('/api')}  nightly_finance: '{settings.nightly_cron}' "
            f"({settings.timezone}), one run at a time.\n"
            f"Partner portal: http://{portal_host}:{web_port}/  (tokens: onboard partner token ID). Ctrl-C stops all.",
            file=sys.stderr, flush=True,
        )
        serve_with_nightly(settings.nightly_cron, settings.timezone, url)
