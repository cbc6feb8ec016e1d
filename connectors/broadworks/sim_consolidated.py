"""The simulator's Consolidated add requests: schema (from the R25 XSDs) and one-transaction handlers.

ServiceProviderConsolidatedAddRequest (OCISchemaServiceProvider.xsd) and GroupConsolidatedAddRequest
(OCISchemaGroup.xsd) document that "should any of the following elements be rejected ... the service
provider / group will not be added and the response will be an ErrorResponse": so each is applied in a
single transaction, with the same rules the classic requests enforce one by one.
"""

from __future__ import annotations

import sqlite3

from lxml import etree

from connectors.broadworks import sim_errors as E
from connectors.broadworks.ocip import success_command
from connectors.broadworks.sim_handlers import (
    Duplicate,
    Handler,
    SimError,
    _auth_items,
    _over,
    _qty,
    _req,
    _sub,
    _t,
    add_pack,
    insert_group,
)
from connectors.broadworks.sim_schema import (
    _PLACEMENT,
    ADDRESS,
    BOOL,
    CONTACT,
    DN,
    DN_RANGE,
    GROUP_AUTH,
    GROUP_BODY,
    INT_POS,
    NAME_80,
    NET_ADDRESS,
    PACK_AUTH,
    QTY,
    SPECS,
    USER_AUTH,
    Choice,
    Item,
    _many,
    _opt,
)
from connectors.broadworks.sim_schema import E as El
from connectors.broadworks.sim_services import GROUP_SERVICES, USER_SERVICES
from connectors.broadworks.sim_store import UNLIMITED, Store

_ANY = ()
_SP_OPT = El("serviceProviderId", 0, 1, length=30, in_bytes=True)  # optional in the consolidated add (generated)
_G_OPT = El("groupId", 0, 1, length=30, in_bytes=True)
_SP = El("serviceProviderId", length=30, in_bytes=True)
SERVICE_PACK = (  # ServicePack, OCISchemaDataTypes.xsd
    El("servicePackName", length=NAME_80),
    _opt("servicePackDescription", length=256),
    El("isAvailableForUse", pattern=BOOL),
    El("servicePackQuantity", sub=QTY),
    _many("serviceName", enum=USER_SERVICES),
)
GROUP_AUTH_ASSIGN = (  # GroupServiceAuthorizationAndAssignment, OCISchemaDataTypes.xsd
    El("serviceName", enum=GROUP_SERVICES),
    _opt("authorizedQuantity", sub=QTY),
    _opt("assign", pattern="true|1"),  # fixed="true"
)
ACTIVATABLE_DN = (El("DN", pattern=DN), _opt("activate", pattern=BOOL))  # ActivatableDN

CONSOLIDATED_SPECS: dict[str, tuple[Item, ...]] = {
    "ServiceProviderConsolidatedAddRequest": (
        Choice(((El("isEnterprise", pattern="true|1"),), (El("useCustomRoutingProfile", pattern=BOOL),))),
        _SP_OPT,
        _opt("serviceProviderExternalId"),
        El("defaultDomain", length=NET_ADDRESS),
        _opt("serviceProviderName", length=NAME_80),
        _opt("supportEmail", length=80),
        _opt("contact", sub=CONTACT),
        _opt("address", sub=ADDRESS),
        *(_opt(n) for n in _PLACEMENT),
        _opt("resellerId", length=36),
        _opt("resellerName"),
        _many("domain", length=NET_ADDRESS),
        _many("admin", sub=_ANY),
        _many("groupServiceAuthorization", sub=GROUP_AUTH),
        _many("userServiceAuthorization", sub=USER_AUTH),
        _many("servicePack", sub=SERVICE_PACK),
        _many("phoneNumber", pattern=DN),
        _many("dnRange", sub=DN_RANGE),
        _opt("routingProfile", nillable=True),
        _opt("meetMeConferencingAllocatedPorts", sub=_ANY),
        _opt("trunkGroupMaxActiveCalls", sub=_ANY),
        _opt("trunkGroupBurstingMaxActiveCalls", sub=_ANY),
        _opt("voiceMessagingGroupSettings", sub=_ANY),
        _opt("voiceMessagingGroupVoicePortalScope"),
    ),
    "GroupConsolidatedAddRequest": (
        Choice(((_SP,), (El("serviceProviderExternalId"),))),
        _G_OPT,
        _opt("groupExternalId"),
        *GROUP_BODY,
        _many("domain", length=NET_ADDRESS),
        _many("admin", sub=_ANY),
        _opt("minExtensionLength", pattern=INT_POS),
        _opt("maxExtensionLength", pattern=INT_POS),
        _opt("defaultExtensionLength", pattern=INT_POS),
        _many("groupServiceAuthorizationAndAssignment", sub=GROUP_AUTH_ASSIGN),
        _many("userServiceAuthorization", sub=USER_AUTH),
        _many("servicePackAuthorization", sub=PACK_AUTH),
        _many("activatablePhoneNumber", sub=ACTIVATABLE_DN),
        _many("activatableDNRange", sub=_ANY),
        _opt("routingProfile", nillable=True),
        _opt("meetMeConferencingAllocatedPorts", sub=_ANY),
        _opt("trunkGroupMaxActiveCalls"),
        _opt("trunkGroupBurstingMaxActiveCalls", sub=_ANY),
    ),
}
SPECS.update(CONSOLIDATED_SPECS)  # validate_command knows them once the simulator imports this module


def _unsupported(el: etree._Element, *tags: str) -> None:
    """Parts of the request we never send and the simulator does not model: refuse, never drop silently."""
    for tag in tags:
        if el.find(tag) is not None:
            raise SimError(E.ERR_INVALID_REQUEST, f"{tag} is not supported by the simulator")


def sp_consolidated_add(st: Store, el: etree._Element) -> str:
    sp = _t(el, "serviceProviderId")
    if sp is None:  # the real server may generate one; we always send ours, so refuse rather than invent
        raise SimError(E.ERR_INVALID_REQUEST, "serviceProviderId is required by the simulator")
    _unsupported(el, "useCustomRoutingProfile", "domain", "admin", "dnRange", "routingProfile")
    with st.tx() as db:  # one transaction: any refusal below leaves nothing behind
        if db.execute("SELECT 1 FROM sp WHERE id=?", (sp,)).fetchone():
            raise Duplicate(f"Service Provider {sp}")
        db.execute(
            "INSERT INTO sp VALUES (?,?,?,?,?)",
            (sp, _req(el, "defaultDomain"), _t(el, "serviceProviderName"), _sub(el, "contact"), _sub(el, "address")),
        )
        for kind, tag in (("group", "groupServiceAuthorization"), ("user", "userServiceAuthorization")):
            for name, q in _auth_items(el, tag, "serviceName"):
                if q is not None:
                    db.execute("INSERT OR REPLACE INTO sp_service VALUES (?,?,?,?)", (sp, kind, name, q))
        for pack in el.findall("servicePack"):
            add_pack(db, sp, pack)
        for n in (" ".join((p.text or "").split()) for p in el.findall("phoneNumber")):
            if db.execute("SELECT 1 FROM dn WHERE number=?", (n,)).fetchone():
                raise Duplicate(f"Phone number {n}")
            db.execute("INSERT INTO dn VALUES (?,?,NULL)", (n, sp))
    return success_command()


def _authorize(db: sqlite3.Connection, sp: str, grp: str, kind: str, name: str, q: int) -> None:
    """The rules of GroupServiceModifyAuthorizationListRequest (sim_handlers.group_auth_modify)."""
    if kind == "pack":
        known = db.execute("SELECT qty FROM pack WHERE sp=? AND name=?", (sp, name)).fetchone()
    else:
        known = db.execute("SELECT qty FROM sp_service WHERE sp=? AND kind=? AND name=?", (sp, kind, name)).fetchone()
    if known is None:
        raise SimError(E.ERR_NOT_AUTHORIZED, f"Not authorized to the service provider: {name}")
    if _over(q, known["qty"]):
        above = "the service pack's quantity" if kind == "pack" else "the service provider's authorization"
        raise SimError(E.ERR_QUANTITY, f"Authorized quantity of {name} exceeds {above}")
    db.execute("INSERT OR REPLACE INTO grp_auth VALUES (?,?,?,?,?)", (sp, grp, kind, name, q))


def group_consolidated_add(st: Store, el: etree._Element) -> str:
    sp, grp = _t(el, "serviceProviderId"), _t(el, "groupId")
    if sp is None or grp is None:
        raise SimError(E.ERR_INVALID_REQUEST, "serviceProviderId and groupId are required by the simulator")
    _unsupported(el, "domain", "admin", "activatableDNRange", "routingProfile", "defaultUserCallingLineIdPhoneNumber")
    with st.tx() as db:
        insert_group(db, sp, grp, el)
        for item in el.findall("groupServiceAuthorizationAndAssignment"):
            name = _req(item, "serviceName")
            _authorize(db, sp, grp, "group", name, _qty(item.find("authorizedQuantity")) or UNLIMITED)
            if _t(item, "assign") in ("true", "1"):
                db.execute("INSERT INTO grp_assign VALUES (?,?,?)", (sp, grp, name))
        for kind, tag, key in (
            ("user", "userServiceAuthorization", "serviceName"),
            ("pack", "servicePackAuthorization", "servicePackName"),
        ):
            for name, q in _auth_items(el, tag, key):
                if q is not None:
                    _authorize(db, sp, grp, kind, name, q)
        for item in el.findall("activatablePhoneNumber"):
            n = _req(item, "DN")
            # ASSUMPTION (XSD text only says the numbers are "added ... on the group"): like
            # GroupDnAssignListRequest, a number must already be in the provider's pool and unassigned.
            row = db.execute("SELECT grp FROM dn WHERE number=? AND sp=?", (n, sp)).fetchone()
            if row is None:
                raise SimError(E.ERR_NOT_FOUND, f"Phone number not in the service provider's pool: {n}")
            if row["grp"] is not None:
                raise Duplicate(f"Assignment of phone number {n}")
            db.execute("UPDATE dn SET grp=? WHERE number=?", (grp, n))
    return success_command()


CONSOLIDATED_WRITES: dict[str, Handler] = {
    "ServiceProviderConsolidatedAddRequest": sp_consolidated_add,
    "GroupConsolidatedAddRequest": group_consolidated_add,
}
