"""What the simulated server does with each request it knows (state rules of the real one, simplified)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable

from lxml import etree

from connectors.broadworks import sim_errors as E
from connectors.broadworks.ocip import Fields, success_command
from connectors.broadworks.sim_store import UNLIMITED, Store, password_hash


class SimError(Exception):
    def __init__(self, code: str, summary: str, detail: str | None = None) -> None:
        super().__init__(summary)
        self.code, self.summary, self.detail = code, summary, detail


class Duplicate(SimError):
    def __init__(self, what: str) -> None:
        super().__init__(E.ERR_DUPLICATE, f"{what} already exists")


def _t(el: etree._Element, name: str) -> str | None:
    found = el.find(name)
    return None if found is None or found.text is None else " ".join(found.text.split())


_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def _nil(el: etree._Element, name: str) -> bool:
    """``<name xsi:nil="true"/>``: the schema's way to clear a nillable value (checked before)."""
    found = el.find(name)
    return found is not None and found.get(_NIL) in ("true", "1")


def _over(wanted: int, allowed: int) -> bool:
    """More than ``allowed`` (UNLIMITED on either side counts as infinite)."""
    return allowed != UNLIMITED and (wanted == UNLIMITED or wanted > allowed)


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
    return json.dumps({k.tag: " ".join((k.text or "").split()) for k in found if k.get(_NIL) not in ("true", "1")})


def _fields(raw: str | None) -> Fields | None:
    return list(json.loads(raw).items()) if raw else None


def _need_sp(db: sqlite3.Connection, sp: str) -> None:
    if db.execute("SELECT 1 FROM sp WHERE id=?", (sp,)).fetchone() is None:
        raise SimError(E.ERR_NOT_FOUND, f"Service Provider not found: {sp}")


def _need_group(db: sqlite3.Connection, sp: str, grp: str) -> None:
    _need_sp(db, sp)
    if db.execute("SELECT 1 FROM grp WHERE sp=? AND id=?", (sp, grp)).fetchone() is None:
        raise SimError(E.ERR_NOT_FOUND, f"Group not found: {grp}")


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
    sp = _req(el, "serviceProviderId")
    with st.tx() as db:
        _need_sp(db, sp)
        add_pack(db, sp, el)
    return success_command()


def add_pack(db: sqlite3.Connection, sp: str, el: etree._Element) -> None:
    """The rules of a pack add (``ServiceProviderServicePackAddRequest``, or a pack inside the Consolidated add),
    inside the caller's transaction."""
    name = _req(el, "servicePackName")
    services = [" ".join((s.text or "").split()) for s in el.findall("serviceName")]
    if db.execute("SELECT 1 FROM pack WHERE sp=? AND name=?", (sp, name)).fetchone():
        raise Duplicate(f"Service Pack {name}")
    qty = _qty(el.find("servicePackQuantity")) or UNLIMITED
    for s in services:
        row = db.execute("SELECT qty FROM sp_service WHERE sp=? AND kind='user' AND name=?", (sp, s)).fetchone()
        if row is None:
            raise SimError(E.ERR_NOT_AUTHORIZED, f"Service not authorized to the service provider: {s}")
        # ASSUMPTION (no public BroadSoft text): a pack cannot hand out more of a service than
        # the provider was authorized for, like every other quantity below an authorization.
        if _over(qty, row["qty"]):
            raise SimError(E.ERR_QUANTITY, f"Service pack quantity exceeds the authorized quantity of {s}")
    available = _req(el, "isAvailableForUse") in ("true", "1")
    db.execute(
        "INSERT INTO pack VALUES (?,?,?,?,?,?)",
        (sp, name, _t(el, "servicePackDescription"), int(available), qty, json.dumps(services)),
    )


def pack_modify(st: Store, el: etree._Element) -> str:
    """ServiceProviderServicePackModifyRequest: the quantity only (what follow-on orders send)."""
    sp, name = _req(el, "serviceProviderId"), _req(el, "servicePackName")
    with st.tx() as db:
        _need_sp(db, sp)
        row = db.execute("SELECT qty, services FROM pack WHERE sp=? AND name=?", (sp, name)).fetchone()
        if row is None:
            raise SimError(E.ERR_NOT_FOUND, f"Service Pack not found: {name}")
        if el.find("servicePackQuantity") is None:
            return success_command()
        qty = _qty(el.find("servicePackQuantity")) or UNLIMITED
        for s in json.loads(row["services"]):
            auth = db.execute("SELECT qty FROM sp_service WHERE sp=? AND kind='user' AND name=?", (sp, s)).fetchone()
            if auth is None or _over(qty, auth["qty"]):
                raise SimError(E.ERR_QUANTITY, f"Service pack quantity exceeds the authorized quantity of {s}")
        # ASSUMPTION (no public BroadSoft text found): a pack cannot shrink below what its groups were
        # authorized, as no authorization may exceed the one above it.
        for (held,) in db.execute("SELECT qty FROM grp_auth WHERE sp=? AND kind='pack' AND name=?", (sp, name)):
            if _over(held, qty):
                raise SimError(E.ERR_QUANTITY, f"Service pack quantity below what groups are authorized: {name}")
        db.execute("UPDATE pack SET qty=? WHERE sp=? AND name=?", (qty, sp, name))
    return success_command()


def group_add(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    with st.tx() as db:
        insert_group(db, sp, grp, el)
    return success_command()


def insert_group(db: sqlite3.Connection, sp: str, grp: str, el: etree._Element) -> None:
    """The group row of GroupAddRequest or GroupConsolidatedAddRequest (same elements), inside the caller's
    transaction; a duplicate is refused like the real server."""
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
                    known = db.execute("SELECT qty FROM pack WHERE sp=? AND name=?", (sp, name)).fetchone()
                else:
                    known = db.execute(
                        "SELECT qty FROM sp_service WHERE sp=? AND kind=? AND name=?", (sp, kind, name)
                    ).fetchone()
                if known is None:
                    raise SimError(E.ERR_NOT_AUTHORIZED, f"Not authorized to the service provider: {name}")
                if _over(q, known["qty"]):
                    above = "the service pack's quantity" if kind == "pack" else "the service provider's authorization"
                    raise SimError(E.ERR_QUANTITY, f"Authorized quantity of {name} exceeds {above}")
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
                raise SimError(E.ERR_NOT_AUTHORIZED, f"Service not authorized to the group: {n}")
            if db.execute("SELECT 1 FROM grp_assign WHERE sp=? AND grp=? AND name=?", (sp, grp, n)).fetchone():
                raise Duplicate(f"Service assignment {n}")
        db.executemany("INSERT INTO grp_assign VALUES (?,?,?)", [(sp, grp, n) for n in names])
    return success_command()


def _numbers(el: etree._Element) -> list[str]:
    out = [" ".join((p.text or "").split()) for p in el.findall("phoneNumber")]
    for rng in el.findall("dnRange"):
        lo, hi = (int(re.sub(r"\D", "", _req(rng, n))[1:]) for n in ("minPhoneNumber", "maxPhoneNumber"))
        if hi < lo or hi - lo > 10000:
            raise SimError(E.ERR_INVALID_REQUEST, "Invalid phone number range")
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
                raise SimError(E.ERR_NOT_FOUND, f"Phone number not in the service provider's pool: {n}")
            if row["grp"] is not None:
                raise Duplicate(f"Assignment of phone number {n}")
        db.executemany("UPDATE dn SET grp=? WHERE number=?", [(grp, n) for n in numbers])
    return success_command()


def group_modify(st: Store, el: etree._Element) -> str:
    sp, grp = _req(el, "serviceProviderId"), _req(el, "groupId")
    with st.tx() as db:
        _need_group(db, sp, grp)
        number = _t(el, "callingLineIdPhoneNumber")
        if _nil(el, "callingLineIdPhoneNumber"):
            db.execute("UPDATE grp SET clid_number=NULL WHERE sp=? AND id=?", (sp, grp))
        elif number is not None:
            if db.execute("SELECT 1 FROM dn WHERE number=? AND sp=? AND grp=?", (number, sp, grp)).fetchone() is None:
                raise SimError(E.ERR_NOT_FOUND, f"Phone number not assigned to the group: {number}")
            db.execute("UPDATE grp SET clid_number=? WHERE sp=? AND id=?", (number, sp, grp))
        for col, tag in (
            ("user_limit", "userLimit"),
            ("name", "groupName"),
            ("clid_name", "callingLineIdName"),
            ("time_zone", "timeZone"),
        ):
            value = _t(el, tag)
            if value is not None or _nil(el, tag):
                db.execute(f"UPDATE grp SET {col}=? WHERE sp=? AND id=?", (value, sp, grp))
    return success_command()


def _check_password(password: str | None) -> None:
    # A simple password rule like a real system policy, so a weak generated password would show up.
    if not password or len(password) < 8 or not re.search(r"\d", password) or not re.search(r"[A-Za-z]", password):
        raise SimError(E.ERR_INVALID_REQUEST, "Password does not satisfy the password rules")


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
            raise SimError(E.ERR_NOT_FOUND, f"Administrator not found: {user}")
        if password is not None:
            _check_password(password)
            db.execute("UPDATE admin SET pw_hash=? WHERE user_id=?", (password_hash(user, password), user))
        for col, tag in (("first", "firstName"), ("last", "lastName")):
            value = _t(el, tag)
            if value is not None or _nil(el, tag):
                db.execute(f"UPDATE admin SET {col}=? WHERE user_id=?", (value, user))
    return success_command()


Handler = Callable[[Store, etree._Element], str]

WRITES: dict[str, Handler] = {
    "ServiceProviderAddRequest13mp2": sp_add,
    "ServiceProviderServiceModifyAuthorizationListRequest": sp_auth_modify,
    "ServiceProviderServicePackAddRequest": pack_add,
    "ServiceProviderServicePackModifyRequest": pack_modify,
    "GroupAddRequest": group_add,
    "GroupServiceModifyAuthorizationListRequest": group_auth_modify,
    "GroupServiceAssignListRequest": group_assign,
    "ServiceProviderDnAddListRequest": dn_add,
    "GroupDnAssignListRequest": dn_assign,
    "GroupModifyRequest": group_modify,
    "ServiceProviderAdminAddRequest14": admin_add,
    "ServiceProviderAdminModifyRequest": admin_modify,
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
    "ServiceProviderConsolidatedAddRequest",
    "GroupConsolidatedAddRequest",
}
