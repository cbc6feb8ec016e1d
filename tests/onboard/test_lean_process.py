"""An ``onboard`` process never loads hypothesis, which pandera imports whenever it is installed
(``core.lean``), and validates exactly as a process that has it (pandera without it: its supported install)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from data.samples.generate import SAMPLE
from onboard.commands import validate

ROOT = Path(__file__).resolve().parents[2]
# the onboard entry point (onboard.cli.main, argv from sys.argv) with a probe that runs among its exit
# handlers: which hypothesis modules were loaded, and whether pandera was (else the probe says nothing)
PROBE = """
import atexit, json, sys
def probe():
    loaded = sorted(m for m, mod in sys.modules.items() if m.split('.')[0] == 'hypothesis' and mod is not None)
    sys.stderr.write('\\nPROBE ' + json.dumps({'hypothesis': loaded, 'pandera': 'pandera' in sys.modules}) + '\\n')
atexit.register(probe)
sys.argv = ['onboard', *sys.argv[1:]]
import onboard.cli
onboard.cli.main()
"""


def _run(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ), timeout=300, check=False)


def test_validate_without_hypothesis_finds_what_it_finds_with_it() -> None:
    import hypothesis  # noqa: F401 - this process has it, so the in-process validation below runs with it

    with_it = validate(SAMPLE, None, False, None)
    proc = _run(PROBE, "validate", str(SAMPLE), "--json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    probe = json.loads(proc.stderr.rsplit("PROBE ", 1)[1])
    assert probe == {"hypothesis": [], "pandera": True}
    without = json.loads(proc.stdout)
    assert without["findings"] and without == json.loads(json.dumps(with_it))


def test_a_library_already_loaded_stays() -> None:
    code = """
import sys
import hypothesis
from core.lean import skip_test_libraries
skip_test_libraries()
assert sys.modules['hypothesis'] is hypothesis
del sys.modules['hypothesis']
skip_test_libraries()
try:
    import hypothesis
except ImportError:
    print('absent')
"""
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "absent"
