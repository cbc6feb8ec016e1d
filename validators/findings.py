"""Finding codes of DESIGN §4 (the record itself is shared with transforms, see transforms.findings)."""

from __future__ import annotations

import pandas as pd

from transforms.findings import CODES, Code, Finding, Severity, sort_key

FINDING_COLUMNS = ["sheet", "row", "column", "code", "severity", "message", "account", "value"]


def findings_frame(findings: list[Finding]) -> pd.DataFrame:
    frame = pd.DataFrame([f.as_dict() for f in findings], columns=FINDING_COLUMNS)
    return frame.astype({"row": "int64"}) if len(frame) else frame


def dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per (sheet, row, column, code): the first one wins. Sorted by sheet, row, column, code."""
    seen: set[tuple[str, int, str | None, str]] = set()
    out: list[Finding] = []
    for f in findings:
        k = (f.sheet, f.row, f.column, f.code)
        if k not in seen:
            seen.add(k)
            out.append(f)
    return sorted(out, key=sort_key)


__all__ = ["CODES", "FINDING_COLUMNS", "Code", "Finding", "Severity", "dedupe", "findings_frame"]
