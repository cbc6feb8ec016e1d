"""What the simulated server does with each request it knows (state rules of the real one, simplified)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable

from lxml import etree

from connectors.broadworks import commands as C
from connectors.broadworks.ocip import Fields, Value, response_command, success_command, table_fields
from connectors.broadworks.sim_store import UNLIMITED, Store, password_hash


class SimError(Exception):
    def __init__(self, code: str, summary: str, detail: str | None = None) -> None:
        super().__init__(summary)
        self.code, self.summary, self.detail = code, summary, detail


class Duplicate(SimError):
    def __init__(self, what: str) -> None:
        super().__init__(C.ERR_DUPLICATE, f"{what} already exists")


def _t(el: etree._Element, name: str) -> str | None:
    found = el.find(name)
    return None if found is None or found.text is None else " ".join(found.text.split())


def _req(el: etree._Element, name: str) -> str:
    v = _t(el, name)
    assert v is not None  # the schema check ran first
    return v


def _qty(el: etree._Element | None) -> int | None:
    """UnboundedPositiveInt -> int, UNLIMITED; None for ``unauthorized``."""
    if el is None:
        return None
    q = _t(el, "quantity")
    return UNLIMITED if q is None else int(q)


def _show(q: int) -> str:
    return "Unlimited" if q == UNLIMITED else str(q)


def _sub(el: etree._Element, name: str) -> str | None:
    found = el.find(name)
    if found is None:
        return None
    return json.dumps({k.tag: " ".join((k.text or "").split()) for k in found})


def _fields(raw: str | None) -> Fields | None:
    return list(json.loads(raw).items()) if raw else None


def _need_sp(db: sqlite3.Connection, sp: str) -> None:
    if db.execute("SELECT 1 FROM sp WHERE id=?", (sp,)).fetchone() is None:
        raise SimError(C.ERR_NOT_FOUND, f"Service Provider not found: {sp}")


def _need_group(db: sqlite3.Connection, sp: str, grp: str) -> None:
    _need_sp(db, sp)
    if db.execute("SELECT 1 FROM grp WHERE sp=? AND id=?", (sp, grp)).fetchone() is None:
        raise SimError(C.ERR_NOT_FOUND, f"Group not found: {grp}")


# ---------------------------------------------------------------- adds and modifies


def sp_add(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    with st.tx() as db:
        if db.execute("SELECT 1 FROM sp WHERE id=?", (sp,)).fetchone():
            raise Duplicate(f"Service Provider {sp}")
        db.execute(
            "INSERT INTO sp VALUES (?,?,?,?,?)",
            (sp, _req(el, "defaultDomain"), _t(el, "serviceProviderName"), _sub(el, "contact"), _sub(el, "address")),
        )
    return success_command()


def _auth_items(el: etree._Element, tag: str, key: str) -> list[tuple[str, int | None]]:
    return [(_req(a, key), _qty(a.find("authorizedQuantity"))) for a in el.findall(tag)]


def sp_auth_modify(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    with st.tx() as db:
        _need_sp(db, sp)
        for kind, tag in (("group", "groupServiceAuthorization"), ("user", "userServiceAuthorization")):
            for name, q in _auth_items(el, tag, "serviceName"):
                if q is None:
                    db.execute("DELETE FROM sp_service WHERE sp=? AND kind=? AND name=?", (sp, kind, name))
                else:
                    db.execute("INSERT OR REPLACE INTO sp_service VALUES (?,?,?,?)", (sp, kind, name, q))
    return success_command()


def pack_add(st: Store, el: etree._Element) -> str:
    sp, name = _req(el, "serviceProviderId"), _req(el, "servicePackName")
    services = [" ".join((s.text or "").split()) for s in el.findall("serviceName")]
    with st.tx() as db:
        _need_sp(db, sp)
        if db.execute("SELECT 1 FROM pack WHERE sp=? AND name=?", (sp, name)).fetchone():
            raise Duplicate(f"Service Pack {name}")
        for s in services:
            if db.execute("SELECT 1 FROM sp_service WHERE sp=? AND kind='user' AND name=?", (sp, s)).fetchone() is None:
                raise SimError(C.ERR_NOT_AUTHORIZED, f"Service not authorized to the service provider: {s}")
        qty = _qty(el.find("servicePackQuantity")) or UNLIMITED
        available = _req(el, "isAvailableForUse") in ("true", "1")
        db.execute(
            "INSERT INTO pack VALUES (?,?,?,?,?,?)",
            (sp, name, _t(el, "servicePackDescription"), int(available), qty, json.dumps(services)),
        )
    return success_command()


def group_add(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    with st.tx() as db:
        _need_sp(db, sp)
        if db.execute("SELECT 1 FROM grp WHERE sp=? AND id=?", (sp, grp)).fetchone():
            raise Duplicate(f"Group {grp}")
        db.execute(
            "INSERT INTO grp VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                sp,
                grp,
                _req(el, "defaultDomain"),
                int(_req(el, "userLimit")),
                _t(el, "groupName"),
                _t(el, "callingLineIdName"),
                None,
                _t(el, "timeZone") or "America/New_York",
                _sub(el, "contact"),
                _sub(el, "address"),
            ),
        )
    return success_command()


def group_auth_modify(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    with st.tx() as db:
        _need_group(db, sp, grp)
        for kind, tag, key in (
            ("pack", "servicePackAuthorization", "servicePackName"),
            ("group", "groupServiceAuthorization", "serviceName"),
            ("user", "userServiceAuthorization", "serviceName"),
        ):
            for name, q in _auth_items(el, tag, key):
                if q is None:
                    db.execute("DELETE FROM grp_auth WHERE sp=? AND grp=? AND kind=? AND name=?", (sp, grp, kind, name))
                    continue
                if kind == "pack":
                    known = db.execute("SELECT 1 FROM pack WHERE sp=? AND name=?", (sp, name)).fetchone()
                else:
                    known = db.execute("SELECT 1 FROM sp_service WHERE sp=? AND kind=? AND name=?", (sp, kind, name)).fetchone()
                if known is None:
                    raise SimError(C.ERR_NOT_AUTHORIZED, f"Not authorized to the service provider: {name}")
                db.execute("INSERT OR REPLACE INTO grp_auth VALUES (?,?,?,?,?)", (sp, grp, kind, name, q))
    return success_command()


def group_assign(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    names = [" ".join((s.text or "").split()) for s in el.findall("serviceName")]
    with st.tx() as db:
        _need_group(db, sp, grp)
        for n in names:
            if (
                db.execute("SELECT 1 FROM grp_auth WHERE sp=? AND grp=? AND kind='group' AND name=?", (sp, grp, n)).fetchone()
                is None
            ):
                raise SimError(C.ERR_NOT_AUTHORIZED, f"Service not authorized to the group: {n}")
            if db.execute("SELECT 1 FROM grp_assign WHERE sp=? AND grp=? AND name=?", (sp, grp, n)).fetchone():
                raise Duplicate(f"Service assignment {n}")
        db.executemany("INSERT INTO grp_assign VALUES (?,?,?)", [(sp, grp, n) for n in names])
    return success_command()


def _numbers(el: etree._Element) -> list[str]:
    out = [" ".join((p.text or "").split()) for p in el.findall("phoneNumber")]
    for rng in el.findall("dnRange"):
        lo, hi = (int(re.sub(r"\D", "", _req(rng, n))[1:]) for n in ("minPhoneNumber", "maxPhoneNumber"))
        if hi < lo or hi - lo > 10000:
            raise SimError(C.ERR_INVALID_REQUEST, "Invalid phone number range")
        out.extend(f"+1-{n}" for n in range(lo, hi + 1))
    return out


def dn_add(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    numbers = _numbers(el)
    with st.tx() as db:
        _need_sp(db, sp)
        for n in numbers:
            if db.execute("SELECT 1 FROM dn WHERE number=?", (n,)).fetchone():
                raise Duplicate(f"Phone number {n}")
        db.executemany("INSERT INTO dn VALUES (?,?,NULL)", [(n, sp) for n in numbers])
    return success_command()


def dn_assign(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    numbers = _numbers(el)
    with st.tx() as db:
        _need_group(db, sp, grp)
        for n in numbers:
            row = db.execute("SELECT grp FROM dn WHERE number=? AND sp=?", (n, sp)).fetchone()
            if row is None:
                raise SimError(C.ERR_NOT_FOUND, f"Phone number not in the service provider's pool: {n}")
            if row["grp"] is not None:
                raise Duplicate(f"Assignment of phone number {n}")
        db.executemany("UPDATE dn SET grp=? WHERE number=?", [(grp, n) for n in numbers])
    return success_command()


def group_modify(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    with st.tx() as db:
        _need_group(db, sp, grp)
        number = _t(el, "callingLineIdPhoneNumber")
        if number is not None:
            if db.execute("SELECT 1 FROM dn WHERE number=? AND sp=? AND grp=?", (number, sp, grp)).fetchone() is None:
                raise SimError(C.ERR_NOT_FOUND, f"Phone number not assigned to the group: {number}")
            db.execute("UPDATE grp SET clid_number=? WHERE sp=? AND id=?", (number, sp, grp))
        for col, tag in (("user_limit", "userLimit"), ("name", "groupName"), ("time_zone", "timeZone")):
            value = _t(el, tag)
            if value is not None:
                db.execute(f"UPDATE grp SET {col}=? WHERE sp=? AND id=?", (value, sp, grp))
    return success_command()


def _check_password(password: str | None) -> None:
    # A simple password rule like a real system policy, so a weak generated password would show up.
    if not password or len(password) < 8 or not re.search(r"\d", password) or not re.search(r"[A-Za-z]", password):
        raise SimError(C.ERR_INVALID_REQUEST, "Password does not satisfy the password rules")


def admin_add(st: Store, el: etree._Element) -> str:
    sp, user = _req(el, "serviceProviderId"), _req(el, "userId")
    password = _t(el, "password")
    with st.tx() as db:
        _need_sp(db, sp)
        if db.execute("SELECT 1 FROM admin WHERE user_id=?", (user,)).fetchone():
            raise Duplicate(f"Administrator {user}")
        _check_password(password)
        db.execute(
            "INSERT INTO admin VALUES (?,?,?,?,?,?)",
            (
                user,
                sp,
                _t(el, "firstName"),
                _t(el, "lastName"),
                password_hash(user, password or ""),
                _req(el, "administratorType"),
            ),
        )
    return success_command()


def admin_modify(st: Store, el: etree._Element) -> str:
    user = _req(el, "userId")
    password = _t(el, "password")
    with st.tx() as db:
        if db.execute("SELECT 1 FROM admin WHERE user_id=?", (user,)).fetchone() is None:
            raise SimError(C.ERR_NOT_FOUND, f"Administrator not found: {user}")
        if password is not None:
            _check_password(password)
            db.execute("UPDATE admin SET pw_hash=? WHERE user_id=?", (password_hash(user, password), user))
        for col, tag in (("first", "firstName"), ("last", "lastName")):
            value = _t(el, tag)
            if value is not None:
                db.execute(f"UPDATE admin SET {col}=? WHERE user_id=?", (value, user))
    return success_command()


# ---------------------------------------------------------------- gets


def sp_get(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    row = st.one("SELECT * FROM sp WHERE id=?", sp)
    if row is None:
        raise SimError(C.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
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
        raise SimError(C.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
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
        raise SimError(C.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    names = [r["name"] for r in st.all("SELECT name FROM pack WHERE sp=? ORDER BY name", sp)]
    return response_command("ServiceProviderServicePackGetListResponse", [("servicePackName", n) for n in names])


def pack_detail(st: Store, el: etree._Element) -> str:
    sp, name = _req(el, "serviceProviderId"), _req(el, "servicePackName")
    row = st.one("SELECT * FROM pack WHERE sp=? AND name=?", sp, name)
    if row is None:
        raise SimError(C.ERR_NOT_FOUND, f"Service Pack not found: {name}")
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
        raise SimError(C.ERR_NOT_FOUND, f"Group not found: {grp}")
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
        raise SimError(C.ERR_NOT_FOUND, f"Group not found: {grp}")
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
        raise SimError(C.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    rows = [[r["number"], r["grp"] or "", "true"] for r in st.all("SELECT number, grp FROM dn WHERE sp=? ORDER BY number", sp)]
    return response_command(
        "ServiceProviderDnGetSummaryListResponse",
        [("dnSummaryTable", table_fields(["Phone Numbers", "Group Id", "Can Delete"], rows))],
    )


def group_dn_list(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    if st.one("SELECT 1 FROM grp WHERE sp=? AND id=?", sp, grp) is None:
        raise SimError(C.ERR_NOT_FOUND, f"Group not found: {grp}")
    rows = st.all("SELECT number FROM dn WHERE sp=? AND grp=? ORDER BY number", sp, grp)
    return response_command("GroupDnGetListResponse", [("phoneNumber", r["number"]) for r in rows])


def admin_list(st: Store, el: etree._Element) -> str:
    sp = _req(el, "serviceProviderId")
    if st.one("SELECT 1 FROM sp WHERE id=?", sp) is None:
        raise SimError(C.ERR_NOT_FOUND, f"Service Provider not found: {sp}")
    rows = [
        [r["user_id"], r["last"] or "", r["first"] or "", r["type"], "English"]
        for r in st.all("SELECT * FROM admin WHERE sp=? ORDER BY user_id", sp)
    ]
    heads = ["Administrator ID", "Last Name", "First Name", "Administrator Type", "Language"]
    return response_command("ServiceProviderAdminGetListResponse14", [("serviceProviderAdminTable", table_fields(heads, rows))])


Handler = Callable[[Store, etree._Element], str]

HANDLERS: dict[str, Handler] = {
    "ServiceProviderAddRequest13mp2": sp_add,
    "ServiceProviderServiceModifyAuthorizationListRequest": sp_auth_modify,
    "ServiceProviderServicePackAddRequest": pack_add,
    "GroupAddRequest": group_add,
    "GroupServiceModifyAuthorizationListRequest": group_auth_modify,
    "GroupServiceAssignListRequest": group_assign,
    "ServiceProviderDnAddListRequest": dn_add,
    "GroupDnAssignListRequest": dn_assign,
    "GroupModifyRequest": group_modify,
    "ServiceProviderAdminAddRequest14": admin_add,
    "ServiceProviderAdminModifyRequest": admin_modify,
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

# Requests that create something: the simulator counts accepted ones and rejected duplicates.
ADDS = {
    "ServiceProviderAddRequest13mp2",
    "ServiceProviderServicePackAddRequest",
    "GroupAddRequest",
    "GroupServiceAssignListRequest",
    "ServiceProviderDnAddListRequest",
    "GroupDnAssignListRequest",
    "ServiceProviderAdminAddRequest14",
}
