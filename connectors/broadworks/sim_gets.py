"""What the simulated server answers to the Gets and list requests it knows."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from lxml import etree

from connectors.broadworks import sim_errors as E
from connectors.broadworks.ocip import Fields, Value, response_command, table_fields
from connectors.broadworks.sim_handlers import UNLIMITED, Handler, SimError, _fields, _req, _show, _t
from connectors.broadworks.sim_store import Store

_NUMBER = re.compile(r"^\+1-(\d{10})$")


def as_ranges(held: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Sorted (number, group) pairs as table cells: a run of consecutive numbers held by the same
    group is one ``"+1-5125550100 - +1-5125550109"`` cell, as a real server answers blocks."""
    out: list[tuple[str, str]] = []
    run: list[tuple[int, str]] = []

    def flush() -> None:
        if run:
            lo, hi = run[0][0], run[-1][0]
            cell = f"+1-{lo:010d}" if lo == hi else f"+1-{lo:010d} - +1-{hi:010d}"
            out.append((cell, run[0][1]))
            run.clear()

    for number, grp in held:
        m = _NUMBER.match(number)
        if m is None:
            flush()
            out.append((number, grp))
            continue
        n = int(m.group(1))
        if run and (n != run[-1][0] + 1 or grp != run[-1][1]):
            flush()
        run.append((n, grp))
    flush()
    return out


def _matches(value: str, criteria: list[etree._Element]) -> bool:
    """SearchCriteria* (mode "Equal To" | "Starts With" | "Contains", isCaseInsensitive): all must hold."""
    for c in criteria:
        want = _t(c, "value") or ""
        fold = (_t(c, "isCaseInsensitive") or "true") in ("true", "1")
        have, want = (value.lower(), want.lower()) if fold else (value, want)
        mode = _t(c, "mode")
        ok = have == want if mode == "Equal To" else have.startswith(want) if mode == "Starts With" else want in have
        if not ok:
            return False
    return True


def _narrowed(column: str, criteria: list[etree._Element]) -> tuple[str, list[str]]:
    """A WHERE clause that keeps at least every row an "Equal To" criterion can match (the criteria
    are still applied to each row after): a real server answers an exact search from its index, and
    so must the simulator, or a read-back of a whole book costs it a scan per customer."""
    for c in criteria:
        if _t(c, "mode") == "Equal To" and (_t(c, "isCaseInsensitive") or "true") in ("false", "0"):
            return f" WHERE {column} = ?", [_t(c, "value") or ""]
    return "", []


def sp_list(st: Store, el: etree._Element) -> str:
    ids = el.findall("searchCriteriaServiceProviderId")
    names = el.findall("searchCriteriaServiceProviderName")
    limit = int(_t(el, "responseSizeLimit") or 0)
    where, args = _narrowed("id", ids)
    rows = [
        [r["id"], r["name"] or "", "true", ""]
        for r in st.all(f"SELECT id, name FROM sp{where} ORDER BY id", *args)
        if _matches(r["id"], ids) and _matches(r["name"] or "", names)
    ]
    if limit:
        rows = rows[:limit]
    heads = ["Service Provider Id", "Service Provider Name", "Is Enterprise", "Reseller Id"]
    return response_command("ServiceProviderGetListResponse", [("serviceProviderTable", table_fields(heads, rows))])


def group_list(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    if st.one("SELECT 1 FROM sp WHERE id=?", sp) is None:
        raise SimError(E.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    ids, names = el.findall("searchCriteriaGroupId"), el.findall("searchCriteriaGroupName")
    limit = int(_t(el, "responseSizeLimit") or 0)
    rows = [
        [r["id"], r["name"] or "", str(r["user_limit"])]
        for r in st.all("SELECT id, name, user_limit FROM grp WHERE sp=? ORDER BY id", sp)
        if _matches(r["id"], ids) and _matches(r["name"] or "", names)
    ]
    if limit:
        rows = rows[:limit]
    return response_command(
        "GroupGetListInServiceProviderResponse", [("groupTable", table_fields(["Group Id", "Group Name", "User Limit"], rows))]
    )


def sp_get(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    row = st.one("SELECT * FROM sp WHERE id=?", sp)
    if row is None:
        raise SimError(E.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    fields: list[tuple[str, Value]] = [
        ("isEnterprise", True),
        ("defaultDomain", row["domain"]),
        ("serviceProviderName", row["name"]),
        ("contact", _fields(row["contact"])),
        ("address", _fields(row["address"])),
        ("useServiceProviderLanguages", False),
        ("serviceProviderId", sp),
    ]
    return response_command("ServiceProviderGetResponse22V4", fields)


def sp_auth_get(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    if st.one("SELECT 1 FROM sp WHERE id=?", sp) is None:
        raise SimError(E.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    heads = ["Service Name", "Authorized", "Assigned", "Limited", "Quantity", "Allocated", "Licensed", "Service Pack Allocation"]
    tables: dict[str, list[list[str]]] = {"group": [], "user": []}
    for r in st.all("SELECT kind, name, qty FROM sp_service WHERE sp=? ORDER BY name", sp):
        limited = "Unlimited" if r["qty"] == UNLIMITED else "Limited"
        row = [r["name"], "true", "false", limited, _show(r["qty"]), "0", "Unlimited", "0"]
        tables[r["kind"]].append(row + (["true", "true"] if r["kind"] == "user" else []))
    return response_command(
        "ServiceProviderServiceGetAuthorizationListResponse",
        [
            ("groupServicesAuthorizationTable", table_fields(heads, tables["group"])),
            (
                "userServicesAuthorizationTable",
                table_fields([*heads, "User Assignable", "Service Pack Assignable"], tables["user"]),
            ),
        ],
    )


def pack_list(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    if st.one("SELECT 1 FROM sp WHERE id=?", sp) is None:
        raise SimError(E.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    names = [r["name"] for r in st.all("SELECT name FROM pack WHERE sp=? ORDER BY name", sp)]
    return response_command("ServiceProviderServicePackGetListResponse", [("servicePackName", n) for n in names])


def pack_detail(st: Store, el: etree._Element) -> str:
    sp, name = _req(el, "serviceProviderId"), _req(el, "servicePackName")
    row = st.one("SELECT * FROM pack WHERE sp=? AND name=?", sp, name)
    if row is None:
        raise SimError(E.ERR_NOT_FOUND, f"Service Pack not found: {name}")
    qty: Fields = [("unlimited", True)] if row["qty"] == UNLIMITED else [("quantity", row["qty"])]
    services = json.loads(row["services"])
    return response_command(
        "ServiceProviderServicePackGetDetailListResponse",
        [
            ("servicePackName", name),
            ("servicePackDescription", row["description"]),
            ("isAvailableForUse", bool(row["available"])),
            ("servicePackQuantity", qty),
            ("assignedQuantity", [("quantity", 0)]),
            ("allowedQuantity", qty),
            (
                "userServiceTable",
                table_fields(["Service", "Authorized", "Allocated", "Available"], [[s, "true", "0", "0"] for s in services]),
            ),
        ],
    )


def group_get(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    row = st.one("SELECT * FROM grp WHERE sp=? AND id=?", sp, grp)
    if row is None:
        raise SimError(E.ERR_NOT_FOUND, f"Group not found: {grp}")
    users = 0
    return response_command(
        "GroupGetResponse22V5",
        [
            ("defaultDomain", row["domain"]),
            ("userLimit", row["user_limit"]),
            ("userCount", users),
            ("groupName", row["name"]),
            ("callingLineIdName", row["clid_name"]),
            ("callingLineIdPhoneNumber", row["clid_number"]),
            ("timeZone", row["time_zone"]),
            ("timeZoneDisplayName", row["time_zone"]),
            ("contact", _fields(row["contact"])),
            ("address", _fields(row["address"])),
            ("serviceProviderId", sp),
            ("groupId", grp),
        ],
    )


def group_auth_get(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    if st.one("SELECT 1 FROM grp WHERE sp=? AND id=?", sp, grp) is None:
        raise SimError(E.ERR_NOT_FOUND, f"Group not found: {grp}")
    assigned = {r["name"] for r in st.all("SELECT name FROM grp_assign WHERE sp=? AND grp=?", sp, grp)}
    rows: dict[str, list[list[str]]] = {"pack": [], "group": [], "user": []}
    for r in st.all("SELECT kind, name, qty FROM grp_auth WHERE sp=? AND grp=? ORDER BY name", sp, grp):
        limited = "Unlimited" if r["qty"] == UNLIMITED else "Limited"
        if r["kind"] == "pack":
            rows["pack"].append([r["name"], "true", "false", limited, _show(r["qty"]), _show(r["qty"]), "0", ""])
        else:
            flag = "true" if r["name"] in assigned else "false"
            row = [r["name"], "true", flag, limited, _show(r["qty"]), "0", "Unlimited", _show(r["qty"])]
            rows[r["kind"]].append(row + (["0"] if r["kind"] == "group" else ["true", "false"]))
    common = ["Service Name", "Authorized", "Assigned", "Limited", "Quantity", "Usage", "Licensed", "Allowed"]
    return response_command(
        "GroupServiceGetAuthorizationListResponse",
        [
            (
                "servicePacksAuthorizationTable",
                table_fields(
                    ["Service Pack Name", "Authorized", "Assigned", "Limited", "Allocated", "Allowed", "Usage", "Description"],
                    rows["pack"],
                ),
            ),
            ("groupServicesAuthorizationTable", table_fields([*common, "Instance Count"], rows["group"])),
            (
                "userServicesAuthorizationTable",
                table_fields([*common, "User Assignable", "Group Service Assignable"], rows["user"]),
            ),
        ],
    )


def dn_summary(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    if st.one("SELECT 1 FROM sp WHERE id=?", sp) is None:
        raise SimError(E.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    by_group, by_dn = el.findall("searchCriteriaGroupId"), el.findall("searchCriteriaDn")
    held = [
        (r["number"], r["grp"] or "")
        for r in st.all("SELECT number, grp FROM dn WHERE sp=? ORDER BY number", sp)
        if _matches(r["number"], by_dn) and _matches(r["grp"] or "", by_group)
    ]
    rows = [[cell, grp, "true"] for cell, grp in as_ranges(held)]
    return response_command(
        "ServiceProviderDnGetSummaryListResponse",
        [("dnSummaryTable", table_fields(["Phone Numbers", "Group Id", "Can Delete"], rows))],
    )


def group_dn_list(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    if st.one("SELECT 1 FROM grp WHERE sp=? AND id=?", sp, grp) is None:
        raise SimError(E.ERR_NOT_FOUND, f"Group not found: {grp}")
    rows = st.all("SELECT number FROM dn WHERE sp=? AND grp=? ORDER BY number", sp, grp)
    cells = as_ranges([(r["number"], grp) for r in rows])
    return response_command("GroupDnGetListResponse", [("phoneNumber", cell) for cell, _ in cells])


def admin_list(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    if st.one("SELECT 1 FROM sp WHERE id=?", sp) is None:
        raise SimError(E.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    rows = [
        [r["user_id"], r["last"] or "", r["first"] or "", r["type"], "English"]
        for r in st.all("SELECT * FROM admin WHERE sp=? ORDER BY user_id", sp)
    ]
    heads = ["Administrator ID", "Last Name", "First Name", "Administrator Type", "Language"]
    return response_command("ServiceProviderAdminGetListResponse14", [("serviceProviderAdminTable", table_fields(heads, rows))])


GETS: dict[str, Handler] = {
    "ServiceProviderGetListRequest": sp_list,
    "GroupGetListInServiceProviderRequest": group_list,
    "ServiceProviderGetRequest22V4": sp_get,
    "ServiceProviderServiceGetAuthorizationListRequest": sp_auth_get,
    "ServiceProviderServicePackGetListRequest": pack_list,
    "ServiceProviderServicePackGetDetailListRequest": pack_detail,
    "GroupGetRequest22V5": group_get,
    "GroupServiceGetAuthorizationListRequest": group_auth_get,
    "ServiceProviderDnGetSummaryListRequest": dn_summary,
    "GroupDnGetListRequest": group_dn_list,
    "ServiceProviderAdminGetListRequest14": admin_list,
}
