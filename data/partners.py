"""Partners (id, name, notification e-mail).

Two sources, merged: the shipped ``data/partners.csv`` (or the file ``ONBOARD_PARTNERS`` names), and
``<data home>/partners.csv``, where ``onboard partner add`` writes the partners an operator adds. A partner
in the data home's file replaces one of the same id from the base file.
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

HOME_FILE = "partners.csv"
FIELDS = ("partner_id", "name", "notification_email")
# Partner ids end up in BroadWorks ids, billing searches and file names: keep them to a safe alphabet.
PARTNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


@dataclass(frozen=True)
class Partner:
    partner_id: str
    name: str
    email: str


class PartnerError(ValueError):
    pass


def default_home() -> Path:
    """The data home as the settings see it (``ONBOARD_HOME``, default ``./var``).

    ``data`` imports nothing above it, so it reads the variable itself; every command that serves or runs
    (``serve``, the demo, flow-run subprocesses) exports ``ONBOARD_HOME`` before it gets here.
    """
    return Path(os.environ.get("ONBOARD_HOME") or "var")


def _read(path: Path) -> dict[str, Partner]:
    out: dict[str, Partner] = {}
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            pid = (row.get("partner_id") or "").strip()
            if pid:
                name = (row.get("name") or pid).strip()
                out[pid.casefold()] = Partner(pid, name, (row.get("notification_email") or "").strip())
    return out


def load_partners(path: Path, home: Path | None = None) -> dict[str, Partner]:
    """The base file merged with ``<home>/partners.csv`` (home: ``ONBOARD_HOME`` when not given)."""
    if not path.is_file():
        raise PartnerError(
            f"partners file {path} not found; set ONBOARD_PARTNERS to a CSV with partner_id,name,notification_email"
        )
    out = _read(path)
    if "default" not in out:
        raise PartnerError(f"{path} has no 'default' partner row")
    added = (home if home is not None else default_home()) / HOME_FILE
    if added.is_file():
        out.update(_read(added))
    return out


def resolve_partner(partners: dict[str, Partner], partner_id: str | None) -> Partner:
    pid = (partner_id or "default").strip()
    p = partners.get(pid.casefold())
    if p is None:
        known = ", ".join(sorted(q.partner_id for q in partners.values()))
        raise PartnerError(f"unknown partner {pid!r}; known partners: {known} (add it to the partners file)")
    return p


def add_partner(home: Path, partner: Partner) -> Path:
    """Add (or update) a partner in ``<home>/partners.csv``, written aside and renamed, mode 0600."""
    if not PARTNER_ID.match(partner.partner_id):
        raise PartnerError(
            f"partner id {partner.partner_id!r}: use letters, digits, '-', '_' or '.', at most 40 characters"
        )
    if "@" not in partner.email:
        raise PartnerError(f"notification e-mail {partner.email!r} is not an e-mail address")
    home.mkdir(parents=True, exist_ok=True)
    path = home / HOME_FILE
    rows = _read(path) if path.is_file() else {}
    rows[partner.partner_id.casefold()] = partner
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(FIELDS)
        for p in rows.values():
            w.writerow((p.partner_id, p.name, p.email))
    os.replace(tmp, path)
    return path
