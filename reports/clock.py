"""Report timestamps in one zone, named: ``ONBOARD_TIMEZONE`` (DESIGN §7, default America/New_York).

Staging keeps instants in UTC (TIMESTAMPTZ); a reader of a workbook wants the operator's wall clock and
must be able to tell which clock it is, so every timestamp we write is converted to the report zone and
its header or text names the zone. Reports may not import the settings (``onboard``): the zone comes
from the environment, or from ``configure`` when a caller holds the settings (a ``.env`` file is read by
the settings, not by us).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

DEFAULT_ZONE = "America/New_York"
_configured: str | None = None
# An ISO-8601 instant with an offset, as str(Timestamp) or isoformat() write it: only those are converted
# (a naive text could be any zone; a date alone is not an instant).
_ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})")


def configure(zone: str | None) -> None:
    """Use ``zone`` for the reports of this process (None: back to the environment)."""
    global _configured
    _configured = zone


def zone_name() -> str:
    name = _configured or os.environ.get("ONBOARD_TIMEZONE") or DEFAULT_ZONE
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE  # the settings refuse a bad zone at start-up; a report never fails on it
    return name


def to_local(value: dt.datetime) -> dt.datetime:
    """An aware instant as naive wall-clock time in the report zone (Excel has no zone); naive is kept."""
    if value.tzinfo is None:
        return value
    return value.astimezone(ZoneInfo(zone_name())).replace(tzinfo=None)


def instant(value: object) -> dt.datetime | None:
    """An aware datetime from a datetime, a Timestamp or an ISO text with an offset; else None."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str) and _ISO_INSTANT.fullmatch(value.strip()):
        return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return None


def stamp(value: object) -> object:
    """An instant as 'YYYY-MM-DD HH:MM <zone>' text; anything else unchanged."""
    when = instant(value)
    if when is None:
        return value
    return f"{to_local(when):%Y-%m-%d %H:%M} {zone_name()}"


def zoned_label(label: str) -> str:
    """A datetime column's header, naming the zone its values are in."""
    return f"{label} ({zone_name()})"
