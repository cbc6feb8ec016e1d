"""The package catalog of the seed: order types, packages, seats, DIDs, sample rates, BroadWorks services.

Rates are a SAMPLE rate card (the portal's fixed Dial Tone parts, $13 hosted and $10 fax, are folded
into the seat prices); replace ``catalog.csv`` with the reseller's own. Names are matched case- and
space-insensitively, with aliases, and always reported in the seed's spelling (typos included).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal

HERE = Path(__file__).parent

OrderTypeStatus = Literal["orderable", "reserved", "trunking"]


def key(text: str) -> str:
    """Match key: case-, space- and punctuation-spacing-insensitive."""
    return re.sub(r"\s+", " ", text.strip().casefold().replace("\u2019", "'"))


@dataclass(frozen=True)
class Package:
    order_type: str
    name: str
    seat: bool
    dids_included: int
    adds_dids: bool  # quantity adds to the DID allowance ("Additional DID's", "DID Add-On - UC")
    billing_package: str
    mrc: float
    nrc: float
    aliases: tuple[str, ...] = ()
    services: tuple[tuple[str, str], ...] = ()  # (kind user|group, R25 service name)
    # What the line's Notes must carry (DESIGN §4). An IP-fax line delivers faxes by e-mail and needs the
    # address; an ATA fax line rings a fax machine and needs none. A Smart Record line needs the phone
    # number(s) to record (the seed: "Phone number(s) for Smart Record service"). Which lines are IP fax is
    # read from the seed's names, as no product sheet is public: "Desktop" = fax to e-mail, "ATA" = an adapter.
    needs_fax_email: bool = False
    needs_record_number: bool = False

    @property
    def is_fax(self) -> bool:
        return self.order_type == "Fax Service"


@dataclass(frozen=True)
class OrderType:
    name: str
    status: OrderTypeStatus
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Catalog:
    order_types: dict[str, OrderType]  # by key(name or alias)
    packages: dict[tuple[str, str], Package]  # by (canonical order type, key(name or alias))
    lines: tuple[Package, ...] = field(default=())

    def order_type(self, text: str) -> OrderType | None:
        return self.order_types.get(key(text))

    def package(self, order_type: str, text: str) -> Package | None:
        ot = self.order_type(order_type)
        if ot is None:
            return None
        return self.packages.get((ot.name, key(text)))

    def packages_of(self, order_type: str) -> list[Package]:
        return [p for p in self.lines if p.order_type == order_type]

    def order_type_names(self) -> list[str]:
        return sorted({o.name for o in self.order_types.values()})


def _split(text: str) -> tuple[str, ...]:
    return tuple(a.strip() for a in (text or "").split(";") if a.strip())


@lru_cache(maxsize=4)
def load_catalog(folder: Path = HERE) -> Catalog:
    services: dict[str, list[tuple[str, str]]] = {}
    bw = folder / "broadworks_services.csv"
    if bw.exists():
        with bw.open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                services.setdefault(key(r["package"]), []).append((r["kind"], r["service"]))
    order_types: dict[str, OrderType] = {}
    with (folder / "order_types.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            status: OrderTypeStatus = r["status"]  # type: ignore[assignment]
            ot = OrderType(r["order_type"], status, _split(r["aliases"]))
            for name in (ot.name, *ot.aliases):
                order_types[key(name)] = ot
    packages: dict[tuple[str, str], Package] = {}
    lines: list[Package] = []
    with (folder / "catalog.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            p = Package(
                order_type=r["order_type"],
                name=r["package"],
                seat=r["seat"] == "1",
                dids_included=int(r["dids_included"]),
                adds_dids=r["adds_dids"] == "1",
                billing_package=r["billing_package"],
                mrc=float(r["mrc"]),
                nrc=float(r["nrc"]),
                aliases=_split(r["aliases"]),
                services=tuple(services.get(key(r["package"]), ())),
                needs_fax_email=r.get("needs_fax_email") == "1",
                needs_record_number=r.get("needs_record_number") == "1",
            )
            lines.append(p)
            for name in (p.name, *p.aliases):
                packages[(p.order_type, key(name))] = p
    return Catalog(order_types, packages, tuple(lines))
