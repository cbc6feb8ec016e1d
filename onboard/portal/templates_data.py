"""The blank order template, written once into the data home and served from there."""

from __future__ import annotations

import os
import threading
from pathlib import Path

_lock = threading.Lock()


def template_file(home: Path) -> Path:
    from onboard.commands import TEMPLATE_VERSION, template

    path = home / "portal" / f"order-template-{TEMPLATE_VERSION}.xlsx"
    with _lock:
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            tmp = path.with_name("template.tmp.xlsx")
            template(tmp)
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
    return path
