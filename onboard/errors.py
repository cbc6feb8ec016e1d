"""One clear line for every expected failure; exit codes of DESIGN §7."""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import typer
from pydantic import ValidationError

from core.errors import UsageError, UserError

__all__ = ["UsageError", "clean_errors", "fail"]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_HELD, EXIT_UNUSABLE = 0, 1, 2


def _expected() -> tuple[type[BaseException], ...]:
    from data.partners import PartnerError
    from staging.inventory import InventoryFileError
    from staging.lock import LockedError

    return (UserError, LockedError, PartnerError, InventoryFileError, FileNotFoundError)


def fail(message: str, as_json: bool, code: int = EXIT_UNUSABLE) -> None:
    if as_json:
        print(json.dumps({"error": message}))
    else:
        print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def clean_errors(fn: F) -> F:
    """Expected errors -> one line and exit 2; anything else -> one line, the traceback to a log file."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        as_json = bool(kwargs.get("as_json"))
        if fn.__name__ != "serve":  # serve stops its own Prefect server and portal on Ctrl-C
            from onboard import signals

            signals.install(as_json=as_json, message="stopped" if fn.__name__ == "sim" else signals.MESSAGE)
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            fail(f"setting ONBOARD_{where.upper()}: {first.get('msg')}", as_json)
        except KeyboardInterrupt:
            fail("interrupted; run the same command again to resume", as_json, EXIT_UNUSABLE)
        except Exception as exc:
            if isinstance(exc, _expected()):
                _release(exc)
                fail(" ".join(str(exc).split()), as_json)  # one line, whatever the message held
            log = _log_traceback(read_only=fn.__name__ in READ_ONLY)
            _release(exc)
            fail(f"internal error: {type(exc).__name__}: {exc} (details in {log})", as_json)
        return None

    return wrapper  # type: ignore[return-value]


def _release(exc: BaseException) -> None:
    """Drop what the traceback keeps alive (DuckDB connections, Arrow tables) before the interpreter exits."""
    import gc

    traceback.clear_frames(exc.__traceback__)
    from staging.store import close_open_stores

    close_open_stores()
    gc.collect()


# commands with no side effects: an internal error of theirs is logged outside the data home
READ_ONLY = frozenset({"validate", "status", "plan", "template"})


def _log_traceback(*, read_only: bool = False) -> Path:
    from core.settings import load_settings

    try:
        home = load_settings().home
    except Exception:
        home = Path("var")
    if read_only:
        import tempfile

        home = Path(tempfile.gettempdir()) / f"onboard-{os.getuid()}"
    path = home / "logs" / "onboard-errors.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"--- {datetime.now(UTC).isoformat()} {' '.join(sys.argv)}\n{traceback.format_exc()}\n")
    return path
