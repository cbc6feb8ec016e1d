"""Order workbook -> text frames (ingest) -> normalized frames (normalize); plan lives in transforms.plan."""

from transforms.findings import CODES, Finding
from transforms.ingest import InputError, RawOrder, read_order
from transforms.normalize import NormalizedOrder, normalize

__all__ = ["CODES", "Finding", "InputError", "NormalizedOrder", "RawOrder", "normalize", "read_order"]
