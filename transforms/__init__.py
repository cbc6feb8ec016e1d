"""Order workbook -> text frames (ingest) -> normalized frames (normalize); plan lives in transforms.plan.

The names below are loaded on first use (PEP 562), not when the package is: ``transforms.prefetch`` starts
reading a workbook before pandas is imported, and importing any ``transforms`` module runs this file first.
``normalize`` is not among them: once imported, the submodule of that name is what ``transforms.normalize``
is (import the function from ``transforms.normalize``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transforms.findings import CODES, Finding
    from transforms.ingest import InputError, RawOrder, read_order
    from transforms.normalize import NormalizedOrder

_FROM = {"CODES": "transforms.findings", "Finding": "transforms.findings", "InputError": "transforms.ingest",
         "RawOrder": "transforms.ingest", "read_order": "transforms.ingest",
         "NormalizedOrder": "transforms.normalize"}

__all__ = ["CODES", "Finding", "InputError", "NormalizedOrder", "RawOrder", "read_order"]


def __getattr__(name: str) -> Any:
    if name in _FROM:
        return getattr(importlib.import_module(_FROM[name]), name)
    raise AttributeError(f"module 'transforms' has no attribute {name!r}")
