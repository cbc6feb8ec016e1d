"""What an order asks of BroadWorks, as quantities per service and per service pack (the provisioner's
input, and what `onboard plan` shows), and the generated admin password."""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from connectors.broadworks import commands as C
from connectors.broadworks import follow_on
from core.order import CustomerOrder, PackageLine


def generate_password(length: int = 16) -> str:
    """Strong, XML-safe, no spaces; always letters (both cases), digits and a symbol."""
    symbols = "!#%*-_=+."
    alphabet = string.ascii_letters + string.digits + symbols
    while True:
        pw = "".join(secrets.choice(alphabet) for _ in range(length))
        if (
            any(c.islower() for c in pw)
            and any(c.isupper() for c in pw)
            and any(c.isdigit() for c in pw)
            and any(c in symbols for c in pw)
        ):
            return pw


@dataclass(frozen=True)
class ServicePlan:
    """What the order asks of BroadWorks, as quantities per service and per service pack."""

    user: dict[str, int]
    group: dict[str, int]
    packs: dict[str, tuple[int, tuple[str, ...]]]  # name -> (quantity, user services)
    numbers: tuple[str, ...]  # +1-NXXNXXXXXX
    main: str | None
    # the enterprise's wants (a follow-on: every group's orders; a new customer: the same as the group's)
    sp_user: dict[str, int] = field(default_factory=dict)
    sp_group: dict[str, int] = field(default_factory=dict)
    sp_packs: dict[str, tuple[int, tuple[str, ...]]] = field(default_factory=dict)


def steps_with_work(p: ServicePlan, order: CustomerOrder) -> dict[str, bool]:
    """Which optional steps have anything to ask for (the others are done with nothing sent)."""
    return {
        "enterprise_services": bool(p.sp_user or p.sp_group),
        "service_packs": bool(p.sp_packs),
        "group_services_authorized": bool(p.user or p.group or p.packs),
        "group_services_assigned": bool(p.group),
        "numbers_added": bool(p.numbers),
        "numbers_assigned": bool(p.numbers),
        "calling_line_id": p.main is not None and p.main in p.numbers,
        "admin": bool(order.admin_user_id),
    }


def plan_services(order: CustomerOrder) -> ServicePlan:
    user, group, packs = _wants(follow_on.group_lines(order))
    sp_user, sp_group, sp_packs = _wants(follow_on.enterprise_lines(order))
    numbers = tuple(dict.fromkeys(C.to_bw_dn(n.number) for n in order.numbers))
    main = C.to_bw_dn(order.main_number) if order.main_number else None
    return ServicePlan(user, group, packs, numbers, main, sp_user, sp_group, sp_packs)


def _wants(lines: tuple[PackageLine, ...]) -> tuple[dict[str, int], dict[str, int], dict[str, tuple[int, tuple[str, ...]]]]:
    """Quantities per user service, per group service and per service pack of some package lines."""
    user: dict[str, int] = {}
    group: dict[str, int] = {}
    packs: dict[str, tuple[int, tuple[str, ...]]] = {}
    for line in lines:
        users = [s.name for s in line.services if s.kind == "user"]
        for s in line.services:
            bucket = user if s.kind == "user" else group
            bucket[s.name] = bucket.get(s.name, 0) + line.quantity
        if line.seat and users:
            # The same package under two order types is one service pack.
            qty, known = packs.get(line.package[:80], (0, ()))
            packs[line.package[:80]] = (qty + line.quantity, known + tuple(u for u in users if u not in known))
    return user, group, packs


def short(want: Mapping[str, int], have: Mapping[str, int | None]) -> dict[str, int | None]:
    """Services whose authorized quantity is below what we need (unlimited always suffices)."""
    out: dict[str, int | None] = {}
    for name, q in want.items():
        if name not in have or (have[name] is not None and (have[name] or 0) < q):
            out[name] = q
    return out
