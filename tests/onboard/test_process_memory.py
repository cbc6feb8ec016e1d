"""An ``onboard`` process starts without transparent huge pages (``core.memory.no_huge_pages``): set before
numpy and pyarrow load, and a value the operator set is kept."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from core.memory import NO_HUGE_PAGES

NAMES = sorted(NO_HUGE_PAGES)
PROBE = ("import json, os, sys; import onboard.cli; import numpy, pyarrow; "
         f"print(json.dumps({{k: os.environ.get(k) for k in {NAMES!r}}}))")


def _probe(env: dict[str, str]) -> dict[str, str | None]:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, check=True)
    return dict(json.loads(done.stdout))


def test_set_for_every_onboard_process() -> None:
    env = {k: v for k, v in os.environ.items() if k not in NO_HUGE_PAGES}
    assert _probe(env) == NO_HUGE_PAGES


def test_the_operators_value_wins() -> None:
    env = {**os.environ, "MIMALLOC_ALLOW_THP": "1"}
    assert _probe(env)["MIMALLOC_ALLOW_THP"] == "1"


def test_before_numpy_or_pyarrow_load() -> None:
    code = "import sys, onboard; sys.exit(1 if {'numpy', 'pyarrow'} & set(sys.modules) else 0)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
