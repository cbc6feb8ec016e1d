from __future__ import annotations

import pytest
from lxml import etree

from connectors.broadworks import commands as C
from connectors.broadworks.ocip import (
    Command,
    OcipProtocolError,
    SoapFault,
    build_document,
    error_command,
    parse_document,
    parse_responses,
    response_command,
    response_document,
    soap_fault,
    soap_request,
    soap_response,
    success_command,
    unwrap_request,
    unwrap_response,
)


def test_document_wire_form() -> None:
    doc = build_document("sid&1", [C.authentication("admin<1>")])
    assert doc.startswith('<?xml version="1.0" encoding="ISO-8859-1"?><BroadsoftDocument protocol="OCI" xmlns="C"')
    assert '<sessionId xmlns="">sid&amp;1</sessionId>' in doc
    assert '<command xsi:type="AuthenticationRequest" xmlns=""><userId>admin&lt;1&gt;</userId></command>' in doc
    root = etree.fromstring(doc.encode())
    assert root.tag == "{C}BroadsoftDocument"
    # sessionId and command are unqualified, as the schema (BASE, unqualified locals) wants
    assert [c.tag for c in root] == ["sessionId", "command"]


def test_fields_in_order_and_none_left_out() -> None:
    cmd = C.group_add("sp", "g", "d.example", 0, name="", time_zone="America/Chicago")
    el = parse_document(build_document("s", [cmd])).commands[0]
    assert [c.tag for c in el] == ["serviceProviderId", "groupId", "defaultDomain", "userLimit", "timeZone"]
    assert el.findtext("userLimit") == "1"  # at least one seat
    pack = C.sp_pack_add("sp", "P", None, ["Authentication"])
    el = parse_document(build_document("s", [pack])).commands[0]
    assert el.find("servicePackQuantity/unlimited").text == "true"  # type: ignore[union-attr]


def test_document_command_count_limits() -> None:
    build_document("s", [C.sp_get("x")] * 15)
    with pytest.raises(ValueError):
        build_document("s", [C.sp_get("x")] * 16)
    with pytest.raises(ValueError):
        build_document("s", [])


def test_soap_round_trip_carries_the_document_as_text() -> None:
    doc = build_document("s", [C.sp_get("a&b")])
    env = soap_request(doc)
    assert b"&lt;BroadsoftDocument" in env  # escaped text, not nested XML
    assert unwrap_request(env) == doc
    assert unwrap_response(soap_response(doc)) == doc


def test_soap_fault_is_raised() -> None:
    with pytest.raises(SoapFault) as info:
        unwrap_response(soap_fault("NO_OCS_CONNECTION"))
    assert info.value.faultstring == "NO_OCS_CONNECTION"


def test_parse_typed_success_and_error_responses() -> None:
    answer = response_document(
        "s",
        [
            success_command(),
            response_command("GroupDnGetListResponse", [("phoneNumber", "+1-5125550100"), ("phoneNumber", "+1-5125550101")]),
            error_command("4100", "Group g already exists", "detail text"),
        ],
    )
    sid, (ok, dns, err) = parse_responses("\n  \n" + answer)  # whitespace before the declaration
    assert sid == "s"
    assert ok.type == "SuccessResponse" and not ok.is_error
    assert dns.type == "GroupDnGetListResponse" and dns.texts("phoneNumber") == ["+1-5125550100", "+1-5125550101"]
    assert err.is_error and err.error_code == "4100" and err.detail == "detail text"
    assert err.summary == "[Error 4100] Group g already exists"


def test_error_code_from_summary_when_no_error_code_element() -> None:
    text = (
        '<?xml version="1.0" encoding="UTF-8"?><BroadsoftDocument protocol="OCI" xmlns="C" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><sessionId xmlns="">s</sessionId>'
        '<command type="Error" echo="" xsi:type="c:ErrorResponse" xmlns:c="C" xmlns="">'
        "<summary>[Error 4962] Invalid password</summary><summaryEnglish>[Error 4962] Invalid password</summaryEnglish>"
        "</command></BroadsoftDocument>"
    )
    _, (err,) = parse_responses(text)
    assert err.error_code == "4962" and err.detail is None


def test_parser_refuses_entities_and_doctypes() -> None:
    evil = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<BroadsoftDocument protocol="OCI" xmlns="C"><sessionId xmlns="">&x;</sessionId></BroadsoftDocument>'
    )
    with pytest.raises(OcipProtocolError):
        parse_responses(evil)
    with pytest.raises(OcipProtocolError):
        unwrap_response(evil)


@pytest.mark.parametrize(
    "text",
    [
        "not xml",
        '<BroadsoftDocument protocol="OCI" xmlns="X"><sessionId>s</sessionId></BroadsoftDocument>',
        '<BroadsoftDocument protocol="NSOCI" xmlns="C"><sessionId xmlns="">s</sessionId>'
        '<command xmlns="" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="A"/></BroadsoftDocument>',
        '<BroadsoftDocument protocol="OCI" xmlns="C"><sessionId xmlns="">s</sessionId></BroadsoftDocument>',
        '<BroadsoftDocument protocol="OCI" xmlns="C"><sessionId xmlns="">s</sessionId><command xmlns=""/></BroadsoftDocument>',
    ],
)
def test_strict_parsing_rejects_malformed_documents(text: str) -> None:
    with pytest.raises(OcipProtocolError):
        parse_responses(text)


def test_is_get() -> None:
    assert C.sp_get("x").is_get and C.group_dn_list("a", "b").is_get
    assert not C.group_add("a", "b", "d", 1).is_get
    assert not Command("GroupModifyRequest").is_get


def test_to_bw_dn() -> None:
    assert C.to_bw_dn("+15125550100") == "+1-5125550100"
    assert C.to_bw_dn("512-555-0100") == "+1-5125550100"
    with pytest.raises(ValueError):
        C.to_bw_dn("+44 20 7946 0000")


def test_text_declared_iso_8859_1_is_decoded_by_its_declaration() -> None:
    doc = response_document("s", [response_command("GroupGetResponse22V5", [("groupName", "Café Müller €")])])
    assert doc.startswith('<?xml version="1.0" encoding="ISO-8859-1"?>')
    assert "Café Müller &#8364;" in doc  # beyond Latin-1: a character reference, so the declaration holds
    _, (resp,) = parse_responses(doc)
    assert resp.text("groupName") == "Café Müller €"
    # and the same document as the bytes it declares
    _, (again,) = parse_responses(doc.encode("latin-1"))
    assert again.text("groupName") == "Café Müller €"
    utf8 = '<?xml version="1.0" encoding="UTF-8"?>' + doc.split("?>", 1)[1]
    assert parse_responses(utf8)[1][0].text("groupName") == "Café Müller €"
