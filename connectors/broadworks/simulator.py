"""A BroadWorks Application Server stand-in that speaks OCI-P over SOAP on loopback.

It checks login (nonce + signed password) and the session (JSESSIONID cookie + OCI session id), the
element order and required elements of every request it knows, keeps its state in SQLite, answers
the Gets we use and rejects duplicate adds with an ErrorResponse like the real server. Faults and
latency come from ``connectors.common.simhttp``; a transient fault is the SOAP fault the web tier
returns when it cannot reach the application server (``NO_OCS_CONNECTION``).
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.broadworks import sim_errors as E
from connectors.broadworks.client import NO_OCS_CONNECTION, signed_password
from connectors.broadworks.ocip import (
    Fields,
    OcipProtocolError,
    parse_document,
    response_command,
    response_document,
    soap_fault,
    soap_response,
    success_command,
    unwrap_request,
    xsi_type,
)
from connectors.broadworks.sim_consolidated import CONSOLIDATED_WRITES
from connectors.broadworks.sim_gets import GETS
from connectors.broadworks.sim_handlers import ADDS, WRITES, Duplicate, SimError
from connectors.broadworks.sim_schema import Invalid, check_document_size, validate_command
from connectors.broadworks.sim_store import Store
from connectors.common.simhttp import Journal, Request, Response, SimApp

ENDPOINT = "/webservice/services/ProvisioningService"
_LOGINS = {"AuthenticationRequest", "LoginRequest14sp4", "LoginRequest22V5"}
HANDLERS = {**WRITES, **CONSOLIDATED_WRITES, **GETS}


@dataclass
class _Session:
    oci_session: str = ""
    nonce: str | None = None
    logged_in: bool = False


class BroadWorksSim(SimApp):
    """``error_variant``: "standard", or "alternate" (no errorCode element, other error numbers,
    other wording for a lost session). ``session_refusal``: how a request on a lost session is
    refused: None (an ErrorResponse in the variant's words), other words for that ErrorResponse,
    or "fault" (a SOAP Fault, as a web tier that lost the login answers)."""

    def __init__(
        self,
        state_path: Path,
        user: str,
        password: str,
        *,
        journal: Path | None = None,
        error_variant: str = "standard",
        session_refusal: str | None = None,
    ) -> None:
        self.errors = E.ErrorStyle(error_variant)
        self.session_refusal = session_refusal
        self.store = Store(state_path)
        self.user = user
        self._password = password
        self.journal = Journal(journal)
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        self._local = threading.local()
        self.counters: Counter[str] = Counter()

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------ counters for tests and demos

    def accepted_adds(self, command_type: str | None = None) -> int:
        return self._count("accepted:", command_type)

    def rejected_duplicates(self, command_type: str | None = None) -> int:
        return self._count("duplicate:", command_type)

    def _count(self, prefix: str, typ: str | None) -> int:
        with self._lock:
            return sum(v for k, v in self.counters.items() if k.startswith(prefix) and (typ is None or k == prefix + typ))

    def expire_sessions(self) -> None:
        """Forget every login, as a server restart or a session time-out would."""
        with self._lock:
            self._sessions.clear()

    # ------------------------------------------------------------ SimApp

    def transient_fault(self, request: Request) -> Response:
        self._local.entry = (self._request_doc(request), None)
        return Response(500, soap_fault(NO_OCS_CONNECTION), content_type="text/xml; charset=utf-8")

    def journal_entry(self, request: Request, response: Response | None) -> tuple[Any, Any] | None:
        entry = getattr(self._local, "entry", None)
        self._local.entry = None
        return entry

    def logouts(self) -> int:
        return self._count("logout", None)

    def handle(self, request: Request) -> Response:
        self._local.entry = None
        if request.path != ENDPOINT:
            return Response(404, b"not found", content_type="text/plain")
        if request.method != "POST":
            return Response(405, b"method not allowed", content_type="text/plain")
        try:
            doc_text = unwrap_request(request.body)
        except OcipProtocolError as exc:
            return Response(500, soap_fault(str(exc), "soapenv:Client"), content_type="text/xml; charset=utf-8")
        cookie, headers = self._cookie(request)
        answer = self._process(doc_text, cookie)
        self._local.entry = (doc_text, answer)
        if answer is None:  # a lost session, refused the way a web tier does: a SOAP Fault
            return Response(500, soap_fault("Session is not valid: not logged in"), content_type="text/xml; charset=utf-8")
        return Response(200, soap_response(answer), content_type="text/xml; charset=utf-8", headers=headers)

    # ------------------------------------------------------------ internals

    @staticmethod
    def _request_doc(request: Request) -> str | None:
        try:
            return unwrap_request(request.body)
        except OcipProtocolError:
            return None

    def _cookie(self, request: Request) -> tuple[str, dict[str, str]]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(request.headers.get("cookie", ""))
        except Exception:
            jar = SimpleCookie()
        morsel = jar.get("JSESSIONID")
        with self._lock:
            if morsel is not None and morsel.value in self._sessions:
                return morsel.value, {}
            cookie = secrets.token_hex(16).upper()
            self._sessions[cookie] = _Session()
        return cookie, {"Set-Cookie": f"JSESSIONID={cookie}; Path=/; HttpOnly"}

    def _process(self, doc_text: str, cookie: str) -> str | None:
        err = self.errors
        try:
            doc = parse_document(doc_text)
            check_document_size(len(doc.commands))
        except (OcipProtocolError, Invalid) as exc:
            return response_document("", [err.command(E.ERR_SCHEMA, E.SCHEMA_SUMMARY, str(exc))])
        with self._lock:
            sess = self._sessions.setdefault(cookie, _Session())
        out: list[str] = []
        for el in doc.commands:
            try:
                typ = xsi_type(el)
            except OcipProtocolError as exc:
                out.append(err.command(E.ERR_SCHEMA, E.SCHEMA_SUMMARY, str(exc)))
                continue
            if typ in _LOGINS:
                out.append(self._login(typ, el, sess, doc.session_id))
                continue
            if not sess.logged_in or sess.oci_session != doc.session_id:
                # Refused as a whole before anything runs, like the real server.
                if self.session_refusal == "fault":
                    return None
                words = self.session_refusal or err.session_summary()
                return response_document(doc.session_id, [err.command(E.ERR_SESSION, words)])
            if typ == "LogoutRequest":
                out.append(self._logout(el, sess))
                continue
            out.append(self._run(typ, el))
        return response_document(doc.session_id, out)

    def _logout(self, el: etree._Element, sess: _Session) -> str:
        try:
            validate_command("LogoutRequest", el)
        except Invalid as exc:
            return self.errors.command(E.ERR_SCHEMA, E.SCHEMA_SUMMARY, str(exc))
        sess.logged_in = False
        sess.oci_session = ""
        self._bump("logout")
        return success_command()

    def _run(self, typ: str, el: etree._Element) -> str:
        err = self.errors
        handler = HANDLERS.get(typ)
        if handler is None:
            return err.command(E.ERR_SCHEMA, E.SCHEMA_SUMMARY, f"Request not supported: {typ}")
        try:
            validate_command(typ, el)
            answer = handler(self.store, el)
        except Invalid as exc:
            return err.command(E.ERR_SCHEMA, E.SCHEMA_SUMMARY, str(exc))
        except Duplicate as exc:
            self._bump(f"duplicate:{typ}")
            return err.command(exc.code, exc.summary, exc.detail)
        except SimError as exc:
            return err.command(exc.code, exc.summary, exc.detail)
        if typ in ADDS:
            self._bump(f"accepted:{typ}")
        return answer

    def _bump(self, key: str) -> None:
        with self._lock:
            self.counters[key] += 1

    def _login(self, typ: str, el: etree._Element, sess: _Session, session_id: str) -> str:
        try:
            validate_command(typ, el)
        except Invalid as exc:
            return self.errors.command(E.ERR_SCHEMA, E.SCHEMA_SUMMARY, str(exc))
        user = " ".join((el.findtext("userId") or "").split())
        if typ == "AuthenticationRequest":
            if user != self.user:
                return self.errors.command(E.ERR_LOGIN_FAILED, "Invalid password")
            sess.nonce = str(secrets.randbelow(10**13))
            sess.oci_session = session_id
            sess.logged_in = False
            return response_command(
                "AuthenticationResponse", [("userId", user), ("nonce", sess.nonce), ("passwordAlgorithm", "MD5")]
            )
        if typ == "LoginRequest14sp4":
            signed = el.findtext("signedPassword") or ""
            ok = (
                user == self.user
                and sess.nonce is not None
                and sess.oci_session == session_id
                and secrets.compare_digest(signed, signed_password(sess.nonce, self._password))
            )
            sess.nonce = None  # a nonce is good for one try
        else:
            ok = user == self.user and secrets.compare_digest(el.findtext("password") or "", self._password)
            sess.oci_session = session_id
        if not ok:
            sess.logged_in = False
            return self.errors.command(E.ERR_LOGIN_FAILED, "Invalid password")
        sess.logged_in = True
        fields: Fields = [
            ("loginType", "System"),
            ("locale", "en_US"),
            ("encoding", "ISO-8859-1"),
            ("isEnterprise", False),
            ("userDomain", "sim.invalid"),
        ]
        return response_command("LoginResponse14sp4" if typ == "LoginRequest14sp4" else "LoginResponse22V5", fields)
