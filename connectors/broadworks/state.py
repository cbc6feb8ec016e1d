"""What BroadWorks holds for one customer, read with few round trips (all Gets share one document)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient, error_of
from connectors.broadworks.ocip import OciResponse, chunks
from connectors.common.errors import TerminalError


@dataclass
class CustomerState:
    sp_exists: bool = False
    sp_domain: str | None = None
    sp_name: str | None = None
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


def _listed(resp: OciResponse, table: str, column: str, wanted: str, what: str) -> bool:
    """Does a list answer hold a row whose ``column`` is exactly ``wanted``? (an error is raised)."""
    if resp.is_error:
        raise error_of(resp, what)
    return any(row.get(column) == wanted for row in resp.table(table))


def _present(resp: OciResponse, listed: bool, what: str) -> OciResponse | None:
    """A Get of one object: its answer, or None when it errs AND the list request found no such object.

    An error for an object the list shows is a real failure and is raised: an error number alone
    never means "absent" (real servers and the simulator number their errors differently).
    """
    if not resp.is_error:
        return resp
    if listed:
        raise error_of(resp, what)
    return None


# A dnSummaryTable row holds one number or a range "+1-5125550100 - +1-5125550109" (real servers
# answer blocks that way; public tooling such as odins_spear's system DN summary documents min/max
# ranges): expand it, never take it as one number.
_DN_RANGE = re.compile(r"^\s*(\+\d+)-(\d+)\s*-\s*(\+\d+)-(\d+)\s*$")
MAX_RANGE = 100_000


def expand_dns(cell: str) -> list[str]:
    """One number, or every number of a range row, as ``+CC-NNN``."""
    m = _DN_RANGE.match(cell)
    if m is None:
        return [cell.strip()]
    cc, lo, cc2, hi = m.groups()
    if cc != cc2 or len(lo) != len(hi) or int(hi) < int(lo) or int(hi) - int(lo) >= MAX_RANGE:
        raise TerminalError(f"unreadable phone number range from BroadWorks: {cell!r}")
    return [f"{cc}-{n:0{len(lo)}d}" for n in range(int(lo), int(hi) + 1)]


def _quantity(text: str) -> int | None:
    return None if text.strip().lower() == "unlimited" or not text.strip() else int(text)


def _auth(rows: list[dict[str, str]], key: str = "Service Name") -> dict[str, int | None]:
    return {r[key]: _quantity(r.get("Quantity", r.get("Allowed", ""))) for r in rows if r.get("Authorized") == "true"}


def _address(resp: OciResponse) -> dict[str, str]:
    el = resp.element.find("address")
    return {} if el is None else {str(k.tag): k.text or "" for k in el}


def read_state(client: OcipClient, sp: str, group_id: str) -> CustomerState:
    """One document: two list requests that say what exists, then the Gets that say how it is."""
    r = client.get(
        [
            C.sp_list_exact(sp),
            C.group_list_exact(sp, group_id),
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
    sp_listed = _listed(r[0], "serviceProviderTable", "Service Provider Id", sp, "ServiceProviderGetListRequest")
    # Groups can only be listed in a provider that exists: with none, the error is the absence.
    grp_listed = sp_listed and _listed(r[1], "groupTable", "Group Id", group_id, "GroupGetListInServiceProviderRequest")
    sp_resp = _present(r[2], sp_listed, "ServiceProviderGetRequest22V4")
    if sp_resp is not None:
        st.sp_exists = True
        st.sp_domain = sp_resp.text("defaultDomain")
        st.sp_name = sp_resp.text("serviceProviderName")
    sp_known = sp_listed or sp_resp is not None
    auth = _present(r[3], sp_known, "ServiceProviderServiceGetAuthorizationListRequest")
    if auth is not None:
        st.sp_group = _auth(auth.table("groupServicesAuthorizationTable"))
        st.sp_user = _auth(auth.table("userServicesAuthorizationTable"))
    packs = _present(r[4], sp_known, "ServiceProviderServicePackGetListRequest")
    if packs is not None:
        st.packs = set(packs.texts("servicePackName"))
    g = _present(r[5], grp_listed, "GroupGetRequest22V5")
    if g is not None:
        st.group = {
            "user_limit": int(g.text("userLimit") or 0),
            "calling_line_id": g.text("callingLineIdPhoneNumber"),
            "time_zone": g.text("timeZone"),
            "name": g.text("groupName"),
            "address": _address(g),
        }
    gauth = _present(r[6], grp_listed or g is not None, "GroupServiceGetAuthorizationListRequest")
    if gauth is not None:
        st.grp_packs = {
            row["Service Pack Name"]: _quantity(row.get("Allocated", ""))
            for row in gauth.table("servicePacksAuthorizationTable")
            if row.get("Authorized") == "true"
        }
        groups = gauth.table("groupServicesAuthorizationTable")
        st.grp_group = _auth(groups)
        st.grp_user = _auth(gauth.table("userServicesAuthorizationTable"))
        st.grp_assigned = {row["Service Name"] for row in groups if row.get("Assigned") == "true"}
    dns = _present(r[7], sp_known, "ServiceProviderDnGetSummaryListRequest")
    if dns is not None:
        for row in dns.table("dnSummaryTable"):
            for number in expand_dns(row.get("Phone Numbers", "")):
                st.dns[number] = row.get("Group Id", "")
    admins = _present(r[8], sp_known, "ServiceProviderAdminGetListRequest14")
    if admins is not None:
        st.admins = {
            row["Administrator ID"]: row.get("Administrator Type", "") for row in admins.table("serviceProviderAdminTable")
        }
    return st


def enterprise_exists(client: OcipClient, enterprise_id: str) -> bool:
    """CUSTOMER_EXISTS support: does BroadWorks already hold this enterprise id? (the flow decides).

    Read from ServiceProviderGetListRequest with an exact id, which answers an empty table when
    nothing matches; enterprises and service providers share one id space, so either counts.
    """
    (resp,) = client.get([C.sp_list_exact(enterprise_id)])
    return _listed(resp, "serviceProviderTable", "Service Provider Id", enterprise_id, "ServiceProviderGetListRequest")


def pack_details(client: OcipClient, sp: str, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each named pack's quantity (None: unlimited) and user services, 15 detail requests to a document."""
    names = sorted(names)
    answers: list[OciResponse] = []
    for part in chunks([C.sp_pack_detail(sp, n) for n in names]):
        answers.extend(client.get(part))
    out: dict[str, dict[str, Any]] = {}
    for name, resp in zip(names, answers, strict=True):
        if resp.is_error:
            raise error_of(resp, "ServiceProviderServicePackGetDetailListRequest")
        qty_el = resp.element.find("servicePackQuantity/quantity")
        out[name] = {"quantity": None if qty_el is None else int(qty_el.text or 0),
                     "services": sorted(r["Service"] for r in resp.table("userServiceTable"))}
    return out


def read_back(client: OcipClient, enterprise_id: str, group_id: str) -> dict[str, Any]:
    """Everything we provision for one customer, as plain data, in two round trips at most."""
    st = read_state(client, enterprise_id, group_id)
    packs = pack_details(client, enterprise_id, list(st.packs)) if st.packs else {}
    group = st.group or {}
    return {
        "enterprise_id": enterprise_id,
        "group_id": group_id,
        "enterprise_exists": st.sp_exists,
        "default_domain": st.sp_domain,
        "enterprise_name": st.sp_name,
        "services": {"user": dict(st.sp_user), "group": dict(st.sp_group)},  # None = unlimited
        "service_packs": packs,
        "group_exists": st.group is not None,
        "group_name": group.get("name"),
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
