"""JSON on stdout for documents that may hold many findings: written one finding at a time.

``json.dumps`` of a 1M-finding document builds one string of hundreds of MB beside the dicts; this writes
the very same bytes (same key order, same separators) in pieces, so memory stays flat and output starts early.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TextIO

BATCH = 2000  # findings per write


def write_json(out: TextIO, doc: Mapping[str, Any], *, ensure_ascii: bool = False) -> None:
    """Write ``json.dumps(doc, ensure_ascii=...)`` followed by a newline (as ``print`` would)."""
    encode = json.JSONEncoder(ensure_ascii=ensure_ascii).encode
    out.write("{")
    for n, (key, value) in enumerate(doc.items()):
        out.write(("" if n == 0 else ", ") + encode(key) + ": ")
        if key == "findings" and isinstance(value, list):
            out.write("[")
            for i in range(0, len(value), BATCH):
                out.write(("" if i == 0 else ", ") + ", ".join(encode(f) for f in value[i : i + BATCH]))
            out.write("]")
        else:
            out.write(encode(value))
    out.write("}\n")
    out.flush()
