"""OCI-P documents: build them, wrap them in SOAP, and parse both strictly and safely.

Wire form (what BroadWorks sends and expects)::

    <BroadsoftDocument protocol="OCI" xmlns="C" xmlns:xsi="...">
      <sessionId xmlns="">...</sessionId>
      <command xsi:type="GroupAddRequest" xmlns="">...</command>
    </BroadsoftDocument>

The document element lives in namespace ``C``; ``sessionId`` and ``command`` are unqualified, hence the
``xmlns=""`` that lxml would not write by itself: the envelope is written as text around commands that
lxml serializes (children are in no namespace, so they need no declarations).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Union
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

OCI_NS = "C"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WS_NS = "urn:com:broadsoft:webservice"
MAX_COMMANDS = 15  # BroadsoftDocument allows 1..15 commands (OCISchemaBASE)

_XSI_TYPE = f"{{{XSI_NS}}}type"

# A field value: text, number, flag, nested fields (complex content), or None (left out).
Value = Union[str, int, bool, "Fields", None]
Fields = Sequence[tuple[str, Value]]


class OcipProtocolError(Exception):
    """The peer sent something that is not a well-formed OCI-P/SOAP message."""


class SoapFault(Exception):
    """A SOAP fault in place of an OCI answer (e.g. ``NO_OCS_CONNECTION``)."""

    def __init__(self, faultcode: str, faultstring: str) -> None:
        super().__init__(f"{faultcode}: {faultstring}")
        self.faultcode = faultcode
        self.faultstring = faultstring


# Entities are never expanded, no DTD is loaded, nothing is fetched: OCI-P needs none of it.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False)


# BroadWorks declares its documents ISO-8859-1 (so does the public ``broadworks-ocip`` client:
# broadworks_ocip/base.py builds with encoding="ISO-8859-1").
WIRE_ENCODING = "ISO-8859-1"
_DECLARED = re.compile(r"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def declared_encoding(text: str) -> str:
    """The encoding an XML text declares (UTF-8 when it declares none, as XML says)."""
    m = _DECLARED.match(text.lstrip())
    return m.group(1) if m else "UTF-8"


def _as_declared_bytes(text: str) -> bytes:
    """A document that travelled as text (inside SOAP) encoded back the way it declares itself.

    The parser decodes bytes by the declaration; handing it UTF-8 bytes of a document that says
    ISO-8859-1 turns "Café" into "CafÃ©". Characters the declared encoding cannot hold become
    character references, which mean the same to the parser.
    """
    enc = declared_encoding(text)
    try:
        return text.lstrip().encode(enc, errors="xmlcharrefreplace")
    except LookupError as exc:
        raise OcipProtocolError(f"unknown encoding {enc!r} declared") from exc


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse untrusted XML; whitespace before the declaration is tolerated, DOCTYPEs are refused."""
    raw = _as_declared_bytes(data) if isinstance(data, str) else data.lstrip()
    try:
        tree = etree.fromstring(raw, _PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        raise OcipProtocolError(f"malformed XML: {exc}") from exc
    if tree.docinfo.doctype:
        raise OcipProtocolError("DOCTYPE is not allowed in OCI-P messages")
    return tree.getroot()


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class Command:
    """One request: its xsi:type and its child elements in schema order."""

    type: str
    fields: Fields = ()

    @property
    def is_get(self) -> bool:
        return re.search(r"Get\w*Request", self.type) is not None


def _fill(parent: etree._Element, fields: Fields) -> None:
    for name, value in fields:
        if value is None:
            continue
        el = etree.SubElement(parent, name)
        if isinstance(value, bool):
            el.text = "true" if value else "false"
        elif isinstance(value, int | str):
            el.text = str(value)
        else:
            _fill(el, value)


def command_body(cmd: Command) -> str:
    holder = etree.Element("command")
    _fill(holder, cmd.fields)
    return "".join(etree.tostring(child, encoding="unicode") for child in holder)


def build_document(session_id: str, commands: Sequence[Command]) -> str:
    """The BroadsoftDocument text for up to 15 commands."""
    if not 1 <= len(commands) <= MAX_COMMANDS:
        raise ValueError(f"a document holds 1..{MAX_COMMANDS} commands, got {len(commands)}")
    parts = [
        f'<?xml version="1.0" encoding="{WIRE_ENCODING}"?>',
        f'<BroadsoftDocument protocol="OCI" xmlns="{OCI_NS}" xmlns:xsi="{XSI_NS}">',
        f'<sessionId xmlns="">{escape(session_id)}</sessionId>',
    ]
    for cmd in commands:
        parts.append(f'<command xsi:type={quoteattr(cmd.type)} xmlns="">{command_body(cmd)}</command>')
    parts.append("</BroadsoftDocument>")
    return latin1_safe("".join(parts))


def latin1_safe(text: str) -> str:
    """Characters beyond ISO-8859-1 as character references, so the declaration holds whatever
    the peer does with the text (keep it as text, or encode it as it declares)."""
    return text.encode("latin-1", errors="xmlcharrefreplace").decode("latin-1")


def chunks(commands: Sequence[Command], size: int = MAX_COMMANDS) -> Iterable[Sequence[Command]]:
    for i in range(0, len(commands), size):
        yield commands[i : i + size]


# ---------------------------------------------------------------- responses

_ERROR_CODE = re.compile(r"\[Error (\d+)\]")


@dataclass
class OciResponse:
    """One command of an answer: its type (local name) and element, or the error it carries."""

    type: str
    element: etree._Element
    error_code: str | None = None
    summary: str = ""
    summary_english: str = ""
    detail: str | None = None

    @property
    def is_error(self) -> bool:
        return self.type == "ErrorResponse"

    def text(self, name: str, default: str | None = None) -> str | None:
        el = self.element.find(name)
        return default if el is None or el.text is None else el.text

    def texts(self, name: str) -> list[str]:
        return [el.text or "" for el in self.element.findall(name)]

    def table(self, name: str) -> list[dict[str, str]]:
        """An OCITable child as rows keyed by column heading."""
        el = self.element.find(name)
        if el is None:
            return []
        heads = [h.text or "" for h in el.findall("colHeading")]
        return [dict(zip(heads, [c.text or "" for c in row.findall("col")], strict=False)) for row in el.findall("row")]


def xsi_type(el: etree._Element) -> str:
    """Local name of an element's xsi:type (``c:ErrorResponse`` -> ``ErrorResponse``)."""
    value = el.get(_XSI_TYPE)
    if not value:
        raise OcipProtocolError("command without xsi:type")
    prefix, _, local = value.rpartition(":")
    if prefix and prefix not in el.nsmap:
        raise OcipProtocolError(f"unknown prefix in xsi:type {value!r}")
    return local


def _response(el: etree._Element) -> OciResponse:
    typ = xsi_type(el)
    resp = OciResponse(typ, el)
    if resp.is_error:
        resp.summary = resp.text("summary") or ""
        resp.summary_english = resp.text("summaryEnglish") or resp.summary
        resp.detail = resp.text("detail")
        code = resp.text("errorCode")
        if code is None:
            m = _ERROR_CODE.search(resp.summary) or _ERROR_CODE.search(resp.summary_english)
            code = m.group(1) if m else None
        resp.error_code = code
    return resp


@dataclass
class ParsedDocument:
    session_id: str
    commands: list[etree._Element] = field(default_factory=list)


def parse_document(text: bytes | str) -> ParsedDocument:
    root = parse_xml(text)
    if root.tag != f"{{{OCI_NS}}}BroadsoftDocument":
        raise OcipProtocolError(f"expected BroadsoftDocument, got {root.tag!r}")
    if root.get("protocol") != "OCI":
        raise OcipProtocolError("BroadsoftDocument protocol must be OCI")
    sid = root.find("sessionId")
    if sid is None:
        raise OcipProtocolError("BroadsoftDocument without sessionId")
    cmds = root.findall("command")
    extra = [c.tag for c in root if c.tag not in ("sessionId", "command", "trackingId")]
    if extra or not cmds:
        raise OcipProtocolError(f"bad BroadsoftDocument content: {extra or 'no command'}")
    return ParsedDocument(sid.text or "", cmds)


def parse_responses(text: bytes | str) -> tuple[str, list[OciResponse]]:
    doc = parse_document(text)
    return doc.session_id, [_response(c) for c in doc.commands]


# ---------------------------------------------------------------- SOAP


def soap_request(document: str) -> bytes:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    call = etree.SubElement(body, f"{{{WS_NS}}}processOCIMessage", nsmap={None: WS_NS})
    etree.SubElement(call, f"{{{WS_NS}}}in0").text = document  # lxml escapes it: the document travels as text
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def soap_response(document: str) -> bytes:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    ret = etree.SubElement(body, f"{{{WS_NS}}}processOCIMessageResponse", nsmap={None: WS_NS})
    etree.SubElement(ret, f"{{{WS_NS}}}processOCIMessageReturn").text = document
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def soap_fault(faultstring: str, faultcode: str = "soapenv:Server") -> bytes:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(fault, "faultcode").text = faultcode
    etree.SubElement(fault, "faultstring").text = faultstring
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def _soap_payload(data: bytes | str, operation: str, part: str) -> str:
    root = parse_xml(data)
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise OcipProtocolError(f"expected a SOAP Envelope, got {root.tag!r}")
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None or len(body) != 1:
        raise OcipProtocolError("SOAP Body must hold exactly one element")
    (call,) = body
    if call.tag == f"{{{SOAP_NS}}}Fault":
        raise SoapFault(call.findtext("faultcode") or "", call.findtext("faultstring") or "")
    if etree.QName(call).localname != operation or len(call) != 1:
        raise OcipProtocolError(f"expected {operation} with one part")
    (arg,) = call
    if etree.QName(arg).localname != part and not part.startswith("*"):
        raise OcipProtocolError(f"unexpected part {arg.tag!r}")
    return arg.text or ""


def unwrap_request(data: bytes | str) -> str:
    """The BroadsoftDocument text inside a processOCIMessage call (server side)."""
    return _soap_payload(data, "processOCIMessage", "*any")


def unwrap_response(data: bytes | str) -> str:
    """The BroadsoftDocument text of an answer; raises SoapFault for a fault (client side)."""
    return _soap_payload(data, "processOCIMessageResponse", "processOCIMessageReturn")


# ---------------------------------------------------------------- server side (the simulator)


def response_command(typ: str, fields: Fields = ()) -> str:
    return f'<command echo="" xsi:type={quoteattr(typ)} xmlns="">{command_body(Command(typ, fields))}</command>'


def success_command() -> str:
    return f'<command echo="" xsi:type="c:SuccessResponse" xmlns:c="{OCI_NS}" xmlns=""/>'


def error_command(code: str, summary: str, detail: str | None = None, *, with_code: bool = True) -> str:
    """An ErrorResponse: the code always leads ``summary`` as ``[Error NNNN]``; the ``errorCode``
    element is optional in the schema (OCISchemaBASE ErrorResponse) and left out when asked."""
    text = f"[Error {code}] {summary}"
    fields: list[tuple[str, Value]] = [
        ("errorCode", code if with_code else None),
        ("summary", text),
        ("summaryEnglish", text),
        ("detail", detail),
    ]
    body = command_body(Command("ErrorResponse", fields))
    return f'<command type="Error" echo="" xsi:type="c:ErrorResponse" xmlns:c="{OCI_NS}" xmlns="">{body}</command>'


def response_document(session_id: str, commands: Sequence[str]) -> str:
    """An answer as BroadWorks writes it: declared ISO-8859-1."""
    return latin1_safe(
        "".join(
            [
                f'<?xml version="1.0" encoding="{WIRE_ENCODING}"?>',
            f'<BroadsoftDocument protocol="OCI" xmlns="{OCI_NS}" xmlns:xsi="{XSI_NS}">',
                f'<sessionId xmlns="">{escape(session_id)}</sessionId>',
                *commands,
                "</BroadsoftDocument>",
            ]
        )
    )


def table_fields(headings: Sequence[str], rows: Iterable[Sequence[str]]) -> Fields:
    """An OCITable as fields."""
    out: list[tuple[str, Value]] = [("colHeading", h) for h in headings]
    out.extend(("row", [("col", c) for c in row]) for row in rows)
    return out
