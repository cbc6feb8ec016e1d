"""The order contract every connector receives: one customer, fully planned.

``transforms.plan`` produces these as plain dicts (stored as JSON in the ``plans`` table); the flows
turn them into ``CustomerOrder`` with ``CustomerOrder.from_dict``. Connectors never see workbooks.
The portal password is never part of the dict: the flow sets ``portal_password`` in memory only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

BILL_ENTERPRISE = "Multi-Group - Bill Enterprise"
BILL_GROUP = "Multi-Group - Bill Group"

# The packages billing carries for every customer beside what was ordered: "BroadWorks Enterprise" on
# the enterprise account, "BroadWorks Group" and "RetailRates" on the customer account (DESIGN §6).
ENTERPRISE_PACKAGE = "BroadWorks Enterprise"
CUSTOMER_PACKAGES = ("BroadWorks Group", "RetailRates")
AUTO_PACKAGES = (ENTERPRISE_PACKAGE, *CUSTOMER_PACKAGES)


# Order kinds (issue 19, DESIGN §3): one Customers row is one order of one of these kinds.
NEW_CUSTOMER = "new_customer"  # an enterprise + group 1 + two billing accounts
NEW_GROUP = "new_group"  # another group (location) under an existing enterprise + one customer account
ADD_SERVICES = "add_services"  # packages (and DIDs) added to an existing group and its customer account
ORDER_KINDS = (NEW_CUSTOMER, NEW_GROUP, ADD_SERVICES)
ORDER_LABELS = {NEW_CUSTOMER: "New Customer", NEW_GROUP: "New Group", ADD_SERVICES: "Add Services"}


def order_label(kind: object) -> str:
    """How reports name an order kind (blank or unknown: a new customer, as before issue 19)."""
    return ORDER_LABELS.get(str(kind or NEW_CUSTOMER), ORDER_LABELS[NEW_CUSTOMER])


def order_key(account_key: str, kind: str, fingerprint: str) -> str:
    """The identity of one ORDER (ledger, re-send detection): a new customer is its account key, a
    follow-on order is ``<account key>#<kind>#<fingerprint, 8 hex>`` (many follow-ons per account)."""
    if kind == NEW_CUSTOMER:
        return account_key
    return f"{account_key}#{kind}#{fingerprint[:8]}"


def enterprise_account_name(account: str) -> str:
    """The billing owner account of a customer: "<Account Name> Enterprise" (DESIGN §6)."""
    return f"{account} Enterprise"

StepStatus = Literal["pending", "in_doubt", "done", "failed"]


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str  # two-letter US state or Canadian province
    zip: str  # text: 5 or 9 digits (US, "12345-6789"), "A1A 1A1" (CA)
    country: str = "US"  # US | CA
    line2: str = ""


@dataclass(frozen=True)
class Location:
    """An E911 location: a physical address and the main number emergency services see."""

    name: str
    address: Address
    main_number: str  # E.164, +1NXXNXXXXXX


@dataclass(frozen=True)
class BroadWorksService:
    kind: Literal["user", "group"]
    name: str  # R25 service name (closed enumeration of the schema)


@dataclass(frozen=True)
class PackageLine:
    order_type: str  # canonical catalog spelling
    package: str  # canonical catalog spelling (the seed's, typos included)
    quantity: int
    billing_package: str  # LogiSense package name
    seat: bool
    dids_included: int  # per unit
    mrc: float  # per unit, sample rate card
    nrc: float
    services: tuple[BroadWorksService, ...] = ()
    notes: str = ""
    effective_date: str = ""  # ISO date the billing package starts (blank: the order's billing start)


@dataclass(frozen=True)
class Number:
    """A directory number for the customer's group: new (reserved from inventory) or its own."""

    number: str  # E.164, +1NXXNXXXXXX
    source: Literal["inventory", "own"] = "inventory"
    purpose: Literal["Voice", "Fax"] = "Voice"
    fax_email: str = ""


@dataclass(frozen=True)
class FollowUp:
    """Work for a person: a ticket (DID backorder, LNP order, toll free, trunking, pending E911)."""

    kind: str  # did_backorder | lnp_order | toll_free_new | toll_free_port | resporg_change | trunking | pending_e911
    detail: str  # stable key part of external_id, e.g. "512-555" for a backorder
    subject: str
    body: str


@dataclass(frozen=True)
class CustomerOrder:
    partner_id: str
    partner_name: str
    partner_email: str  # the partner's notification address (admin credentials, notices)
    account: str  # Account Name as the partner wrote it (trimmed)
    company: str
    enterprise_id: str  # BroadWorks service provider id (<= 30 bytes, deterministic)
    group_id: str  # BroadWorks group 1 id
    first_name: str
    last_name: str
    address: Address  # billing / invoice address
    emails: tuple[str, ...]  # invoice e-mail address(es)
    default_domain: str
    time_zone: str  # IANA name, e.g. America/Chicago
    billing_type: str  # BILL_ENTERPRISE | BILL_GROUP
    billing_start: str  # ISO date YYYY-MM-DD
    packages: tuple[PackageLine, ...]
    numbers: tuple[Number, ...] = ()
    e911: tuple[Location, ...] = ()  # the first is the primary (group address)
    main_number: str = ""  # E.164; becomes the group's calling line ID once assigned
    user_limit: int = 1  # seats ordered, at least 1
    admin_user_id: str = ""  # BroadWorks customer admin id (no domain)
    follow_ups: tuple[FollowUp, ...] = ()
    notes: str = ""
    batch_id: str = ""
    # Follow-on orders (issue 19). ``enterprise_account``: the Account Name of the New Customer that owns
    # the enterprise (its billing "<Name> Enterprise" account); the account itself for a new customer.
    order_kind: str = NEW_CUSTOMER
    enterprise_account: str = ""
    create_admin: bool = False
    existing_account: str = ""  # Add Services: the group's Account Name as first onboarded (its billing name)
    # What BroadWorks must hold once this order is in, as cumulative package lines: every order of this
    # group so far (``group_packages``) and of every group of the enterprise (``enterprise_packages``).
    # Authorizations are raised to cover them, never lowered. Empty for a new customer: its own lines.
    group_packages: tuple[PackageLine, ...] = ()
    enterprise_packages: tuple[PackageLine, ...] = ()
    portal_password: str = field(default="", repr=False, compare=False)

    @property
    def seats(self) -> int:
        return sum(p.quantity for p in self.packages if p.seat)

    @property
    def follow_on(self) -> bool:
        return self.order_kind != NEW_CUSTOMER

    @property
    def owner_account(self) -> str:
        """The Account Name the enterprise (and its billing owner account) was made for."""
        return self.enterprise_account or self.account

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the portal password is left out on purpose."""
        d = asdict(self)
        d.pop("portal_password", None)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, portal_password: str = "") -> CustomerOrder:
        def addr(a: Mapping[str, Any]) -> Address:
            return Address(**a)

        def lines(items: Any) -> tuple[PackageLine, ...]:
            return tuple(
                PackageLine(**{**p, "services": tuple(BroadWorksService(**s) for s in p.get("services", ()))})
                for p in items or ()
            )

        return cls(
            **{
                **{k: v for k, v in d.items() if k not in _NESTED and k != "portal_password"},
                "address": addr(d["address"]),
                "emails": tuple(d["emails"]),
                "packages": lines(d["packages"]),
                "group_packages": lines(d.get("group_packages")),
                "enterprise_packages": lines(d.get("enterprise_packages")),
                "numbers": tuple(Number(**n) for n in d.get("numbers", ())),
                "e911": tuple(
                    Location(name=e["name"], address=addr(e["address"]), main_number=e["main_number"])
                    for e in d.get("e911", ())
                ),
                "follow_ups": tuple(FollowUp(**f) for f in d.get("follow_ups", ())),
                "portal_password": portal_password,
            }
        )


_NESTED = {"address", "emails", "packages", "numbers", "e911", "follow_ups", "group_packages", "enterprise_packages"}


@dataclass(frozen=True)
class StepEvent:
    """One ledger row update (DESIGN §5 ``ledger``)."""

    account: str
    system: str  # broadworks | billing | tickets | mail
    step: str
    status: StepStatus
    external_id: str | None = None
    error: str | None = None
    attempts: int = 1


class StepRecorder(Protocol):
    """Where a connector reports each step; the flow's single DuckDB writer persists them."""

    def __call__(self, event: StepEvent) -> None: ...


@dataclass
class SystemResult:
    """What one connector did for one customer."""

    account: str
    system: str
    status: Literal["done", "failed"]
    external_ids: dict[str, str] = field(default_factory=dict)
    error: str | None = None


class Provisioner(Protocol):
    """One per external system. ``done`` maps steps the ledger already holds as done to their
    external id, so a resumed run skips them; every other step looks up before it creates."""

    system: str

    def provision(
        self, order: CustomerOrder, done: Mapping[str, str | None], record: StepRecorder
    ) -> SystemResult: ...
