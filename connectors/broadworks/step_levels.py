"""Which BroadWorks steps of one customer may be in flight together (chunk mode, issue 18 b).

A step is sent only once every step it needs is done, so a command never reaches BroadWorks before its
parent exists (OCI-P refuses a group, pack or DN assignment whose enterprise or group is missing; the
R25 requests name their parent by id). Steps of one level are independent of each other: they go out at
the same time, and with a chunk's shared documents they travel with other customers' commands. A step
not listed here (a later addition) needs every step before it, so adding one never breaks the order.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

NEEDS: dict[str, tuple[str, ...]] = {
    "enterprise": (),
    "enterprise_services": ("enterprise",),
    "service_packs": ("enterprise_services",),  # a pack holds services the enterprise is authorized for
    "group": ("enterprise",),
    "group_services_authorized": ("group", "enterprise_services", "service_packs"),
    "group_services_assigned": ("group_services_authorized",),
    "numbers_added": ("enterprise",),
    "numbers_assigned": ("group", "numbers_added"),
    "calling_line_id": ("numbers_assigned",),  # only a number of the group can be its calling line id
    # needs only the enterprise, but as in the one-step-at-a-time order no login is made for a
    # customer whose group could not be made
    "admin": ("group",),
}


# The group when its add authorizes services and packs of the enterprise (GroupConsolidatedAddRequest, or a
# follow-on New Group under an enterprise whose authorizations and packs are raised first, issue 19): the
# server refuses the group's authorization above what the enterprise holds ("Not authorized to the service
# provider").
GROUP_AFTER_ENTERPRISE_STEPS = ("enterprise", "enterprise_services", "service_packs")


def levels(steps: Sequence[str], *, group_after_enterprise_steps: bool = False) -> list[list[str]]:
    """``steps`` (in their sequential order) grouped so that each level needs only earlier levels."""
    level_of: dict[str, int] = {}
    for i, step in enumerate(steps):
        needs = NEEDS.get(step, tuple(steps[:i]))
        if step == "group" and group_after_enterprise_steps:
            needs = GROUP_AFTER_ENTERPRISE_STEPS
        level_of[step] = 1 + max((level_of[n] for n in needs if n in level_of), default=-1)
    out: list[list[str]] = [[] for _ in range(max(level_of.values(), default=-1) + 1)]
    for step in steps:
        out[level_of[step]].append(step)
    return out


def run_level(steps: Sequence[str], run_step: Callable[[str], None], *, here: str | None = None) -> None:
    """Run the steps of one level at once (``here``, else the first, on this thread); when any fails,
    every other one still finishes (it is in flight), then the first failure in step order is raised."""
    errors: dict[str, BaseException] = {}

    def one(step: str) -> None:
        try:
            run_step(step)
        except BaseException as exc:  # re-raised below on the caller's thread
            errors[step] = exc

    mine = here if here is not None and here in steps else steps[0]
    threads = [threading.Thread(target=one, args=(s,), name=f"bw-step-{s}") for s in steps if s != mine]
    for t in threads:
        t.start()
    one(mine)
    for t in threads:
        t.join()
    for step in steps:
        if step in errors:
            raise errors[step]
