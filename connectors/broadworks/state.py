"""What BroadWorks holds for one customer, read with few round trips (all Gets share one document)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient, error_of
from connectors.broadworks.ocip import OciResponse, chunks


@dataclass
class CustomerState:
    sp_exists: bool = False
    sp_domain: str | None = None
    sp_user: dict[str, int | None] = field(default_factory=dict)  # None = unlimited
    sp_group: dict[str, int | None] = field(default_factory=dict)
    packs: set[str] = field(default_factory=set)
    group: dict[str, Any] | None = None
    grp_packs: dict[str, int | None] = field(default_factory=dict)
    grp_group: dict[str, int | None] = field(default_factory=dict)
    grp_user: dict[str, int | None] = field(default_factory=dict)
    grp_assigned: set[str] = field(default_factory=set)
    dns: dict[str, str] = field(default_factory=dict)  # number -> group id ("" = not assigned)
    admins: dict[str, str] = field(default_factory=dict)  # admin id -> administrator type


def _absent(resp: OciResponse, what: str) -> bool:
    """True when the answer says "not found"; any other error is raised (never taken as absence)."""
    if not resp.is_error:
        return False
    if resp.error_code == C.ERR_NOT_FOUND:
        return True
    raise error_of(resp, what)


def _quantity(text: str) -> int | None:
    return None if text.strip().lower() == "unlimited" or not text.strip() else int(text)


def _auth(rows: list[dict[str, str]], key: str = "Service Name") -> dict[str, int | None]:
    return {r[key]: _quantity(r.get("Quantity", r.get("Allowed", ""))) for r in rows if r.get("Authorized") == "true"}


def _address(resp: OciResponse) -> dict[str, str]:
    el = resp.element.find("address")
    return {} if el is None else {str(k.tag): k.text or "" for k in el}


def read_state(client: OcipClient, sp: str, group_id: str) -> CustomerState:
    r = client.get(
        [
            C.sp_get(sp),
            C.sp_service_auth_get(sp),
            C.sp_pack_list(sp),
            C.group_get(sp, group_id),
            C.group_service_auth_get(sp, group_id),
            C.sp_dn_summary(sp),
            C.sp_admin_list(sp),
        ]
    )
    st = CustomerState()
    if not _absent(r[0], "ServiceProviderGetRequest22V4"):
        st.sp_exists = True
        st.sp_domain = r[0].text("defaultDomain")
    if not _absent(r[1], "ServiceProviderServiceGetAuthorizationListRequest"):
        st.sp_group = _auth(r[1].table("groupServicesAuthorizationTable"))
        st.sp_user = _auth(r[1].table("userServicesAuthorizationTable"))
    if not _absent(r[2], "ServiceProviderServicePackGetListRequest"):
        st.packs = set(r[2].texts("servicePackName"))
    if not _absent(r[3], "GroupGetRequest22V5"):
        g = r[3]
        st.group = {
            "user_limit": int(g.text("userLimit") or 0),
            "calling_line_id": g.text("callingLineIdPhoneNumber"),
            "time_zone": g.text("timeZone"),
            "name": g.text("groupName"),
            "address": _address(g),
        }
    if not _absent(r[4], "GroupServiceGetAuthorizationListRequest"):
        st.grp_packs = {
            row["Service Pack Name"]: _quantity(row.get("Allocated", ""))
            for row in r[4].table("servicePacksAuthorizationTable")
            if row.get("Authorized") == "true"
        }
        groups = r[4].table("groupServicesAuthorizationTable")
        st.grp_group = _auth(groups)
        st.grp_user = _auth(r[4].table("userServicesAuthorizationTable"))
        st.grp_assigned = {row["Service Name"] for row in groups if row.get("Assigned") == "true"}
    if not _absent(r[5], "ServiceProviderDnGetSummaryListRequest"):
        st.dns = {row["Phone Numbers"]: row.get("Group Id", "") for row in r[5].table("dnSummaryTable")}
    if not _absent(r[6], "ServiceProviderAdminGetListRequest14"):
        st.admins = {
            row["Administrator ID"]: row.get("Administrator Type", "") for row in r[6].table("serviceProviderAdminTable")
        }
    return st


def enterprise_exists(client: OcipClient, enterprise_id: str) -> bool:
    """CUSTOMER_EXISTS support: does BroadWorks already hold this enterprise id? (the flow decides)."""
    (resp,) = client.get([C.sp_get(enterprise_id)])
    return not _absent(resp, "ServiceProviderGetRequest22V4")


def read_back(client: OcipClient, enterprise_id: str, group_id: str) -> dict[str, Any]:
    """Everything we provision for one customer, as plain data, in two round trips at most."""
    st = read_state(client, enterprise_id, group_id)
    packs: dict[str, dict[str, Any]] = {}
    if st.packs:
        names = sorted(st.packs)
        answers: list[OciResponse] = []
        for part in chunks([C.sp_pack_detail(enterprise_id, n) for n in names]):
            answers.extend(client.get(part))
        for name, resp in zip(names, answers, strict=True):
            if resp.is_error:
                raise error_of(resp, "ServiceProviderServicePackGetDetailListRequest")
            qty_el = resp.element.find("servicePackQuantity/quantity")
            packs[name] = {
                "quantity": None if qty_el is None else int(qty_el.text or 0),
                "services": sorted(r["Service"] for r in resp.table("userServiceTable")),
            }
    group = st.group or {}
    return {
        "enterprise_id": enterprise_id,
        "group_id": group_id,
        "enterprise_exists": st.sp_exists,
        "default_domain": st.sp_domain,
        "services": {"user": dict(st.sp_user), "group": dict(st.sp_group)},  # None = unlimited
        "service_packs": packs,
        "group_exists": st.group is not None,
        "user_limit": group.get("user_limit"),
        "group_address": group.get("address", {}),
        "time_zone": group.get("time_zone"),
        "group_services_authorized": {"packs": st.grp_packs, "group": st.grp_group, "user": st.grp_user},
        "group_services_assigned": sorted(st.grp_assigned),
        "numbers": sorted(n for n, g in st.dns.items() if g == group_id),
        "numbers_unassigned": sorted(n for n, g in st.dns.items() if not g),
        "calling_line_id": group.get("calling_line_id"),
        "admins": dict(st.admins),
    }
