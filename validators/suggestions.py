"""'Did you mean ...?' for the closed lists a clerk types by hand: package, order type, billing type, time zone.

difflib's ratio over a folded spelling (case, spaces and punctuation ignored) is enough for the typos
partners make (``Enterprise Standrad``, ``Hosted PXB``, ``America/Chicgo``); the suggestion is only a hint
in the finding's message, never a silent correction: the partner decides.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from collections.abc import Iterable
from functools import lru_cache

from data.catalog import Catalog
from data.sheets import BILLING_TYPES

CUTOFF = 0.8  # below this, a "suggestion" is more often wrong than right on the seed's lists

# The aliases the normalizer accepts, as a partner would write them (transforms.values._TZ_ALIASES).
TZ_WORDS = ("Eastern", "Central", "Mountain", "Pacific", "Alaska", "Hawaii", "Atlantic", "Newfoundland", "Arizona",
            "Saskatchewan", "Puerto Rico")


def fold(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def did_you_mean(value: str, options: Iterable[str], *, cutoff: float = CUTOFF) -> str | None:
    """The option closest to ``value`` when it is close enough (and not ``value`` itself), else None."""
    key = fold(value)
    if not key:
        return None
    table: dict[str, str] = {}
    for o in options:
        table.setdefault(fold(o), o)
    if key in table:  # same letters, other spacing or case: the normalizer already accepts it
        return None
    hits = difflib.get_close_matches(key, list(table), n=1, cutoff=cutoff)
    return table[hits[0]] if hits else None


def hint(value: str, options: Iterable[str]) -> str:
    """' Did you mean 'X'?' or ''. Appended to a finding's message."""
    best = did_you_mean(value, options)
    return f" Did you mean '{best}'?" if best else ""


@lru_cache(maxsize=1)
def time_zone_options() -> tuple[str, ...]:
    """IANA zones a partner would pick (the legacy US/ and Etc/ links left out) and the aliases."""
    zones = sorted(z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(("US/", "Etc/")))
    return (*TZ_WORDS, *zones)


@lru_cache(maxsize=4096)
def time_zone_hint(value: str) -> str:
    return hint(value, time_zone_options())


def billing_type_hint(value: str) -> str:
    return hint(value, BILLING_TYPES)


def order_type_hint(value: str, catalog: Catalog) -> str:
    names = {o.name for o in catalog.order_types.values()}
    aliases = {a for o in catalog.order_types.values() for a in o.aliases}
    best = did_you_mean(value, sorted(names)) or did_you_mean(value, sorted(aliases))
    if best is None:
        return ""
    canonical = catalog.order_type(best)
    return f" Did you mean '{canonical.name if canonical else best}'?"


def package_hint(value: str, order_type: str, catalog: Catalog) -> str:
    """Closest package under ``order_type`` (its aliases count; the seed's spelling is suggested)."""
    lines = catalog.packages_of(order_type)
    by_name = {n: p.name for p in lines for n in (p.name, *p.aliases)}
    best = did_you_mean(value, by_name)
    return f" Did you mean '{by_name[best]}'?" if best else ""
