"""Builders for every OCI-P request we send, fields in R25 schema order.

The schema files are BroadSoft's and are never committed: element order here was taken from them and
is checked against them at test time (tests/support/ocip_schema.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from connectors.broadworks.ocip import Command, Fields, Value


def _qty(quantity: int | None) -> Fields:
    """UnboundedPositiveInt: None means unlimited."""
    return [("unlimited", True)] if quantity is None else [("quantity", max(1, int(quantity)))]


def address_fields(line1: str, line2: str, city: str, state: str, zip_code: str, country: str) -> Fields:
    return [
        ("addressLine1", line1 or None),
        ("addressLine2", line2 or None),
        ("city", city or None),
        ("stateOrProvince", state or None),
        ("zipOrPostalCode", zip_code or None),
        ("country", country or None),
    ]


def contact_fields(name: str, number: str, email: str) -> Fields:
    return [("contactName", name[:30] or None), ("contactNumber", number or None), ("contactEmail", email or None)]


# ---------------------------------------------------------------- login


def authentication(user_id: str) -> Command:
    return Command("AuthenticationRequest", [("userId", user_id)])


def login14sp4(user_id: str, signed_password: str) -> Command:
    return Command("LoginRequest14sp4", [("userId", user_id), ("signedPassword", signed_password)])


def login22v5(user_id: str, password: str) -> Command:
    return Command("LoginRequest22V5", [("userId", user_id), ("password", password)])


def logout(user_id: str) -> Command:
    return Command("LogoutRequest", [("userId", user_id)])


# ---------------------------------------------------------------- enterprise


def sp_add(
    sp_id: str, default_domain: str, name: str, *, contact: Fields | None = None, address: Fields | None = None
) -> Command:
    return Command(
        "ServiceProviderAddRequest13mp2",
        [
            ("isEnterprise", True),
            ("serviceProviderId", sp_id),
            ("defaultDomain", default_domain),
            ("serviceProviderName", name[:80] or None),
            ("contact", contact),
            ("address", address),
        ],
    )


def _exact(value: str) -> Fields:
    """SearchCriteria{ServiceProviderId,GroupId,...}: mode, value, isCaseInsensitive, in that order
    (OCISchemaSearchCriteria.xsd; SearchMode is "Starts With" | "Contains" | "Equal To")."""
    return [("mode", "Equal To"), ("value", value), ("isCaseInsensitive", False)]


def sp_list_exact(sp_id: str) -> Command:
    """ServiceProviderGetListRequest (OCISchemaServiceProvider.xsd): isEnterprise left out so that
    service providers and enterprises both show; the answer is a serviceProviderTable, empty when
    nothing matches, so absence never rests on an error number."""
    return Command("ServiceProviderGetListRequest", [("searchCriteriaServiceProviderId", _exact(sp_id))])


def sp_get(sp_id: str) -> Command:
    return Command("ServiceProviderGetRequest22V4", [("serviceProviderId", sp_id)])


def sp_service_auth_modify(
    sp_id: str, group_services: Mapping[str, int | None], user_services: Mapping[str, int | None]
) -> Command:
    fields: list[tuple[str, Value]] = [("serviceProviderId", sp_id)]
    for name, q in group_services.items():
        fields.append(("groupServiceAuthorization", [("serviceName", name), ("authorizedQuantity", _qty(q))]))
    for name, q in user_services.items():
        fields.append(("userServiceAuthorization", [("serviceName", name), ("authorizedQuantity", _qty(q))]))
    return Command("ServiceProviderServiceModifyAuthorizationListRequest", fields)


def sp_service_auth_get(sp_id: str) -> Command:
    return Command("ServiceProviderServiceGetAuthorizationListRequest", [("serviceProviderId", sp_id)])


def sp_pack_add(sp_id: str, name: str, quantity: int | None, services: Iterable[str], description: str = "") -> Command:
    fields: list[tuple[str, Value]] = [
        ("serviceProviderId", sp_id),
        ("servicePackName", name),
        ("servicePackDescription", description[:256] or None),
        ("isAvailableForUse", True),
        ("servicePackQuantity", _qty(quantity)),
    ]
    fields.extend(("serviceName", s) for s in services)
    return Command("ServiceProviderServicePackAddRequest", fields)


def sp_pack_modify_quantity(sp_id: str, name: str, quantity: int | None) -> Command:
    """ServiceProviderServicePackModifyRequest (OCISchemaServiceProvider.xsd: serviceProviderId,
    servicePackName, newServicePackName?, servicePackDescription?, isAvailableForUse?,
    servicePackQuantity?): only the quantity, raised for a follow-on order (issue 19)."""
    return Command("ServiceProviderServicePackModifyRequest",
                   [("serviceProviderId", sp_id), ("servicePackName", name), ("servicePackQuantity", _qty(quantity))])


def sp_pack_list(sp_id: str) -> Command:
    return Command("ServiceProviderServicePackGetListRequest", [("serviceProviderId", sp_id)])


def sp_pack_detail(sp_id: str, name: str) -> Command:
    return Command("ServiceProviderServicePackGetDetailListRequest", [("serviceProviderId", sp_id), ("servicePackName", name)])


def sp_dn_add(sp_id: str, numbers: Sequence[str]) -> Command:
    return Command("ServiceProviderDnAddListRequest", [("serviceProviderId", sp_id), *(("phoneNumber", n) for n in numbers)])


def sp_dn_summary(sp_id: str) -> Command:
    return Command("ServiceProviderDnGetSummaryListRequest", [("serviceProviderId", sp_id)])


def sp_admin_add(sp_id: str, user_id: str, first: str, last: str, password: str, admin_type: str = "Customer") -> Command:
    return Command(
        "ServiceProviderAdminAddRequest14",
        [
            ("serviceProviderId", sp_id),
            ("userId", user_id),
            ("firstName", first[:30] or None),
            ("lastName", last[:30] or None),
            ("password", password),
            ("administratorType", admin_type),
        ],
    )


def sp_admin_modify_password(user_id: str, password: str) -> Command:
    return Command("ServiceProviderAdminModifyRequest", [("userId", user_id), ("password", password)])


def sp_admin_list(sp_id: str) -> Command:
    return Command("ServiceProviderAdminGetListRequest14", [("serviceProviderId", sp_id)])


# ---------------------------------------------------------------- group


def group_add(
    sp_id: str,
    group_id: str,
    default_domain: str,
    user_limit: int,
    *,
    name: str = "",
    clid_name: str = "",
    time_zone: str = "",
    contact: Fields | None = None,
    address: Fields | None = None,
) -> Command:
    return Command("GroupAddRequest", _group_fields(sp_id, group_id, default_domain, user_limit, name, clid_name,
                                                   time_zone, contact, address))


def _group_fields(sp_id: str, group_id: str, default_domain: str, user_limit: int, name: str, clid_name: str,
                  time_zone: str, contact: Fields | None, address: Fields | None) -> list[tuple[str, Value]]:
    """The group's own elements, in the order both GroupAddRequest and GroupConsolidatedAddRequest declare them."""
    return [
        ("serviceProviderId", sp_id),
        ("groupId", group_id),
        ("defaultDomain", default_domain),
        ("userLimit", max(1, user_limit)),
        ("groupName", name[:80] or None),
        ("callingLineIdName", clid_name[:80] or None),
        ("timeZone", time_zone or None),
        ("contact", contact),
        ("address", address),
    ]


def group_list_exact(sp_id: str, group_id: str) -> Command:
    """GroupGetListInServiceProviderRequest (OCISchemaGroup.xsd): a groupTable, empty when none matches."""
    return Command(
        "GroupGetListInServiceProviderRequest", [("serviceProviderId", sp_id), ("searchCriteriaGroupId", _exact(group_id))]
    )


def group_get(sp_id: str, group_id: str) -> Command:
    return Command("GroupGetRequest22V5", [("serviceProviderId", sp_id), ("groupId", group_id)])


def group_service_auth_modify(
    sp_id: str,
    group_id: str,
    packs: Mapping[str, int | None],
    group_services: Mapping[str, int | None],
    user_services: Mapping[str, int | None],
) -> Command:
    fields: list[tuple[str, Value]] = [("serviceProviderId", sp_id), ("groupId", group_id)]
    for name, q in packs.items():
        fields.append(("servicePackAuthorization", [("servicePackName", name), ("authorizedQuantity", _qty(q))]))
    for name, q in group_services.items():
        fields.append(("groupServiceAuthorization", [("serviceName", name), ("authorizedQuantity", _qty(q))]))
    for name, q in user_services.items():
        fields.append(("userServiceAuthorization", [("serviceName", name), ("authorizedQuantity", _qty(q))]))
    return Command("GroupServiceModifyAuthorizationListRequest", fields)


def group_service_auth_get(sp_id: str, group_id: str) -> Command:
    return Command("GroupServiceGetAuthorizationListRequest", [("serviceProviderId", sp_id), ("groupId", group_id)])


def group_service_assign(sp_id: str, group_id: str, services: Sequence[str]) -> Command:
    return Command(
        "GroupServiceAssignListRequest",
        [("serviceProviderId", sp_id), ("groupId", group_id), *(("serviceName", s) for s in services)],
    )


def group_dn_assign(sp_id: str, group_id: str, numbers: Sequence[str]) -> Command:
    return Command(
        "GroupDnAssignListRequest",
        [("serviceProviderId", sp_id), ("groupId", group_id), *(("phoneNumber", n) for n in numbers)],
    )


def group_dn_list(sp_id: str, group_id: str) -> Command:
    return Command("GroupDnGetListRequest", [("serviceProviderId", sp_id), ("groupId", group_id)])


def group_modify_clid(sp_id: str, group_id: str, number: str) -> Command:
    return Command(
        "GroupModifyRequest", [("serviceProviderId", sp_id), ("groupId", group_id), ("callingLineIdPhoneNumber", number)]
    )


def group_modify_user_limit(sp_id: str, group_id: str, user_limit: int) -> Command:
    """GroupModifyRequest with userLimit only: Add Services raises a group's user limit, never lowers it."""
    return Command("GroupModifyRequest", [("serviceProviderId", sp_id), ("groupId", group_id),
                                          ("userLimit", max(1, int(user_limit)))])


def to_bw_dn(e164: str) -> str:
    """+1NXXNXXXXXX -> +1-NXXNXXXXXX (BroadWorks' country-code-dash form)."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise ValueError(f"not a NANP number: {e164!r}")
    return f"+1-{digits}"


# ---------------------------------------------------------------- consolidated adds (ONBOARD_OCIP_REQUESTS=consolidated)
# One command creates the object with what hangs off it, all or nothing (the XSD documentation: "Should any
# of the following elements be rejected ... the service provider/group will not be added").


def sp_consolidated_add(
    sp_id: str,
    default_domain: str,
    name: str,
    *,
    contact: Fields | None = None,
    address: Fields | None = None,
    group_services: Mapping[str, int | None] | None = None,
    user_services: Mapping[str, int | None] | None = None,
    packs: Mapping[str, tuple[int | None, Sequence[str]]] | None = None,
    numbers: Sequence[str] = (),
) -> Command:
    """ServiceProviderConsolidatedAddRequest (OCISchemaServiceProvider.xsd): isEnterprise, serviceProviderId,
    defaultDomain, serviceProviderName, contact, address, then groupServiceAuthorization,
    userServiceAuthorization, servicePack (ServicePack, OCISchemaDataTypes.xsd), phoneNumber, in that order."""
    fields: list[tuple[str, Value]] = [
        ("isEnterprise", True),
        ("serviceProviderId", sp_id),
        ("defaultDomain", default_domain),
        ("serviceProviderName", name[:80] or None),
        ("contact", contact),
        ("address", address),
    ]
    for svc, q in (group_services or {}).items():
        fields.append(("groupServiceAuthorization", [("serviceName", svc), ("authorizedQuantity", _qty(q))]))
    for svc, q in (user_services or {}).items():
        fields.append(("userServiceAuthorization", [("serviceName", svc), ("authorizedQuantity", _qty(q))]))
    for pack, (q, services) in (packs or {}).items():
        body: list[tuple[str, Value]] = [
            ("servicePackName", pack),
            ("servicePackDescription", pack[:256] or None),
            ("isAvailableForUse", True),
            ("servicePackQuantity", _qty(q)),
        ]
        body.extend(("serviceName", s) for s in services)
        fields.append(("servicePack", body))
    fields.extend(("phoneNumber", n) for n in numbers)
    return Command("ServiceProviderConsolidatedAddRequest", fields)


def group_consolidated_add(
    sp_id: str,
    group_id: str,
    default_domain: str,
    user_limit: int,
    *,
    name: str = "",
    clid_name: str = "",
    time_zone: str = "",
    contact: Fields | None = None,
    address: Fields | None = None,
    group_services: Mapping[str, int | None] | None = None,
    assign: Sequence[str] = (),
    user_services: Mapping[str, int | None] | None = None,
    packs: Mapping[str, int | None] | None = None,
    numbers: Sequence[str] = (),
) -> Command:
    """GroupConsolidatedAddRequest (OCISchemaGroup.xsd): serviceProviderId, groupId, defaultDomain, userLimit,
    groupName, callingLineIdName, timeZone, contact, address, then groupServiceAuthorizationAndAssignment
    (serviceName, authorizedQuantity, assign), userServiceAuthorization, servicePackAuthorization,
    activatablePhoneNumber (ActivatableDN: DN, activate), in that order (user before pack, unlike
    GroupServiceModifyAuthorizationListRequest)."""
    fields = _group_fields(sp_id, group_id, default_domain, user_limit, name, clid_name, time_zone, contact, address)
    for svc, q in (group_services or {}).items():
        item: list[tuple[str, Value]] = [("serviceName", svc), ("authorizedQuantity", _qty(q))]
        if svc in assign:
            item.append(("assign", True))
        fields.append(("groupServiceAuthorizationAndAssignment", item))
    for svc, q in (user_services or {}).items():
        fields.append(("userServiceAuthorization", [("serviceName", svc), ("authorizedQuantity", _qty(q))]))
    for pack, q in (packs or {}).items():
        fields.append(("servicePackAuthorization", [("servicePackName", pack), ("authorizedQuantity", _qty(q))]))
    # ASSUMPTION: activate=true makes the numbers live at once, as GroupDnAssignListRequest leaves them.
    fields.extend(("activatablePhoneNumber", [("DN", n), ("activate", True)]) for n in numbers)
    return Command("GroupConsolidatedAddRequest", fields)
