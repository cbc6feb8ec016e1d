"""ONBOARD_OCIP_REQUESTS=consolidated: the enterprise and group steps as one Consolidated add each.

ServiceProviderConsolidatedAddRequest carries the enterprise with its service authorizations, service packs
and phone numbers; GroupConsolidatedAddRequest the group with its service authorizations and assignments,
pack authorizations and numbers (R25 OCISchemaServiceProvider.xsd / OCISchemaGroup.xsd). Each is all or
nothing on the server, so the look-up that decides whether to send it (does the enterprise / group exist?)
also tells whether everything in it exists: an add whose answer was lost is found and never sent twice.
The later classic steps (enterprise_services ... numbers_assigned) still run their own look-ups and find
nothing missing, so a resume after a partial classic run, or a customer that already existed, still ends
in the same state. The calling line ID (GroupModifyRequest) and the admin (ServiceProviderAdminAddRequest14,
sent after the credentials are handed over) stay separate steps, as in classic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from connectors.broadworks import commands as C
from connectors.broadworks.ocip import Command
from connectors.broadworks.state import CustomerState
from core.order import CustomerOrder

if TYPE_CHECKING:
    from connectors.broadworks.provision import ServicePlan

CONSOLIDATED_STEPS = ("enterprise", "group")  # the steps whose add is the Consolidated one


def _sp_numbers(plan: ServicePlan, st: CustomerState) -> list[str]:
    return [n for n in plan.numbers if n not in st.dns]


def build_enterprise(order: CustomerOrder, plan: ServicePlan, st: CustomerState) -> list[Command]:
    if st.sp_exists:
        return []
    a = order.address
    return [
        C.sp_consolidated_add(
            order.enterprise_id,
            order.default_domain,
            order.company or order.account,
            contact=C.contact_fields(
                f"{order.first_name} {order.last_name}".strip(), order.main_number, order.emails[0] if order.emails else ""
            ),
            address=C.address_fields(a.line1, a.line2, a.city, a.state, a.zip, a.country),
            group_services=plan.group,
            user_services=plan.user,
            packs=plan.packs,
            numbers=_sp_numbers(plan, st),
        )
    ]


def apply_enterprise(plan: ServicePlan, st: CustomerState) -> None:
    for n in _sp_numbers(plan, st):
        st.dns[n] = ""
    st.sp_exists = True
    st.sp_group.update(plan.group)
    st.sp_user.update(plan.user)
    st.packs |= set(plan.packs)


def _group_numbers(plan: ServicePlan, st: CustomerState) -> list[str]:
    """Only numbers already in the enterprise's pool and free; the others go through numbers_added/assigned."""
    return [n for n in plan.numbers if st.dns.get(n) == ""]


def group_of(order: CustomerOrder) -> dict[str, Any]:
    """The group's own elements from the order, the same for GroupAddRequest and GroupConsolidatedAddRequest:
    its address is the primary E911 location (DESIGN §6), else the billing address."""
    a = order.e911[0].address if order.e911 else order.address
    return {
        "sp_id": order.enterprise_id,
        "group_id": order.group_id,
        "default_domain": order.default_domain,
        "user_limit": max(1, order.user_limit),
        "name": order.company or order.account,
        "clid_name": order.company or order.account,
        "time_zone": order.time_zone,
        "contact": C.contact_fields(f"{order.first_name} {order.last_name}".strip(), order.main_number,
                                    order.emails[0] if order.emails else ""),
        "address": C.address_fields(a.line1, a.line2, a.city, a.state, a.zip, a.country),
    }


def build_group(order: CustomerOrder, plan: ServicePlan, st: CustomerState) -> list[Command]:
    if st.group is not None:
        return []
    return [
        C.group_consolidated_add(
            **group_of(order),
            group_services=plan.group,
            assign=list(plan.group),
            user_services=plan.user,
            packs={n: q for n, (q, _) in plan.packs.items()},
            numbers=_group_numbers(plan, st),
        )
    ]


def apply_group(order: CustomerOrder, plan: ServicePlan, st: CustomerState) -> None:
    for n in _group_numbers(plan, st):
        st.dns[n] = order.group_id
    st.group = {"user_limit": order.user_limit, "calling_line_id": None}
    st.grp_group.update(plan.group)
    st.grp_user.update(plan.user)
    st.grp_packs.update({n: q for n, (q, _) in plan.packs.items()})
    st.grp_assigned |= set(plan.group)
