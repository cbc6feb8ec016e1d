"""What the billing simulator accepts: search queries and creates, each checked in full.

Every problem in a request is reported at once ("API Logging": "LogiSense's response to bad requests
includes all errors not just the first error found"). Error codes are numbers; the documents show
10400000 (a validation error), 11900000, 13100000 and 2000 without a full table, so validation uses
10400000 and the other codes below are ours, in the same style.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from connectors.billing.simstore import POINTS_PER_CONTACT, SimStore

BAD_REQUEST = 10400000  # the documented validation code
UNAUTHORIZED = 10401000
NOT_FOUND = 10404000
TOO_MANY_REQUESTS = 10429000
SERVER_BUSY = 10503000

MAX_TOP = 10000  # "Search Requests": top "in the range 1 to 10000", default 100
OPERATORS = {"eq": "=", "notEq": "<>", "lt": "<", "ltEq": "<=", "gt": ">", "gtEq": ">=", "contains": "LIKE"}
QUERY_KEYS = {"top", "search", "orderBy", "pagination"}
ROLES = ("Partner", "Enterprise", "Customer")
PARENT_ROLE = {"Enterprise": "Partner", "Customer": "Enterprise"}
CONTACT_TYPES = ("Billing", "Primary", "Technical")
# Account custom fields this system defines ("extensions"); BroadWorksId's API name starts lower-case
# (learn: "Account Field Mapping": "the API name will be created with a lowercase character").
ACCOUNT_EXTENSIONS = ("broadWorksId",)
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")

Errors = list[tuple[int, str]]


class ApiError(Exception):
    def __init__(self, status: int, errors: Errors) -> None:
        super().__init__("; ".join(m for _, m in errors))
        self.status = status
        self.errors = errors


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


@dataclass
class Query:
    where: list[tuple[str, str, Any]] = field(default_factory=list)
    order: list[tuple[str, str]] = field(default_factory=list)
    limit: int = 100
    offset: int = 0


def parse_search(body: dict[str, Any], fields: dict[str, str]) -> Query:
    """A search body as "Search Requests" documents it; ``skip``, unknown operators or fields refused."""
    query = body.get("query")
    if set(body) != {"query"} or not isinstance(query, dict):
        raise ApiError(400, [(BAD_REQUEST, 'a search body is {"query": {...}} and nothing else')])
    errors: Errors = []
    out = Query()
    for key in sorted(set(query) - QUERY_KEYS):
        hint = " (page with pagination.pageNumber/pageSize)" if key == "skip" else ""
        errors.append((BAD_REQUEST, f"unknown query property {key!r}{hint}"))
    top = _int(query.get("top", 100))
    if top is None or not 1 <= top <= MAX_TOP:
        errors.append((BAD_REQUEST, f"top must be a whole number from 1 to {MAX_TOP}"))
    terms = query.get("search") or []
    if not isinstance(terms, list):
        errors.append((BAD_REQUEST, "search must be a list"))
        terms = []
    for term in terms:
        errors.extend(_term(term, fields, out))
    orders = query.get("orderBy") or []
    for o in orders if isinstance(orders, list) else [None]:
        name = o.get("name") if isinstance(o, dict) else None
        direction = str(o.get("direction", "asc")).lower() if isinstance(o, dict) else ""
        if name not in fields or direction not in ("asc", "desc"):
            errors.append((BAD_REQUEST, f"orderBy needs a searchable name and direction asc|desc, got {o!r}"))
        else:
            out.order.append((fields[name], direction.upper()))
    page = query.get("pagination")
    number, size = 1, top or 100
    if page is not None:
        number_v = _int(page.get("pageNumber")) if isinstance(page, dict) else None
        size_v = _int(page.get("pageSize")) if isinstance(page, dict) else None
        if not isinstance(page, dict) or set(page) != {"pageNumber", "pageSize"}:
            errors.append((BAD_REQUEST, "pagination is {pageNumber, pageSize}"))
        elif number_v is None or number_v < 1 or size_v is None or not 1 <= size_v <= MAX_TOP:
            errors.append((BAD_REQUEST, f"pageNumber must be >= 1 and pageSize from 1 to {MAX_TOP}"))
        else:
            number, size = number_v, size_v
    if errors:
        raise ApiError(400, errors)
    # Assumption: top caps how many records one answer holds; pages are pageSize records apart.
    out.limit, out.offset = min(size, top or 100), (number - 1) * size
    return out


def _term(term: Any, fields: dict[str, str], out: Query) -> Errors:
    if not isinstance(term, dict) or not {"name", "operator", "value"} <= set(term):
        return [(BAD_REQUEST, f"a search term is {{name, operator, value}}, got {term!r}")]
    extra = set(term) - {"name", "operator", "value", "condition"}
    name, op, value = term["name"], term["operator"], term["value"]
    errors: Errors = []
    if extra:
        errors.append((BAD_REQUEST, f"unknown search term properties {sorted(extra)}"))
    if term.get("condition", "and") != "and":
        errors.append((BAD_REQUEST, "condition must be 'and'"))
    if name not in fields:
        errors.append((BAD_REQUEST, f"{name!r} is not a searchable field"))
    if op not in OPERATORS:
        errors.append((BAD_REQUEST, f"unknown operator {op!r}: use one of {', '.join(OPERATORS)}"))
    if isinstance(value, (list, dict)) or (op == "contains" and not isinstance(value, str)):
        errors.append((BAD_REQUEST, f"operator {op!r} cannot take the value {value!r}"))
    if not errors:
        out.where.append((fields[name], OPERATORS[op], value))
    return errors


def _fields(body: dict[str, Any], allowed: set[str], resource: str, hints: dict[str, str]) -> Errors:
    return [
        (BAD_REQUEST, hints.get(k, f"{k!r} is not a writable property of {resource}")) for k in sorted(set(body) - allowed)
    ]


def _text(body: dict[str, Any], key: str) -> bool:
    return isinstance(body.get(key), str) and bool(body[key].strip())


class SimRules:
    """Checks one create in full, then applies it to the store (or raises ``ApiError``)."""

    def __init__(self, store: SimStore) -> None:
        self.store = store

    def create(self, resource: str, body: dict[str, Any]) -> dict[str, Any]:
        fn = {
            "Account": self._account,
            "Account/Parent": self._parent,
            "Contact": self._contact,
            "ContactPoint": self._point,
            "Account/Package": self._package,
        }[resource]
        return fn(body)

    def _account(self, b: dict[str, Any]) -> dict[str, Any]:
        hints = {
            "parentAccountId": "parentAccountId is not on Account: link the parent through Account/Parent",
            "ownerId": "ownerId is read-only: there is one Owner per system",
        }
        allowed = {"name", "accountTypeName", "invoicerAccountId", "portalPassword", "extensions"}
        errors = _fields(b, allowed, "Account", hints)
        name, role = b.get("name"), b.get("accountTypeName")
        if not _text(b, "name"):
            errors.append((BAD_REQUEST, "name is required"))
        elif len(str(name)) > 100:
            errors.append((BAD_REQUEST, "name must be at most 100 characters"))
        if role not in ROLES:
            errors.append((BAD_REQUEST, f"accountTypeName must be one of {', '.join(ROLES)}"))
        invoicer = _int(b.get("invoicerAccountId")) if b.get("invoicerAccountId") is not None else None
        if b.get("invoicerAccountId") is not None:
            inv = self.store.account(invoicer) if invoicer is not None else None
            if inv is None:
                errors.append((BAD_REQUEST, f"invoicer account {b.get('invoicerAccountId')!r} does not exist"))
            elif inv["accountTypeName"] == "Partner":
                errors.append((BAD_REQUEST, "a Partner account cannot invoice its customers' accounts"))
        pw = b.get("portalPassword")
        if pw is not None and (not isinstance(pw, str) or not pw):
            errors.append((BAD_REQUEST, "portalPassword must be a non-empty string"))
        ext = b.get("extensions")
        if ext is not None:
            if not isinstance(ext, dict):
                errors.append((BAD_REQUEST, "extensions must be an object of custom fields"))
            else:
                for k, v in ext.items():
                    if k not in ACCOUNT_EXTENSIONS:
                        errors.append((BAD_REQUEST, f"Account has no custom field {k!r}"))
                    elif not isinstance(v, str) or len(v) > 255:
                        errors.append((BAD_REQUEST, f"custom field {k!r} takes text up to 255 characters"))
        if errors:
            raise ApiError(400, errors)
        return self.store.add_account(str(name).strip(), str(role), invoicer, ext, pw)

    def _parent(self, b: dict[str, Any]) -> dict[str, Any]:
        errors = _fields(b, {"accountId", "parentAccountId"}, "Account/Parent", {})
        child_id, parent_id = _int(b.get("accountId")), _int(b.get("parentAccountId"))
        child = self.store.account(child_id) if child_id is not None else None
        parent = self.store.account(parent_id) if parent_id is not None else None
        if child is None:
            errors.append((BAD_REQUEST, f"account {b.get('accountId')!r} does not exist"))
        if parent is None:
            errors.append((BAD_REQUEST, f"parent account {b.get('parentAccountId')!r} does not exist"))
        if child is not None and parent is not None and child_id is not None and parent_id is not None:
            role, prole = child["accountTypeName"], parent["accountTypeName"]
            if PARENT_ROLE.get(role) != prole:
                errors.append((BAD_REQUEST, f"a {role} account cannot be a child of a {prole} account"))
            if self.store.parent_of(child_id) is not None:
                errors.append((BAD_REQUEST, f"account {child_id} already has a parent"))
            inv = int(child["invoicerAccountId"])
            if inv != child_id and inv not in self.store.ancestors(parent_id):
                errors.append((BAD_REQUEST, f"invoicer account {inv} is not in this account's bill group"))
        if errors:
            raise ApiError(400, errors)
        assert child_id is not None and parent_id is not None
        return self.store.link_parent(child_id, parent_id)

    def _contact(self, b: dict[str, Any]) -> dict[str, Any]:
        hints = {k: f"{k} is a contact point (ContactPoint), not a Contact field" for k in
                 ("emails", "email", "address1", "address2", "city", "state", "zip", "country")}
        allowed = {"accountId", "contactTypeName", "firstName", "lastName", "companyName"}
        errors = _fields(b, allowed, "Contact", hints)
        account = _int(b.get("accountId"))
        if account is None or self.store.account(account) is None:
            errors.append((BAD_REQUEST, f"account {b.get('accountId')!r} does not exist"))
        ctype = b.get("contactTypeName")
        if ctype not in CONTACT_TYPES:
            errors.append((BAD_REQUEST, f"contactTypeName must be one of {', '.join(CONTACT_TYPES)}"))
        for f in ("firstName", "lastName"):
            if not _text(b, f):
                errors.append((BAD_REQUEST, f"{f} is required"))
        if errors:
            raise ApiError(400, errors)
        assert account is not None
        return self.store.add_contact(account, str(ctype), b["firstName"], b["lastName"], b.get("companyName"))

    def _point(self, b: dict[str, Any]) -> dict[str, Any]:
        kind = b.get("contactPointTypeName")
        address_keys = {"address1", "address2", "city", "state", "zip", "country"}
        allowed = {"contactId", "contactPointTypeName"} | ({"value"} if kind == "email" else address_keys)
        errors = _fields(b, allowed, f"a {kind!r} ContactPoint", {})
        contact = _int(b.get("contactId"))
        if contact is None or self.store.contact(contact) is None:
            errors.append((BAD_REQUEST, f"contact {b.get('contactId')!r} does not exist"))
        if kind == "email":
            if not isinstance(b.get("value"), str) or not _EMAIL.match(b["value"]):
                errors.append((BAD_REQUEST, f"invalid e-mail address {b.get('value')!r}"))
            elif contact is not None and self.store.emails_of(contact) >= POINTS_PER_CONTACT - 1:
                errors.append((BAD_REQUEST, "too many e-mail addresses on one contact"))
        elif kind == "address":
            errors.extend(self._address(b, contact))
        else:
            errors.append((BAD_REQUEST, "contactPointTypeName must be email or address"))
        if errors:
            raise ApiError(400, errors)
        assert contact is not None
        if kind == "email":
            return self.store.add_email_point(contact, b["value"])
        return self.store.set_address_point(contact, b)

    def _address(self, b: dict[str, Any], contact: int | None) -> Errors:
        errors: Errors = []
        for f in ("address1", "city", "zip"):
            if not _text(b, f):
                errors.append((BAD_REQUEST, f"{f} is required"))
        country = b.get("country") or "US"
        if country not in ("US", "CA"):
            errors.append((BAD_REQUEST, "country must be US or CA"))
        if country == "US" and not (isinstance(b.get("state"), str) and re.fullmatch(r"[A-Z]{2}", b["state"])):
            errors.append((BAD_REQUEST, "state is required for a US address (two letters)"))
        # Assumption: one postal address per contact (ContactPointType carries allowMultiple; not shown for address).
        if contact is not None and self.store.has_address(contact):
            errors.append((BAD_REQUEST, f"contact {contact} already has an address"))
        return errors

    def _package(self, b: dict[str, Any]) -> dict[str, Any]:
        errors = _fields(b, {"accountId", "packageName", "quantity", "effective"}, "Account/Package", {})
        account = _int(b.get("accountId"))
        if account is None or self.store.account(account) is None:
            errors.append((BAD_REQUEST, f"account {b.get('accountId')!r} does not exist"))
        name = b.get("packageName")
        active = self.store.package_active(name) if isinstance(name, str) else None
        if active is None:
            errors.append((BAD_REQUEST, f"package {name!r} does not exist"))
        elif not active:
            errors.append((BAD_REQUEST, f"package {name!r} is not active"))
        qty = _int(b.get("quantity", 1))
        if qty is None or qty < 1:
            errors.append((BAD_REQUEST, "quantity must be a whole number >= 1"))
        eff = b.get("effective")
        if not isinstance(eff, str) or not _DATE.match(eff):
            errors.append((BAD_REQUEST, "effective must be an ISO 8601 date"))
        if errors:
            raise ApiError(400, errors)
        assert account is not None and isinstance(name, str) and qty is not None and isinstance(eff, str)
        return self.store.add_account_package(account, name, qty, eff[:10])
