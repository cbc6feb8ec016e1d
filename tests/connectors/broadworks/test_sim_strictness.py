"""The simulator refuses what the R25 schema and the server's rules refuse, tested as an outside client.

The documents here are written by hand (no builder of ours) and posted with plain httpx, the way any
OCI-P client would; each schema refusal is also checked against the published XSD, so the simulator
refuses exactly what the schema refuses, and accepts ``xsi:nil`` where the schema does.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from xml.sax.saxutils import escape

import httpx
import pytest
from lxml import etree

from connectors.common.simhttp import RunningSim
from tests.connectors.broadworks.conftest import PASSWORD, USER, SimFactory, url_of
from tests.support.ocip_schema import validate_document

XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
ID31 = "e" * 31
SCHEMA_ERROR = "OCI XML Request validation error"
E1 = "<serviceProviderId>e1</serviceProviderId>"
G1 = E1 + "<groupId>g1</groupId>"


def doc(session: str, *commands: str) -> str:
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        f'<BroadsoftDocument protocol="OCI" xmlns="C" xmlns:xsi="{XSI}">'
        f'<sessionId xmlns="">{session}</sessionId>{"".join(commands)}</BroadsoftDocument>'
    )


def cmd(typ: str, body: str) -> str:
    return f'<command xsi:type="{typ}" xmlns="">{body}</command>'


class Outside:
    """A minimal OCI-P client: SOAP envelope by hand, JSESSIONID cookie, signed-password login."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = httpx.Client(timeout=5.0)
        self.session = "outside-session-1"

    def post(self, document: str) -> list[tuple[str, str]]:
        return [(typ, summary) for typ, summary, _ in self.exchange(document)]

    def exchange(self, document: str) -> list[tuple[str, str, etree._Element]]:
        envelope = (
            f'<soapenv:Envelope xmlns:soapenv="{SOAP}"><soapenv:Body>'
            f'<processOCIMessage xmlns="urn:com:broadsoft:webservice"><in0>{escape(document)}</in0></processOCIMessage>'
            "</soapenv:Body></soapenv:Envelope>"
        )
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'}
        r = self.http.post(self.url, content=envelope.encode("utf-8"), headers=headers)  # the jar keeps JSESSIONID
        assert r.status_code == 200, r.text
        inner = etree.fromstring(r.content).findtext(".//{urn:com:broadsoft:webservice}processOCIMessageReturn") or ""
        assert inner.startswith('<?xml version="1.0" encoding="ISO-8859-1"?>')
        root = etree.fromstring(inner.encode("latin-1", "xmlcharrefreplace"))  # bytes as declared
        return [(c.get(f"{{{XSI}}}type", "").rpartition(":")[2], c.findtext("summary") or "", c) for c in root.findall("command")]

    def send(self, *commands: str) -> list[tuple[str, str]]:
        return self.post(doc(self.session, *commands))

    def login(self) -> None:
        ((typ, _, auth),) = self.exchange(doc(self.session, cmd("AuthenticationRequest", f"<userId>{USER}</userId>")))
        assert typ == "AuthenticationResponse"
        sha = hashlib.sha1(PASSWORD.encode()).hexdigest()
        signed = hashlib.md5(f"{auth.findtext('nonce')}:{sha}".encode()).hexdigest()
        ((typ, _),) = self.send(cmd("LoginRequest14sp4", f"<userId>{USER}</userId><signedPassword>{signed}</signedPassword>"))
        assert typ == "LoginResponse14sp4"


@pytest.fixture
def outside(sim: RunningSim) -> Iterator[Outside]:
    o = Outside(url_of(sim))
    o.login()
    yield o
    o.http.close()


SP_ADD = "<isEnterprise>true</isEnterprise><serviceProviderId>{id}</serviceProviderId><defaultDomain>x.example</defaultDomain>"


def _ok(answers: list[tuple[str, str]]) -> None:
    assert [a[0] for a in answers] == ["SuccessResponse"] * len(answers), answers


def _refused(answer: tuple[str, str], words: str = SCHEMA_ERROR) -> None:
    typ, summary = answer
    assert typ == "ErrorResponse" and re.match(r"\[Error \d+\] ", summary) and words in summary, answer


def _schema_rejects(*commands: str) -> None:
    assert validate_document(doc("s", *commands)) != []


def _setup(o: Outside) -> None:
    """Enterprise e1 with Auto Attendant (2) and Authentication (5) authorized, group g1, one number."""
    _ok(
        o.send(
            cmd("ServiceProviderAddRequest13mp2", SP_ADD.format(id="e1")),
            cmd(
                "ServiceProviderServiceModifyAuthorizationListRequest",
                E1 +
                "<groupServiceAuthorization><serviceName>Auto Attendant</serviceName>"
                "<authorizedQuantity><quantity>2</quantity></authorizedQuantity></groupServiceAuthorization>"
                "<userServiceAuthorization><serviceName>Authentication</serviceName>"
                "<authorizedQuantity><quantity>5</quantity></authorizedQuantity></userServiceAuthorization>",
            ),
            cmd(
                "GroupAddRequest",
                G1 +
                "<defaultDomain>x.example</defaultDomain><userLimit>5</userLimit>",
            ),
            cmd("ServiceProviderDnAddListRequest", E1 + "<phoneNumber>+1-5125550100</phoneNumber>"),
        )
    )


def test_a_31_byte_enterprise_id_is_refused(outside: Outside) -> None:
    long_id = cmd("ServiceProviderAddRequest13mp2", SP_ADD.format(id=ID31))
    multibyte = cmd("ServiceProviderAddRequest13mp2", SP_ADD.format(id="é" * 16))  # 16 characters, 32 bytes
    _schema_rejects(long_id)
    a, b = outside.send(long_id, multibyte)
    _refused(a)
    _refused(b)
    _ok(outside.send(cmd("ServiceProviderAddRequest13mp2", SP_ADD.format(id="e" * 30))))


def test_an_unknown_service_name_is_refused(outside: Outside) -> None:
    _setup(outside)
    unknown = cmd(
        "ServiceProviderServiceModifyAuthorizationListRequest",
        E1 + "<groupServiceAuthorization><serviceName>Teleportation</serviceName>"
        "<authorizedQuantity><quantity>1</quantity></authorizedQuantity></groupServiceAuthorization>",
    )
    wrong_kind = cmd(  # a user service where a group service belongs
        "GroupServiceAssignListRequest", G1 + "<serviceName>Authentication</serviceName>"
    )
    _schema_rejects(unknown)
    _schema_rejects(wrong_kind)
    a, b = outside.send(unknown, wrong_kind)
    _refused(a)
    _refused(b)


def test_assigning_a_number_the_provider_does_not_hold_is_refused(outside: Outside) -> None:
    _setup(outside)
    (answer,) = outside.send(cmd("GroupDnAssignListRequest", G1 + "<phoneNumber>+1-5125550199</phoneNumber>"))
    _refused(answer, "not in the service provider")
    _ok(outside.send(cmd("GroupDnAssignListRequest", G1 + "<phoneNumber>+1-5125550100</phoneNumber>")))


def test_assigning_an_unauthorized_service_is_refused(outside: Outside) -> None:
    _setup(outside)
    (answer,) = outside.send(
        cmd("GroupServiceAssignListRequest", G1 + "<serviceName>Auto Attendant</serviceName>")
    )
    _refused(answer, "not authorized")


def test_quantities_above_the_authorization_are_refused(outside: Outside) -> None:
    _setup(outside)
    pack = (
        E1 + "<servicePackName>Seat</servicePackName>"
        "<isAvailableForUse>true</isAvailableForUse><servicePackQuantity>{q}</servicePackQuantity>"
        "<serviceName>Authentication</serviceName>"
    )
    big = cmd("ServiceProviderServicePackAddRequest", pack.format(q="<quantity>6</quantity>"))
    unlimited = cmd("ServiceProviderServicePackAddRequest", pack.format(q="<unlimited>true</unlimited>"))
    a, b = outside.send(big, unlimited)
    _refused(a, "exceeds")
    _refused(b, "exceeds")
    _ok(outside.send(cmd("ServiceProviderServicePackAddRequest", pack.format(q="<quantity>3</quantity>"))))
    auth = (
        G1 +
        "<servicePackAuthorization><servicePackName>Seat</servicePackName>"
        "<authorizedQuantity><quantity>{q}</quantity></authorizedQuantity></servicePackAuthorization>"
    )
    (over,) = outside.send(cmd("GroupServiceModifyAuthorizationListRequest", auth.format(q=4)))
    _refused(over, "exceeds")
    _ok(outside.send(cmd("GroupServiceModifyAuthorizationListRequest", auth.format(q=3))))


def test_sixteen_commands_in_one_document_are_refused(outside: Outside) -> None:
    get = cmd("ServiceProviderGetListRequest", "")
    assert validate_document(doc("s", *[get] * 16)) != []
    (answer,) = outside.send(*[get] * 16)
    _refused(answer)
    assert [a[0] for a in outside.send(*[get] * 15)] == ["ServiceProviderGetListResponse"] * 15


def test_xsi_nil_is_accepted_where_the_schema_allows_it(outside: Outside, sim: RunningSim) -> None:
    _setup(outside)
    assign = G1 + "<phoneNumber>+1-5125550100</phoneNumber>"
    _ok(outside.send(cmd("GroupDnAssignListRequest", assign)))
    modify = G1 + "<callingLineIdPhoneNumber>+1-5125550100</callingLineIdPhoneNumber>"
    _ok(outside.send(cmd("GroupModifyRequest", modify)))
    clear = cmd(
        "GroupModifyRequest",
        G1 + '<callingLineIdPhoneNumber xsi:nil="true"/>',
    )
    assert validate_document(doc("s", clear)) == []
    _ok(outside.send(clear))
    row = sim.app.store.one("SELECT clid_number FROM grp WHERE id='g1'")  # type: ignore[attr-defined]
    assert row is not None and row["clid_number"] is None
    not_nillable = cmd(
        "GroupAddRequest",
        '<serviceProviderId>e1</serviceProviderId><groupId>g2</groupId><defaultDomain xsi:nil="true"/><userLimit>1</userLimit>',
    )
    _schema_rejects(not_nillable)
    (answer,) = outside.send(not_nillable)
    _refused(answer)


def test_the_error_variant_knob(sim_factory: SimFactory) -> None:
    o = Outside(url_of(sim_factory(error_variant="alternate")))
    o.login()
    (answer,) = o.send(cmd("ServiceProviderAddRequest13mp2", SP_ADD.format(id=ID31)))
    _refused(answer)
    assert not answer[1].startswith("[Error 6004]")
    o.http.close()
