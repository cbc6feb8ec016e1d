"""The streamed ``--json`` document is byte for byte what ``json.dumps`` prints (issue 18: streamed output)."""

from __future__ import annotations

import io
import json

from onboard import jsonout
from onboard.jsonout import write_json


def _finding(i: int) -> dict[str, object]:
    return {"sheet": "Packages", "row": i + 2, "column": None if i % 3 else "Quantity", "code": "QUANTITY_INVALID",
            "severity": "error", "message": f"Quantity 'x{i}' must be a whole number of 1 or more: é \"q\"",
            "account": f"Acme {i}"}


def test_same_bytes_as_json_dumps_across_batches() -> None:
    jsonout.BATCH = 7  # several batches, one partial
    try:
        for n in (0, 1, 7, 20):
            doc = {"customers": {"total": 3, "valid": 1, "held": 2, "skipped": 0},
                   "findings": [_finding(i) for i in range(n)], "errors_out": "/tmp/x.xlsx", "held_back": None}
            buf = io.StringIO()
            write_json(buf, doc)
            assert buf.getvalue() == json.dumps(doc, ensure_ascii=False) + "\n"
            assert json.loads(buf.getvalue()) == doc
    finally:
        jsonout.BATCH = 2000
