"""Plans for follow-on orders (issue 19): New Group and Add Services build on an earlier New Customer.

``resolve`` finds, from the earlier plans staging holds (``staging.follow_on.earlier_plans``), what each
follow-on row builds on: the enterprise (ids, billing type, owner account) and, for Add Services, the
group. ``finish_plan`` turns a plan built from the row (``transforms.plan.build_plans``) into the
follow-on's: the enterprise's ids and billing type, the cumulative package lines BroadWorks is sized
from, and package effective dates (blank: the date the batch was received).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.keys import account_key
from core.order import ADD_SERVICES, NEW_CUSTOMER, NEW_GROUP


@dataclass(frozen=True)
class FollowOnBase:
    kind: str  # new_group | add_services
    enterprise_account: str  # the owning New Customer's Account Name as first written
    enterprise_key: str
    enterprise_id: str
    billing_type: str
    group_id: str = ""  # Add Services: the existing group
    group_plan: Mapping[str, Any] = field(default_factory=dict)  # Add Services: the plan that made the group
    group_lines: tuple[Mapping[str, Any], ...] = ()  # earlier lines of the group (effective dates filled)
    enterprise_lines: tuple[Mapping[str, Any], ...] = ()  # earlier lines of every group of the enterprise


ENTERPRISE_NOT_FOUND = "ENTERPRISE_NOT_FOUND"
CUSTOMER_NOT_FOUND = "CUSTOMER_NOT_FOUND"


def _lines(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    start = str(plan.get("billing_start") or "")
    return [{**line, "effective_date": line.get("effective_date") or start} for line in plan.get("packages", ())]


def resolve(rows: Iterable[tuple[str, str, str]], earlier: Sequence[Mapping[str, Any]]
            ) -> tuple[dict[str, FollowOnBase], dict[str, str]]:
    """For (account key, order kind, Enterprise Account) rows: the base of each follow-on, and the code of
    those with none (ENTERPRISE_NOT_FOUND, CUSTOMER_NOT_FOUND). ``earlier``: oldest first."""
    bases: dict[str, FollowOnBase] = {}
    missing: dict[str, str] = {}
    owners = {str(e["account_key"]): e for e in earlier if e["order_kind"] == NEW_CUSTOMER}
    for key, kind, enterprise_account in rows:
        if kind == NEW_GROUP:
            owner = owners.get(account_key(enterprise_account))
            if owner is None:
                missing[key] = ENTERPRISE_NOT_FOUND
                continue
            plan = owner["plan"]
            bases[key] = _base(kind, owner, plan, earlier)
        elif kind == ADD_SERVICES:
            makers = [e for e in earlier if e["account_key"] == key and e["order_kind"] in (NEW_CUSTOMER, NEW_GROUP)]
            if not makers:
                missing[key] = CUSTOMER_NOT_FOUND
                continue
            maker = makers[-1]
            plan = maker["plan"]
            ent_key = account_key(str(plan.get("enterprise_account") or plan["account"]))
            owner = owners.get(ent_key, maker)
            group = str(plan["group_id"])
            group_lines = [line for e in earlier if e["plan"].get("group_id") == group
                           and e["plan"].get("enterprise_id") == plan["enterprise_id"] for line in _lines(e["plan"])]
            bases[key] = _base(kind, owner, owner["plan"], earlier, group_id=group, group_plan=plan,
                               group_lines=tuple(group_lines))
    return bases, missing


def _base(kind: str, owner: Mapping[str, Any], plan: Mapping[str, Any], earlier: Sequence[Mapping[str, Any]],
          **kw: Any) -> FollowOnBase:
    ent = str(plan["enterprise_id"])
    lines = tuple(line for e in earlier if e["plan"].get("enterprise_id") == ent for line in _lines(e["plan"]))
    return FollowOnBase(kind, str(plan["account"]), str(owner["account_key"]), ent, str(plan["billing_type"]),
                        enterprise_lines=lines, **kw)


_GROUP_FIELDS = ("company", "first_name", "last_name", "address", "emails", "default_domain", "time_zone")


def finish_plan(plan: dict[str, Any], base: FollowOnBase, received: str) -> dict[str, Any]:
    """The follow-on's plan from the one built from its row (changed in place and returned)."""
    lines = plan["packages"]
    # blank Effective Date: a New Group bills from its Billing Start Date like a new customer (DESIGN §6);
    # Add Services has no billing start of its own: the date the batch was received (DESIGN §3)
    default = (plan.get("billing_start") or received) if base.kind == NEW_GROUP else received
    for line in lines:
        line["effective_date"] = line.get("effective_date") or default
    plan.update(order_kind=base.kind, enterprise_account=base.enterprise_account, enterprise_id=base.enterprise_id,
                billing_type=base.billing_type, enterprise_packages=[*base.enterprise_lines, *lines])
    if base.kind == NEW_GROUP:
        plan["group_packages"] = list(lines)
        return plan
    group = base.group_plan
    for name in _GROUP_FIELDS:  # Add Services names only the account: the rest is the group's
        if not plan.get(name) or name in ("address", "company"):
            plan[name] = group.get(name, plan.get(name))
    cumulative = [*base.group_lines, *lines]
    plan.update(existing_account=str(group.get("account") or plan["account"]), group_id=base.group_id,
                group_packages=cumulative, billing_start=plan.get("billing_start") or received,
                admin_user_id="", create_admin=False,
                user_limit=max(1, sum(int(x["quantity"]) for x in cumulative if x.get("seat"))))
    return plan


def share_enterprise_lines(plans: Mapping[str, dict[str, Any]]) -> None:
    """Follow-ons of one enterprise in the same batch: each one's enterprise wants include the others'
    lines, so whichever goes first sizes the enterprise for all of them (in place)."""
    by_enterprise: dict[str, list[str]] = {}
    for key, plan in plans.items():
        if plan.get("order_kind", NEW_CUSTOMER) != NEW_CUSTOMER:
            by_enterprise.setdefault(str(plan["enterprise_id"]), []).append(key)
    for keys in by_enterprise.values():
        if len(keys) < 2:
            continue
        for key in keys:
            others = [line for k in keys if k != key for line in plans[k]["packages"]]
            plans[key]["enterprise_packages"] = [*plans[key]["enterprise_packages"], *others]
