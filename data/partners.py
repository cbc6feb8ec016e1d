"""Partners (id, name, notification e-mail): ``data/partners.csv`` or the file ``ONBOARD_PARTNERS`` names."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    email: str


class PartnerError(ValueError):
    pass


def load_partners(path: Path) -> dict[str, Partner]:
    if not path.is_file():
        raise PartnerError(
            f"partners file {path} not found; set ONBOARD_PARTNERS to a CSV with partner_id,name,notification_email"
        )
    out: dict[str, Partner] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            pid = (row.get("partner_id") or "").strip()
            if pid:
                name = (row.get("name") or pid).strip()
                out[pid.casefold()] = Partner(pid, name, (row.get("notification_email") or "").strip())
    if "default" not in out:
        raise PartnerError(f"{path} has no 'default' partner row")
    return out


def resolve_partner(partners: dict[str, Partner], partner_id: str | None) -> Partner:
    pid = (partner_id or "default").strip()
    p = partners.get(pid.casefold())
    if p is None:
        known = ", ".join(sorted(q.partner_id for q in partners.values()))
        raise PartnerError(f"unknown partner {pid!r}; known partners: {known} (add it to the partners file)")
    return p
