"""What the simulator knows of the R25 request schema: element order, required elements, a few values.

Hand-written from the published schema for the requests we send (the XSDs themselves are BroadSoft's
and are not shipped); tests check our documents against the real schema as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

UNBOUNDED = 1 << 30


@dataclass(frozen=True)
class E:
    name: str
    min: int = 1
    max: int = 1
    sub: tuple[Item, ...] | None = None  # complex content; None = simple (text) content
    pattern: str | None = None  # full-match regex for the text


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


BOOL = r"true|false|1|0"
INT_POS = r"[1-9][0-9]{0,8}"
DN = r"\+1-[2-9][0-9]{2}[2-9][0-9]{6}"
SP, G = E("serviceProviderId"), E("groupId")
ADDRESS = tuple(
    _opt(n)
    for n in (
        "addressLine1",
        "addressLine2",
        "city",
        "stateOrProvince",
        "stateOrProvinceDisplayName",
        "zipOrPostalCode",
        "country",
    )
)
CONTACT = (_opt("contactName"), _opt("contactNumber"), _opt("contactEmail"))
QTY = (Choice(((E("unlimited", pattern=BOOL),), (E("quantity", pattern=INT_POS),))),)
_AUTHQ = Choice(((E("authorizedQuantity", sub=QTY),), (E("unauthorized", pattern=BOOL),)))
AUTH = (E("serviceName"), _AUTHQ)
PACK_AUTH = (E("servicePackName"), _AUTHQ)
DN_RANGE = (E("minPhoneNumber", pattern=DN), E("maxPhoneNumber", pattern=DN))
_ANY = ()  # complex content we accept without looking inside
_PLACEMENT = ("servicePolicy", "callProcessingSliceId", "provisioningSliceId", "subscriberPartition", "preferredDataCenter")

SPECS: dict[str, tuple[Item, ...]] = {
    "AuthenticationRequest": (E("userId"),),
    "LoginRequest14sp4": (E("userId"), _opt("signedPassword"), _opt("plainTextPassword")),
    "LoginRequest22V5": (E("userId"), _opt("password"), _opt("signedPassword")),
    "ServiceProviderAddRequest13mp2": (
        Choice(((E("isEnterprise", pattern="true|1"),), (E("useCustomRoutingProfile", pattern=BOOL),))),
        SP,
        E("defaultDomain"),
        _opt("serviceProviderName"),
        _opt("supportEmail"),
        _opt("contact", sub=CONTACT),
        _opt("address", sub=ADDRESS),
        *(_opt(n) for n in _PLACEMENT),
        _opt("resellerId"),
    ),
    "ServiceProviderGetRequest22V4": (Choice(((SP,), (E("serviceProviderExternalId"),))),),
    "ServiceProviderServiceModifyAuthorizationListRequest": (
        SP,
        _many("groupServiceAuthorization", sub=AUTH),
        _many("userServiceAuthorization", sub=AUTH),
    ),
    "ServiceProviderServiceGetAuthorizationListRequest": (SP,),
    "ServiceProviderServicePackAddRequest": (
        SP,
        E("servicePackName"),
        _opt("servicePackDescription"),
        E("isAvailableForUse", pattern=BOOL),
        E("servicePackQuantity", sub=QTY),
        _many("serviceName"),
    ),
    "ServiceProviderServicePackGetListRequest": (SP,),
    "ServiceProviderServicePackGetDetailListRequest": (SP, E("servicePackName")),
    "GroupAddRequest": (
        SP,
        G,
        E("defaultDomain"),
        E("userLimit", pattern=INT_POS),
        _opt("groupName"),
        _opt("callingLineIdName"),
        _opt("timeZone"),
        _opt("locationDialingCode"),
        _opt("contact", sub=CONTACT),
        _opt("address", sub=ADDRESS),
        *(_opt(n) for n in _PLACEMENT),
        _opt("defaultUserCallingLineIdPhoneNumber", pattern=DN),
    ),
    "GroupGetRequest22V5": (Choice(((SP, G), (E("groupExternalId"),))),),
    "GroupServiceModifyAuthorizationListRequest": (
        SP,
        G,
        _many("servicePackAuthorization", sub=PACK_AUTH),
        _many("groupServiceAuthorization", sub=AUTH),
        _many("userServiceAuthorization", sub=AUTH),
    ),
    "GroupServiceGetAuthorizationListRequest": (SP, G),
    "GroupServiceAssignListRequest": (SP, G, _many("serviceName", 1)),
    "ServiceProviderDnAddListRequest": (SP, _many("phoneNumber", pattern=DN), _many("dnRange", sub=DN_RANGE)),
    "ServiceProviderDnGetSummaryListRequest": (SP, _many("searchCriteriaGroupId", sub=_ANY), _many("searchCriteriaDn", sub=_ANY)),
    "GroupDnAssignListRequest": (SP, G, _many("phoneNumber", pattern=DN), _many("dnRange", sub=DN_RANGE)),
    "GroupDnGetListRequest": (SP, G),
    "GroupModifyRequest": (
        SP,
        G,
        _opt("defaultDomain"),
        _opt("userLimit", pattern=INT_POS),
        _opt("groupName"),
        _opt("callingLineIdName"),
        _opt("callingLineIdPhoneNumber", pattern=DN),
        _opt("timeZone"),
        _opt("locationDialingCode"),
        _opt("contact", sub=CONTACT),
        _opt("address", sub=ADDRESS),
        *(_opt(n) for n in _PLACEMENT),
        _opt("defaultUserCallingLineIdPhoneNumber", pattern=DN),
    ),
    "ServiceProviderAdminAddRequest14": (
        SP,
        E("userId"),
        _opt("firstName"),
        _opt("lastName"),
        _opt("password"),
        _opt("language"),
        E("administratorType", pattern="Normal|Customer|Password Reset Only"),
    ),
    "ServiceProviderAdminModifyRequest": (
        E("userId"),
        _opt("firstName"),
        _opt("lastName"),
        _opt("password"),
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
    if item.sub is None:
        if len(el):
            raise Invalid(f"{where}: simple content expected")
        text = (el.text or "").strip()
        if not text:
            raise Invalid(f"{where}: value must not be empty")
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
