"""What the simulator knows of the R25 request schema: element order, required elements, a few values.

Hand-written from the published schema for the requests we send (the XSDs themselves are BroadSoft's
and are not shipped); tests check our documents against the real schema as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from connectors.broadworks.sim_services import GROUP_SERVICES, USER_SERVICES

UNBOUNDED = 1 << 30


@dataclass(frozen=True)
class E:
    name: str
    min: int = 1
    max: int = 1
    sub: tuple[Item, ...] | None = None  # complex content; None = simple (text) content
    pattern: str | None = None  # full-match regex for the text
    length: int | None = None  # maxLength facet (characters; UTF-8 bytes for ids, see _ID)
    enum: frozenset[str] | None = None  # a closed enumeration
    nillable: bool = False  # xsi:nil="true" allowed
    in_bytes: bool = False


@dataclass(frozen=True)
class Choice:
    alts: tuple[tuple[Item, ...], ...]


Item = E | Choice


class Invalid(Exception):
    pass


def _opt(name: str, **kw: object) -> E:
    return E(name, 0, 1, **kw)  # type: ignore[arg-type]


def _many(name: str, minimum: int = 0, **kw: object) -> E:
    return E(name, minimum, UNBOUNDED, **kw)  # type: ignore[arg-type]


MAX_COMMANDS = 15  # OCISchemaBASE: BroadsoftDocument holds command minOccurs=1 maxOccurs=15
_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"

BOOL = r"true|false|1|0"
INT_POS = r"[1-9][0-9]{0,8}"
DN = r"\+1-[2-9][0-9]{2}[2-9][0-9]{6}"
# Facets from OCISchemaDataTypes.xsd. ServiceProviderId and GroupId: token 1..30; the schema notes
# the service provider id limit is 30 *bytes*, not characters, so ids are measured in UTF-8 bytes.
SP = E("serviceProviderId", length=30, in_bytes=True)
G = E("groupId", length=30, in_bytes=True)
USER_ID = E("userId", length=161)  # UserId
NET_ADDRESS = 80  # NetAddress (defaultDomain)
NAME_80 = 80  # ServiceProviderName, GroupName, GroupCallingLineIdName, ServicePackName
PERSON = 30  # FirstName, LastName
ADDRESS = (  # StreetAddress: every line nillable except stateOrProvinceDisplayName
    _opt("addressLine1", length=80, nillable=True),
    _opt("addressLine2", length=80, nillable=True),
    _opt("city", length=50, nillable=True),
    _opt("stateOrProvince", length=50, nillable=True),
    _opt("stateOrProvinceDisplayName", length=50),
    _opt("zipOrPostalCode", length=50, nillable=True),
    _opt("country", length=50, nillable=True),
)
CONTACT = (  # Contact: all three nillable
    _opt("contactName", length=30, nillable=True),
    _opt("contactNumber", length=30, nillable=True),
    _opt("contactEmail", length=80, nillable=True),
)
_SEARCH = (E("mode", enum=frozenset({"Starts With", "Contains", "Equal To"})), E("value"), E("isCaseInsensitive", pattern=BOOL))
QTY = (Choice(((E("unlimited", pattern=BOOL),), (E("quantity", pattern=INT_POS),))),)
_AUTHQ = Choice(((E("authorizedQuantity", sub=QTY),), (E("unauthorized", pattern=BOOL),)))
GROUP_AUTH = (E("serviceName", enum=GROUP_SERVICES), _AUTHQ)
USER_AUTH = (E("serviceName", enum=USER_SERVICES), _AUTHQ)
PACK_AUTH = (E("servicePackName", length=NAME_80), _AUTHQ)
DN_RANGE = (E("minPhoneNumber", pattern=DN), E("maxPhoneNumber", pattern=DN))
_ANY = ()  # complex content we accept without looking inside
_PLACEMENT = ("servicePolicy", "callProcessingSliceId", "provisioningSliceId", "subscriberPartition", "preferredDataCenter")
# A group's own elements after its ids, as GroupAddRequest and GroupConsolidatedAddRequest both declare them
# (OCISchemaGroup.xsd).
GROUP_BODY: tuple[E, ...] = (
    E("defaultDomain", length=NET_ADDRESS),
    E("userLimit", pattern=INT_POS),
    _opt("groupName", length=NAME_80),
    _opt("callingLineIdName", length=NAME_80),
    _opt("timeZone", length=127),
    _opt("locationDialingCode"),
    _opt("contact", sub=CONTACT),
    _opt("address", sub=ADDRESS),
    *(_opt(n) for n in _PLACEMENT),
    _opt("defaultUserCallingLineIdPhoneNumber", pattern=DN),
)

SPECS: dict[str, tuple[Item, ...]] = {
    "AuthenticationRequest": (USER_ID,),
    "LoginRequest14sp4": (USER_ID, _opt("signedPassword"), _opt("plainTextPassword")),
    "LoginRequest22V5": (USER_ID, _opt("password"), _opt("signedPassword")),
    "LogoutRequest": (USER_ID, _opt("reason")),
    "ServiceProviderAddRequest13mp2": (
        Choice(((E("isEnterprise", pattern="true|1"),), (E("useCustomRoutingProfile", pattern=BOOL),))),
        SP,
        E("defaultDomain", length=NET_ADDRESS),
        _opt("serviceProviderName", length=NAME_80),
        _opt("supportEmail", length=80),
        _opt("contact", sub=CONTACT),
        _opt("address", sub=ADDRESS),
        *(_opt(n) for n in _PLACEMENT),
        _opt("resellerId", length=36),
    ),
    "ServiceProviderGetListRequest": (
        _opt("isEnterprise", pattern=BOOL),
        _opt("responseSizeLimit", pattern=INT_POS),
        _many("searchCriteriaServiceProviderId", sub=_SEARCH),
        _many("searchCriteriaServiceProviderName", sub=_SEARCH),
        _many("searchCriteriaResellerId", sub=_SEARCH),
    ),
    "ServiceProviderGetRequest22V4": (Choice(((SP,), (E("serviceProviderExternalId"),))),),
    "ServiceProviderServiceModifyAuthorizationListRequest": (
        SP,
        _many("groupServiceAuthorization", sub=GROUP_AUTH),
        _many("userServiceAuthorization", sub=USER_AUTH),
    ),
    "ServiceProviderServiceGetAuthorizationListRequest": (SP,),
    "ServiceProviderServicePackAddRequest": (
        SP,
        E("servicePackName", length=NAME_80),
        _opt("servicePackDescription", length=256),
        E("isAvailableForUse", pattern=BOOL),
        E("servicePackQuantity", sub=QTY),
        _many("serviceName", enum=USER_SERVICES),
    ),
    "ServiceProviderServicePackModifyRequest": (
        SP,
        E("servicePackName", length=NAME_80),
        _opt("newServicePackName", length=NAME_80),
        _opt("servicePackDescription", length=256, nillable=True),
        _opt("isAvailableForUse", pattern=BOOL),
        _opt("servicePackQuantity", sub=QTY),
    ),
    "ServiceProviderServicePackGetListRequest": (SP,),
    "ServiceProviderServicePackGetDetailListRequest": (SP, E("servicePackName", length=NAME_80)),
    "GroupAddRequest": (SP, G, *GROUP_BODY),
    "GroupGetListInServiceProviderRequest": (
        SP,
        _opt("responseSizeLimit", pattern=INT_POS),
        _many("searchCriteriaGroupId", sub=_SEARCH),
        _many("searchCriteriaGroupName", sub=_SEARCH),
    ),
    "GroupGetRequest22V5": (Choice(((SP, G), (E("groupExternalId"),))),),
    "GroupServiceModifyAuthorizationListRequest": (
        SP,
        G,
        _many("servicePackAuthorization", sub=PACK_AUTH),
        _many("groupServiceAuthorization", sub=GROUP_AUTH),
        _many("userServiceAuthorization", sub=USER_AUTH),
    ),
    "GroupServiceGetAuthorizationListRequest": (SP, G),
    "GroupServiceAssignListRequest": (SP, G, _many("serviceName", 1, enum=GROUP_SERVICES)),
    "ServiceProviderDnAddListRequest": (SP, _many("phoneNumber", pattern=DN), _many("dnRange", sub=DN_RANGE)),
    "ServiceProviderDnGetSummaryListRequest": (
        SP,
        _many("searchCriteriaGroupId", sub=_SEARCH),
        _many("searchCriteriaDn", sub=_SEARCH),
    ),
    "GroupDnAssignListRequest": (SP, G, _many("phoneNumber", pattern=DN), _many("dnRange", sub=DN_RANGE)),
    "GroupDnGetListRequest": (SP, G),
    "GroupModifyRequest": (  # the nillable elements of R25 GroupModifyRequest accept xsi:nil (clear)
        SP,
        G,
        _opt("defaultDomain", length=NET_ADDRESS),
        _opt("userLimit", pattern=INT_POS),
        _opt("groupName", length=NAME_80, nillable=True),
        _opt("callingLineIdName", length=NAME_80, nillable=True),
        _opt("callingLineIdPhoneNumber", pattern=DN, nillable=True),
        _opt("timeZone", length=127),
        _opt("locationDialingCode", nillable=True),
        _opt("contact", sub=CONTACT),
        _opt("address", sub=ADDRESS),
        *(_opt(n, nillable=True) for n in _PLACEMENT),
        _opt("defaultUserCallingLineIdPhoneNumber", pattern=DN, nillable=True),
        _opt("extensionLengthSettings", sub=_ANY),
        _opt("dialPlanAccessCode", sub=_ANY, nillable=True),
        _opt("dialPlanPolicy", sub=_ANY),
    ),
    "ServiceProviderAdminAddRequest14": (
        SP,
        USER_ID,
        _opt("firstName", length=PERSON),
        _opt("lastName", length=PERSON),
        _opt("password", length=60),
        _opt("language"),
        E("administratorType", enum=frozenset({"Normal", "Customer", "Password Reset Only"})),
    ),
    "ServiceProviderAdminModifyRequest": (
        USER_ID,
        _opt("firstName", length=PERSON, nillable=True),
        _opt("lastName", length=PERSON, nillable=True),
        _opt("password", length=60, nillable=True),
        _opt("language"),
        _opt("accountDisabled", pattern=BOOL),
    ),
    "ServiceProviderAdminGetListRequest14": (SP,),
}


def _names(items: tuple[Item, ...]) -> list[str]:
    out: list[str] = []
    for it in items:
        if isinstance(it, E):
            out.append(it.name)
            if it.min:
                break
        else:
            for alt in it.alts:
                out.extend(_names(alt)[:1])
            break
    return out


def _leaf(el: etree._Element, item: E, path: str) -> None:
    where = f"{path}/{item.name}"
    if el.get(_NIL) in ("true", "1"):
        # xsi:nil only where the schema says nillable, and then with no content at all.
        if not item.nillable:
            raise Invalid(f"{where}: element is not nillable")
        if len(el) or (el.text or "").strip():
            raise Invalid(f"{where}: a nil element must be empty")
        return
    if item.sub is None:
        if len(el):
            raise Invalid(f"{where}: simple content expected")
        text = " ".join((el.text or "").split())  # xs:token collapses whitespace
        if not text:
            raise Invalid(f"{where}: value must not be empty")
        size = len(text.encode("utf-8")) if item.in_bytes else len(text)
        if item.length is not None and size > item.length:
            unit = "bytes" if item.in_bytes else "characters"
            raise Invalid(f"{where}: {size} {unit}, at most {item.length} allowed")
        if item.enum is not None and text not in item.enum:
            raise Invalid(f"{where}: {text!r} is not a valid value")
        if item.pattern and not re.fullmatch(item.pattern, text):
            raise Invalid(f"{where}: invalid value {text!r}")
    elif item.sub:
        _validate(item.sub, list(el), where)


def _match(items: tuple[Item, ...], kids: list[etree._Element], i: int, path: str) -> int:
    for item in items:
        if isinstance(item, Choice):
            for alt in item.alts:
                try:
                    j = _match(alt, kids, i, path)
                except Invalid:
                    continue
                if j > i:
                    i = j
                    break
            else:
                raise Invalid(f"{path}: expected one of {_names((item,))}")
            continue
        n = 0
        while i < len(kids) and kids[i].tag == item.name and n < item.max:
            _leaf(kids[i], item, path)
            n += 1
            i += 1
        if n < item.min:
            got = str(kids[i].tag) if i < len(kids) else "end of element"
            raise Invalid(f"{path}: missing {item.name} (found {got})")
    return i


def _validate(items: tuple[Item, ...], kids: list[etree._Element], path: str) -> None:
    i = _match(items, kids, 0, path)
    if i < len(kids):
        raise Invalid(f"{path}: element {kids[i].tag!s} is not expected here")


def validate_command(typ: str, el: etree._Element) -> None:
    """Raise Invalid for a known request whose content breaks the schema; KeyError if unknown."""
    spec = SPECS[typ]
    kids = [k for k in el if isinstance(k.tag, str)]
    _validate(spec, kids, typ)


def check_document_size(count: int) -> None:
    """The 15-command cap of BroadsoftDocument."""
    if count > MAX_COMMANDS:
        raise Invalid(f"BroadsoftDocument: {count} commands, at most {MAX_COMMANDS} allowed")
