"""Order workbook -> text frames (ingest) -> normalized frames (normalize); plan lives in transforms.plan.

The names below are imported on first use (PEP 562), not with the package: ``transforms.early`` starts
reading a workbook before pandas is imported (issue 18 a), and importing any module of this package used
to import pandas, pyarrow and the whole ingest first.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transforms.findings import CODES, Finding
    from transforms.ingest import InputError, RawOrder, read_order
    from transforms.normalize import NormalizedOrder, normalize

_WHERE = {"CODES": "transforms.findings", "Finding": "transforms.findings", "InputError": "transforms.ingest",
          "RawOrder": "transforms.ingest", "read_order": "transforms.ingest",
          "NormalizedOrder": "transforms.normalize", "normalize": "transforms.normalize"}

__all__ = ["CODES", "Finding", "InputError", "NormalizedOrder", "RawOrder", "normalize", "read_order"]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'transforms' has no attribute {name!r}")
    return getattr(importlib.import_module(where), name)


class _Package(types.ModuleType):
    """``transforms.normalize`` stays the function, as when the package imported it eagerly: the import
    system sets a submodule as an attribute of its package, which would make the module shadow it."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "normalize" and isinstance(value, types.ModuleType):
            return  # reached through sys.modules; the attribute is the function (``__getattr__``)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
