"""Order -> plans: one JSON-ready dict per valid customer, in the shape of
``core.order.CustomerOrder.to_dict()`` (transforms may not import connectors, so the
shape is the contract; a test round-trips it through ``CustomerOrder.from_dict``).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.order import NEW_CUSTOMER, ORDER_KINDS
from data.catalog import Catalog
from data.partners import Partner
from transforms.follow_on import FollowOnBase, finish_plan
from transforms.follow_ups import CustomerRows
from transforms.follow_ups import follow_ups as build_follow_ups
from transforms.order_kinds import yes

MAX_ID_BYTES = 30


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "x"


def derive_id(*parts: str, suffix: str = "") -> str:
    """Deterministic BroadWorks id, at most 30 bytes; truncated ids get a short hash suffix."""
    base = "_".join(_slug(p) for p in parts) + suffix
    if len(base.encode()) <= MAX_ID_BYTES:
        return base
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:6]
    keep = MAX_ID_BYTES - len(suffix) - 7
    return base[:keep].rstrip("_") + "_" + digest + suffix


def enterprise_id(partner_id: str, account: str) -> str:
    return derive_id(partner_id, account)


def group_id(partner_id: str, account: str) -> str:
    return derive_id(partner_id, account, suffix="_G1")


def admin_user_id(partner_id: str, account: str) -> str:
    return derive_id(partner_id, account, suffix="_admin")


ID_KINDS = ("enterprise_id", "group_id", "admin_user_id")


def customer_ids(partner_id: str, account: str, key: str, attempt: int = 0) -> dict[str, str]:
    """The three BroadWorks ids of one customer; ``attempt`` > 0 adds a deterministic suffix.

    The suffix hashes partner + account key (not the name as written), so "Acme Dental." keeps the
    same ids whichever file or batch it arrives in, and differs from "Acme Dental" whose slug it shares.
    Enterprise, group and admin share the suffix: they belong to one customer.
    """
    tag = ""
    if attempt:
        tag = "_" + hashlib.sha256(f"{partner_id}\0{key}\0{attempt}".encode()).hexdigest()[:4]
    return {
        "enterprise_id": derive_id(partner_id, account, suffix=tag),
        "group_id": derive_id(partner_id, account, suffix=tag + "_G1"),
        "admin_user_id": derive_id(partner_id, account, suffix=tag + "_admin"),
    }


def group_ids(partner_id: str, enterprise_account: str, account: str, key: str, attempt: int = 0,
              admin: bool = False) -> dict[str, str]:
    """A New Group's group id (and admin id when it gets one), derived from partner, enterprise account and
    its own account; ``attempt`` > 0 adds the same kind of deterministic suffix as ``customer_ids``."""
    tag = ""
    if attempt:
        tag = "_" + hashlib.sha256(f"{partner_id}\0{key}\0group\0{attempt}".encode()).hexdigest()[:4]
    return {"group_id": derive_id(partner_id, enterprise_account, account, suffix=tag + "_G"),
            "admin_user_id": derive_id(partner_id, enterprise_account, account, suffix=tag + "_admin") if admin else ""}


def likely_ids(partner_id: str, customers: Sequence[tuple[str, str]], attempts: int = 3) -> list[str]:
    """The enterprise and admin ids ``assign_customer_ids`` will most likely look at (to check them at once)."""
    out = []
    for key, account in customers:
        for n in range(attempts):
            ids = customer_ids(partner_id, account, key, n)
            out += [ids["enterprise_id"], ids["admin_user_id"]]
    return out


def assign_customer_ids(
    partner_id: str,
    customers: Sequence[tuple[str, str]],
    own: Mapping[str, Mapping[str, str]],
    is_taken: Callable[[str], bool],
    give: Callable[[str], None],
) -> dict[str, dict[str, str]]:
    """Ids for ``customers`` ((account key, account name) in file order), unique per customer.

    ``own``: ids an earlier staging already gave a key of this partner (the same customer: kept, so a
    re-run or a resumed batch never gets new ids); ``is_taken``: was an enterprise or admin id ever
    claimed by anyone (or handed out here: ``give`` records each id handed out). A customer whose ids
    collide with a claimed one (names that slug alike, "Acme Dental" / "Acme-Dental") tries suffixed
    ids until both are free: never a merge into someone else's enterprise.
    """
    out: dict[str, dict[str, str]] = {}
    for key, account in customers:
        mine = own.get(key)
        if mine and all(mine.get(k) for k in ID_KINDS):
            out[key] = {k: mine[k] for k in ID_KINDS}
            continue
        attempt = 0
        while True:
            ids = customer_ids(partner_id, account, key, attempt)
            if not is_taken(ids["enterprise_id"]) and not is_taken(ids["admin_user_id"]):
                break
            attempt += 1
        give(ids["enterprise_id"])
        give(ids["admin_user_id"])
        out[key] = ids
    return out


@dataclass
class NumberGrant:
    """Numbers given to one customer: reserved from inventory or (migration) its own."""

    number: str
    source: str = "inventory"
    purpose: str = "Voice"
    fax_email: str = ""


@dataclass(frozen=True)
class DidRequest:
    """One DIDs row, read the way validation counts it: requested = max(Quantity, specific numbers)."""

    account_key: str
    row: int
    npa: str
    nxx: str
    quantity: int
    specific: tuple[str, ...]
    purpose: str
    fax_email: str


def did_requests(dids: pd.DataFrame | None, keys: set[str]) -> list[DidRequest]:
    """The DIDs rows of the customers ``keys``, in file order."""
    if dids is None or dids.empty:
        return []
    out = []
    for rec in dids[dids["_account_key"].isin(keys)].to_dict("records"):
        raw = rec.get("numbers") or ""
        specific = tuple(raw) if isinstance(raw, list | tuple) else tuple(
            n.strip() for n in str(raw).replace(",", ";").split(";") if n.strip()
        )
        qty_text = str(rec.get("quantity") or "").strip()
        qty = max(int(qty_text) if qty_text.isdigit() else 0, len(specific))
        out.append(DidRequest(str(rec["_account_key"]), int(rec["_row"]), str(rec["npa"]), str(rec["nxx"]), qty,
                              specific, str(rec.get("purpose") or "Voice") or "Voice", str(rec.get("fax_email") or "")))
    return out


def own_number_grants(numbers: pd.DataFrame | None, keys: set[str] | None = None) -> dict[str, list[NumberGrant]]:
    """Migration: the customers' own numbers (Numbers sheet), never taken from inventory nor counted."""
    grants: dict[str, list[NumberGrant]] = defaultdict(list)
    if numbers is None or numbers.empty:
        return grants
    sub = numbers if keys is None else numbers[numbers["_account_key"].isin(keys)]
    for k, n, purpose in zip(sub["_account_key"], sub["number"], sub["purpose"], strict=True):
        grants[str(k)].append(NumberGrant(str(n), "own", str(purpose or "Voice") or "Voice"))
    return grants


@dataclass
class PlanInputs:
    partner: Partner
    catalog: Catalog
    batch_id: str
    numbers: Mapping[str, Sequence[NumberGrant]] = field(default_factory=dict)  # by account key
    backorders: Mapping[str, Sequence[tuple[str, str, int]]] = field(default_factory=dict)  # (npa, nxx, qty)
    pending_e911: frozenset[str] = frozenset()
    cutover: str | None = None  # ISO date: billing start of a migration
    # by account key: the ids staging claimed (``assign_customer_ids``); a key missing here gets the
    # plain derived ids (a preview that claims nothing, e.g. ``onboard plan``)
    ids: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # follow-on orders (issue 19): what each builds on, by account key (``transforms.follow_on.resolve``),
    # and the date the batch was received (ISO), the default effective date of their package lines
    follow_on: Mapping[str, FollowOnBase] = field(default_factory=dict)
    received: str = ""


def _records(frame: pd.DataFrame | None, keys: set[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if frame is None or frame.empty:
        return out
    sub = frame[frame["_account_key"].isin(keys)]
    for rec in sub.to_dict("records"):
        out[str(rec["_account_key"])].append({str(k): v for k, v in rec.items()})
    return out


def _s(rec: Mapping[str, Any], key: str) -> str:
    v = rec.get(key)
    if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA:
        return ""
    return str(v).strip()


def _address(rec: Mapping[str, Any], country: str = "") -> dict[str, str]:
    return {
        "line1": _s(rec, "address_1"),
        "line2": _s(rec, "address_2"),
        "city": _s(rec, "city"),
        "state": _s(rec, "state"),
        "zip": _s(rec, "zip"),
        "country": country or _s(rec, "country") or "US",
    }


def build_plans(order: Mapping[str, pd.DataFrame], keys: Sequence[str], inputs: PlanInputs) -> dict[str, dict[str, Any]]:
    """Plans for the customers ``keys`` (account keys), in the order given."""
    wanted = set(keys)
    customers = {key: recs[0] for key, recs in _records(order.get("Customers"), wanted).items()}
    packages = _records(order.get("Packages"), wanted)
    locations = _records(order.get("Locations"), wanted)
    porting = _records(order.get("Porting"), wanted)
    toll_free = _records(order.get("Toll Free"), wanted)
    dids = _records(order.get("DIDs"), wanted)
    cat = inputs.catalog
    plans: dict[str, dict[str, Any]] = {}
    for k in keys:
        c = customers[k]
        account = _s(c, "account_name")
        country = _s(c, "country") or "US"
        lines: list[dict[str, Any]] = []
        for p in packages.get(k, []):
            pkg = cat.package(_s(p, "order_type"), _s(p, "package"))
            if pkg is None:  # validation holds such customers; never plan a line we cannot price
                raise ValueError(f"{account}: package {_s(p, 'package')!r} is not in the catalog")
            qty = int(p["quantity"]) if not pd.isna(p.get("quantity")) and _s(p, "quantity") else 1
            lines.append(
                {
                    "order_type": pkg.order_type,
                    "package": pkg.name,
                    "quantity": qty,
                    "billing_package": pkg.billing_package,
                    "seat": pkg.seat,
                    "dids_included": pkg.dids_included,
                    "mrc": pkg.mrc,
                    "nrc": pkg.nrc,
                    "services": [{"kind": kind, "name": name} for kind, name in pkg.services],
                    "notes": _s(p, "notes"),
                    "effective_date": _s(p, "effective_date"),
                }
            )
        seats = sum(int(line["quantity"]) for line in lines if line["seat"])
        locs = sorted(locations.get(k, []), key=lambda r: (r.get("_sheet") != "Locations", int(r.get("_row") or 0)))
        locs = [r for r in locs if _s(r, "address_1") and _s(r, "main_number")]
        e911 = [
            {"name": _s(r, "location_name") or "Main", "address": _address(r, country), "main_number": _s(r, "main_number")}
            for r in locs
        ]
        grants = list(inputs.numbers.get(k, ()))
        numbers = [
            {"number": g.number, "source": g.source, "purpose": g.purpose, "fax_email": g.fax_email} for g in grants
        ]
        main = _s(c, "main_number") or (e911[0]["main_number"] if e911 else "")
        follow_ups = build_follow_ups(inputs.partner.name, account, CustomerRows(
            c, packages.get(k, []), locs, porting.get(k, []), toll_free.get(k, []), dids.get(k, []), numbers,
            inputs.backorders.get(k, ()), k in inputs.pending_e911), cat)
        emails = tuple(e.strip() for e in _s(c, "email").split(";") if e.strip())
        ids = inputs.ids.get(k) or customer_ids(inputs.partner.partner_id, account, k)
        plans[k] = {
            "partner_id": inputs.partner.partner_id,
            "partner_name": inputs.partner.name,
            "partner_email": inputs.partner.email,
            "account": account,
            "company": _s(c, "company") or account,
            "enterprise_id": ids["enterprise_id"],
            "group_id": ids["group_id"],
            "first_name": _s(c, "first_name"),
            "last_name": _s(c, "last_name"),
            "address": _address(c),
            "emails": list(emails),
            "default_domain": _s(c, "default_domain"),
            "time_zone": _s(c, "time_zone"),
            "billing_type": _s(c, "billing_type"),
            "billing_start": inputs.cutover or _s(c, "billing_start_date"),
            "packages": lines,
            "numbers": numbers,
            "e911": e911,
            "main_number": main,
            "user_limit": max(1, seats),
            "admin_user_id": ids["admin_user_id"],
            "follow_ups": follow_ups,
            "notes": _s(c, "notes"),
            "batch_id": inputs.batch_id,
            # a follow-on planned without its base (``onboard plan`` of a file not staged) still says what it is
            "order_kind": _s(c, "order_kind") if _s(c, "order_kind") in ORDER_KINDS else NEW_CUSTOMER,
            "enterprise_account": _s(c, "enterprise_account") or account,
            "create_admin": yes(c.get("create_admin")),
        }
        if k in inputs.follow_on:
            finish_plan(plans[k], inputs.follow_on[k], inputs.received)
    return plans


def trunking_follow_up(partner: Partner, account: str) -> dict[str, str]:
    """A held customer that ordered SIP Trunking is routed to provisioning (Trunking Order Form)."""
    return {
        "kind": "trunking",
        "detail": "",
        "subject": f"Trunking request for {account}",
        "body": f"{account} ({partner.name}) ordered SIP Trunking, which the order sheet cannot provision. "
        "Send the BluIP Trunking Order Form to provisioning; it is filled in within about 72 business hours.",
    }
