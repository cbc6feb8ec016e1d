"""The follow-up tickets of one customer (DESIGN §6): what a person must still do, and every note the
partner wrote, so that nothing on the order is lost (issue 12: every filled cell reaches a system, a
ticket or a report row, or gets a finding).

Kinds (external_id = partner:account:kind[:detail]): ``did_backorder``, ``lnp_order``, ``toll_free_new``,
``toll_free_port``, ``resporg_change``, ``fax_setup``, ``e911_locations``, ``notes``, ``pending_e911``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from data.catalog import Catalog
from transforms import notes as N

Rec = Mapping[str, Any]
FollowUp = dict[str, str]
_TOLL_FREE_KINDS = {"new": "toll_free_new", "port": "toll_free_port", "resporg change": "resporg_change"}


def _s(rec: Rec, key: str) -> str:
    v = rec.get(key)
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v).strip()


def _row(rec: Rec) -> int:
    return int(rec.get("_row") or 0)


@dataclass
class CustomerRows:
    """One customer's rows of every sheet, as records (canonical keys, ``_row``; Locations also ``_sheet``)."""

    customer: Rec
    packages: Sequence[Rec] = ()
    locations: Sequence[Rec] = ()  # the E911 locations in plan order: the first is the primary
    porting: Sequence[Rec] = ()
    toll_free: Sequence[Rec] = ()
    dids: Sequence[Rec] = ()
    numbers: Sequence[Mapping[str, str]] = ()  # the plan's numbers: number, source, purpose, fax_email
    backorders: Sequence[tuple[str, str, int]] = field(default_factory=tuple)
    pending_e911: bool = False


def follow_ups(partner_name: str, account: str, rows: CustomerRows, catalog: Catalog) -> list[FollowUp]:
    who = f"{account} ({partner_name})"
    out: list[FollowUp] = []
    for npa, nxx, qty in rows.backorders:
        out.append({"kind": "did_backorder", "detail": f"{npa}-{nxx}",
                    "subject": f"DID backorder: {qty} number(s) in {npa}-{nxx} for {account}",
                    "body": f"Order {qty} new DID(s) in NPA {npa} NXX {nxx} for {who}; the standing inventory had "
                    "too few."})
    if rows.porting:
        nums = ", ".join(_s(r, "number") for r in rows.porting)
        lines = "\n".join(f"- {_s(r, 'number')} carrier={_s(r, 'current_carrier') or '?'} BTN={_s(r, 'btn') or '?'} "
                          f"requested={_s(r, 'requested_date') or 'asap'}" for r in rows.porting)
        out.append({"kind": "lnp_order", "detail": "", "subject": f"LNP order for {account}: {len(rows.porting)} "
                    "number(s)", "body": f"Port these numbers for {who}: {nums}\n{lines}"})
    out += _toll_free(who, account, rows)
    fax = _fax(who, account, rows, catalog)
    if fax:
        out.append(fax)
    e911 = _e911_locations(who, account, rows)
    if e911:
        out.append(e911)
    notes = _notes(who, account, rows)
    if notes:
        out.append(notes)
    if rows.pending_e911:
        out.append({"kind": "pending_e911", "detail": "", "subject": f"Pending E911 for {account}",
                    "body": f"{who} was onboarded without an E911 address and main number; collect them and set the "
                    "emergency location before the first call."})
    return out


def _toll_free(who: str, account: str, rows: CustomerRows) -> list[FollowUp]:
    """One ticket per request. A Toll Free Service line's Notes travel on the toll-free tickets (not the notes
    ticket): the team that orders the number reads what the partner wrote about it."""
    lines = [p for p in rows.packages if _s(p, "order_type") == "Toll Free Service"]
    said = "".join(f"\nToll Free Service line notes (Packages row {_row(p)}): {_s(p, 'notes')}"
                   for p in lines if _s(p, "notes"))
    out: list[FollowUp] = []
    for r in rows.toll_free:
        action = _s(r, "action") or "New"
        number = _s(r, "toll_free_number")
        required = _s(r, "required_date")
        out.append({"kind": _TOLL_FREE_KINDS.get(action.casefold(), "toll_free_new"),
                    "detail": number or f"row{_row(r)}",
                    "subject": f"Toll free {action} for {account}" + (f": {number}" if number else ""),
                    "body": f"{action} toll free number {number or '(new)'} for {who}; ring to "
                    f"{_s(r, 'ring_to') or 'main number'}; required by {required or 'not given'} "
                    f"(Toll Free row {_row(r)}). {_s(r, 'notes')}".strip() + said})
    if rows.toll_free:  # the sheet states the requests; the package lines are what they are billed as
        return out
    # The procedure's own way: the request is written in the Toll Free Service line's Notes.
    new = 0
    for p in lines:
        req = N.toll_free_request(_s(p, "notes"))
        if req is None:  # validation held the customer (TOLL_FREE_NOTE_MISSING)
            continue
        qty = _s(p, "quantity") or "1"
        if req.number:
            detail = req.number
        else:
            new += 1
            detail = f"new{new}"
        what = (f"{req.action} toll free number {req.number}" if req.number
                else f"Order {qty} new toll free number(s)")
        out.append({"kind": _TOLL_FREE_KINDS[req.action.casefold()], "detail": detail,
                    "subject": f"Toll free {req.action} for {account}" + (f": {req.number}" if req.number else ""),
                    "body": f"{what} for {who}, as the Toll Free Service line's Notes ask (Packages row {_row(p)}); "
                    f"when required and any other detail, as written: {_s(p, 'notes')}"})
    return out


def _fax(who: str, account: str, rows: CustomerRows, catalog: Catalog) -> FollowUp | None:
    """The fax numbers actually given to the customer, each with where its faxes go."""
    lines = [p for p in rows.packages if _s(p, "order_type") == "Fax Service"]
    numbers = [n for n in rows.numbers if n.get("purpose") == "Fax"]
    wanted = 0
    for d in rows.dids:
        if _s(d, "purpose") == "Fax":
            q = _s(d, "quantity")
            wanted += max(int(q) if q.isdigit() else 0, len([x for x in _s(d, "numbers").split(",") if x]))
    if not (lines or numbers or wanted):
        return None
    ip = [p for p in lines if (pkg := catalog.package("Fax Service", _s(p, "package"))) and pkg.needs_fax_email]
    fallback = [*(e for p in ip for e in N.emails(_s(p, "notes"))), *(e for p in lines for e in N.emails(_s(p, "notes"))),
                *N.emails(_s(rows.customer, "notes"))]
    default = fallback[0] if fallback else ""
    ata_only = bool(lines) and not ip
    body = [f"Fax setup for {who}."]
    if numbers:
        body.append("Fax numbers assigned to the customer:")
        for n in numbers:
            to = n.get("fax_email") or default
            dest = f"deliver to {to}" if to else ("a fax machine on the ATA (no e-mail)" if ata_only else "no e-mail given")
            body.append(f"- {n['number']} ({'its own number' if n.get('source') == 'own' else 'new'}): {dest}")
    else:
        body.append("No fax number is assigned yet.")
    got = sum(n.get("source") != "own" for n in numbers)  # own numbers (a migration's) are not DIDs rows
    if wanted > got:
        body.append(f"{wanted - got} fax number(s) requested on DIDs are still on backorder (see the DID "
                    "backorder ticket): set them up once they arrive.")
    if lines:
        body.append("Fax lines ordered:")
        for p in lines:
            kind = "IP fax (to e-mail)" if p in ip else "ATA"
            note = _s(p, "notes")
            body.append(f"- {_s(p, 'package')} x{_s(p, 'quantity') or '1'}, {kind} (Packages row {_row(p)})"
                        + (f"; notes: {note}" if note else ""))
    return {"kind": "fax_setup", "detail": "", "subject": f"Fax setup for {account}: {len(numbers)} number(s)",
            "body": "\n".join(body)}


def _where(r: Rec) -> str:
    sheet = _s(r, "_sheet") or "Locations"
    return f"{sheet} row {_row(r)}" + (" (Notes)" if sheet == "Customers" else "")


def _place(r: Rec, country: str) -> str:
    parts = [_s(r, "address_1"), _s(r, "address_2"), _s(r, "city"), f"{_s(r, 'state')} {_s(r, 'zip')}".strip(),
             _s(r, "country") or country]
    return ", ".join(p for p in parts if p)


def _e911_locations(who: str, account: str, rows: CustomerRows) -> FollowUp | None:
    """The primary location is the group's address in BroadWorks; every other one is listed here."""
    if len(rows.locations) < 2:
        return None
    first, rest = rows.locations[0], rows.locations[1:]
    country = _s(rows.customer, "country") or "US"
    body = [f"{who} has {len(rows.locations)} E911 locations. The primary is set as the BroadWorks group's address:",
            f"- {_s(first, 'location_name') or 'Main'}: {_place(first, country)}; main {_s(first, 'main_number')} "
            f"({_where(first)})",
            "Set up these other locations for emergency services (each with its own main number):"]
    body += [f"- {_s(r, 'location_name') or 'Location'}: {_place(r, country)}; main {_s(r, 'main_number')} ({_where(r)})"
             for r in rest]
    return {"kind": "e911_locations", "detail": "", "subject": f"E911: {len(rest)} more location(s) for {account}",
            "body": "\n".join(body)}


def _notes(who: str, account: str, rows: CustomerRows) -> FollowUp | None:
    """Every note as written, with its sheet and row: fax numbers, IP-fax e-mails, Smart Record numbers and
    special provisioning information reach the provisioning team (Toll Free Service lines' notes: ``_toll_free``;
    Toll Free rows' notes are on their own tickets)."""
    found: list[str] = []
    text = _s(rows.customer, "notes")
    if text:
        found.append(_note_line(f"Customers row {_row(rows.customer)}", text))
    for p in rows.packages:
        if (text := _s(p, "notes")) and _s(p, "order_type") != "Toll Free Service":  # on the toll-free tickets
            found.append(_note_line(f"Packages row {_row(p)} ({_s(p, 'order_type')} / {_s(p, 'package')})", text))
    for d in rows.dids:
        if text := _s(d, "notes"):
            found.append(_note_line(f"DIDs row {_row(d)} ({_s(d, 'npa')}-{_s(d, 'nxx')})", text))
    if not found:
        return None
    return {"kind": "notes", "detail": "", "subject": f"Order notes for {account}: {len(found)} note(s)",
            "body": f"Notes {who}'s order carries; act on each (fax, IP-fax e-mails, Smart Record numbers, special "
            "provisioning):\n" + "\n".join(found)}


def _note_line(where: str, text: str) -> str:
    read = [*N.phones(text), *N.emails(text)]
    return f"- {where}: {text}" + (f" [numbers/e-mails read: {', '.join(read)}]" if read else "")
