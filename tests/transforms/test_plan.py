from __future__ import annotations

import pandas as pd

from core.order import CustomerOrder
from data.catalog import load_catalog
from data.partners import Partner
from transforms.plan import MAX_ID_BYTES, NumberGrant, PlanInputs, build_plans, enterprise_id, group_id

PARTNER = Partner("acme-telecom", "Acme Telecom", "orders@acme.example.com")


def _order() -> dict[str, pd.DataFrame]:
    cust = pd.DataFrame([{
        "_row": 2, "_account_key": "blue dental", "account_name": "Blue Dental", "company": "", "first_name": "Ana",
        "last_name": "Ng", "password": "pw", "address_1": "1 Main St", "address_2": "", "city": "Austin", "state": "TX",
        "zip": "78701", "country": "US", "email": "a@blue.example.com;b@blue.example.com",
        "default_domain": "blue.example.com", "time_zone": "America/Chicago", "billing_start_date": "2027-01-01",
        "billing_type": "Multi-Group - Bill Group", "main_number": "", "notes": "",
    }])
    pkgs = pd.DataFrame([
        {"_row": 2, "_account_key": "blue dental", "account_name": "Blue Dental", "order_type": "Hosted PBX",
         "package": "Enterprise Standard", "quantity": 3, "notes": ""},
        {"_row": 3, "_account_key": "blue dental", "account_name": "Blue Dental", "order_type": "Call Recording",
         "package": "Smarat Capture", "quantity": 1, "notes": ""},
    ])
    locs = pd.DataFrame([
        {"_row": 2, "_sheet": "Customers", "_account_key": "blue dental", "location_name": "", "address_1": "9 Side St",
         "address_2": "", "city": "Austin", "state": "TX", "zip": "78702", "main_number": "+15125550999"},
        {"_row": 2, "_sheet": "Locations", "_account_key": "blue dental", "location_name": "HQ", "address_1": "1 Main St",
         "address_2": "", "city": "Austin", "state": "TX", "zip": "78701", "main_number": "+15125550100"},
    ])
    porting = pd.DataFrame([{"_row": 2, "_account_key": "blue dental", "number": "+15128675309", "current_carrier": "X",
                             "btn": "", "requested_date": ""}])
    return {"Customers": cust, "Packages": pkgs, "Locations": locs, "Porting": porting}


def test_plan_round_trips_into_the_connector_contract() -> None:
    plans = build_plans(
        _order(), ["blue dental"],
        PlanInputs(PARTNER, load_catalog(), "b1", numbers={"blue dental": [NumberGrant("+15125550100")]},
                   backorders={"blue dental": [("512", "555", 2)]}),
    )
    order = CustomerOrder.from_dict(plans["blue dental"], portal_password="pw")
    assert order.company == "Blue Dental"  # defaults to the account name
    assert order.emails == ("a@blue.example.com", "b@blue.example.com")
    assert order.user_limit == 3 and order.seats == 3
    assert order.e911[0].name == "HQ"  # the Locations sheet comes before notes-derived E911
    assert order.main_number == "+15125550100"
    assert [p.package for p in order.packages] == ["Enterprise Standard", "Smarat Capture"]
    assert order.numbers[0].number == "+15125550100"
    assert {(f.kind, f.detail) for f in order.follow_ups} == {("did_backorder", "512-555"), ("lnp_order", ""),
                                                              ("e911_locations", "")}
    assert "portal_password" not in order.to_dict()
    assert CustomerOrder.from_dict(order.to_dict()) == order


def test_ids_are_deterministic_and_short() -> None:
    long = "The Extremely Long Customer Name Incorporated of Greater Austin"
    eid = enterprise_id("acme-telecom", long)
    assert eid == enterprise_id("acme-telecom", long)
    assert len(eid.encode()) <= MAX_ID_BYTES
    assert len(group_id("acme-telecom", long).encode()) <= MAX_ID_BYTES
    assert enterprise_id("acme-telecom", long + " 2") != eid
    assert enterprise_id("p", "Blue Dental") == "p_Blue_Dental"


# ---------------------------------------------------------------- issue 12: nothing the partner wrote is lost


def _plan(order: dict[str, pd.DataFrame], **inputs: object) -> dict[str, object]:
    return build_plans(order, ["blue dental"], PlanInputs(PARTNER, load_catalog(), "b1", **inputs))["blue dental"]  # type: ignore[arg-type]


def _tickets(plan: dict[str, object]) -> dict[str, dict[str, str]]:
    fus = plan["follow_ups"]
    assert isinstance(fus, list)
    out = {f["kind"] + (":" + f["detail"] if f["detail"] else ""): f for f in fus}
    assert len(out) == len(fus)  # one external id per ticket
    return out


def _rows(sheet: str, *recs: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame([{"_account_key": "blue dental", "account_name": "Blue Dental", **r} for r in recs])


def test_every_other_e911_location_is_on_the_e911_ticket_and_the_primary_is_the_group_address() -> None:
    order = _order()
    order["Locations"] = pd.concat([order["Locations"], _rows("Locations", {
        "_row": 3, "_sheet": "Locations", "location_name": "Warehouse", "address_1": "5 Dock Rd", "address_2": "Unit 4",
        "city": "Austin", "state": "TX", "zip": "78703", "main_number": "+15125550101"})])
    plan = _plan(order)
    order_ = CustomerOrder.from_dict(plan)
    assert order_.e911[0].name == "HQ" and order_.e911[0].address.line1 == "1 Main St"
    ticket = _tickets(plan)["e911_locations"]
    body = ticket["body"]
    assert "HQ: 1 Main St" in body.split("other locations")[0]  # named as the primary
    rest = body.split("other locations")[1]
    assert "Warehouse: 5 Dock Rd, Unit 4, Austin, TX 78703, US; main +15125550101 (Locations row 3)" in rest
    assert "9 Side St, Austin, TX 78702, US; main +15125550999 (Customers row 2 (Notes))" in rest
    assert ticket["subject"] == "E911: 2 more location(s) for Blue Dental"
    # a single location: it is the group's address, no ticket
    order["Locations"] = order["Locations"].iloc[1:2]
    assert "e911_locations" not in _tickets(_plan(order))


def test_fax_ticket_lists_the_assigned_numbers_and_their_emails() -> None:
    order = _order()
    order["Packages"] = pd.concat([order["Packages"], _rows("Packages",
        {"_row": 4, "order_type": "Fax Service", "package": "Virtual Fax Desktop Unlimited", "quantity": 1,
         "notes": "deliver to efax@blue.example.com"},
        {"_row": 5, "order_type": "Fax Service", "package": "Virtual Fax ATA Basic", "quantity": 1, "notes": ""})])
    order["DIDs"] = _rows("DIDs",
        {"_row": 2, "npa": "512", "nxx": "555", "quantity": "1", "numbers": "", "purpose": "Fax", "fax_email": "",
         "notes": ""},
        {"_row": 3, "npa": "512", "nxx": "555", "quantity": "2", "numbers": "", "purpose": "Fax",
         "fax_email": "scan@blue.example.com", "notes": ""})
    grants = [NumberGrant("+15125550200", "inventory", "Fax", ""), NumberGrant("+15125550201", "inventory", "Fax",
                                                                                  "scan@blue.example.com"),
              NumberGrant("+15125550202", "inventory", "Voice", "")]
    plan = _plan(order, numbers={"blue dental": grants})
    body = _tickets(plan)["fax_setup"]["body"]
    # the line's e-mail is used for the number whose DIDs row had none; the row's own e-mail wins for the other
    assert "- +15125550200 (new): deliver to efax@blue.example.com" in body
    assert "- +15125550201 (new): deliver to scan@blue.example.com" in body
    assert "+15125550202" not in body  # a voice number is not a fax number
    assert "1 fax number(s) requested on DIDs are still on backorder" in body  # 3 asked, 2 assigned
    assert "Virtual Fax Desktop Unlimited x1, IP fax (to e-mail) (Packages row 4)" in body
    assert "Virtual Fax ATA Basic x1, ATA (Packages row 5)" in body
    assert _tickets(plan)["fax_setup"]["subject"] == "Fax setup for Blue Dental: 2 number(s)"


def test_an_ata_only_fax_number_needs_no_email() -> None:
    order = _order()
    order["Packages"] = pd.concat([order["Packages"], _rows("Packages",
        {"_row": 4, "order_type": "Fax Service", "package": "Virtual Fax ATA Unlimited", "quantity": 1, "notes": ""})])
    plan = _plan(order, numbers={"blue dental": [NumberGrant("+15125550200", "own", "Fax")]})
    assert "- +15125550200 (its own number): a fax machine on the ATA (no e-mail)" in _tickets(plan)["fax_setup"]["body"]


def test_every_note_is_on_the_notes_ticket_with_its_sheet_and_row() -> None:
    order = _order()
    order["Customers"] = order["Customers"].assign(notes="Install after 8am; gate code 4411")
    order["Packages"] = pd.concat([order["Packages"], _rows("Packages",
        {"_row": 4, "order_type": "Call Recording", "package": "Smart Record", "quantity": 1,
         "notes": "Record 512-555-0100 and (512) 555-0101"})])
    order["DIDs"] = _rows("DIDs", {"_row": 2, "npa": "512", "nxx": "555", "quantity": "1", "numbers": "",
                                   "purpose": "Voice", "fax_email": "", "notes": "sequential please"})
    ticket = _tickets(_plan(order))["notes"]
    assert ticket["subject"] == "Order notes for Blue Dental: 3 note(s)"
    lines = ticket["body"].splitlines()[1:]
    assert lines == [
        "- Customers row 2: Install after 8am; gate code 4411",
        "- Packages row 4 (Call Recording / Smart Record): Record 512-555-0100 and (512) 555-0101 "
        "[numbers/e-mails read: +15125550100, +15125550101]",
        "- DIDs row 2 (512-555): sequential please",
    ]
    assert "notes" not in _tickets(_plan(_order()))  # nothing written, no ticket


def test_toll_free_requests_written_only_in_notes_open_their_tickets() -> None:
    order = _order()
    order["Packages"] = pd.concat([order["Packages"], _rows("Packages",
        {"_row": 4, "order_type": "Toll Free Service", "package": "Toll Free Number", "quantity": 1,
         "notes": "Port (800) 555-0199 from Old Telco, required by 2027-02-01"},
        {"_row": 5, "order_type": "Toll Free Service", "package": "Toll Free Number", "quantity": 2,
         "notes": "new numbers ordered, needed in March"},
        {"_row": 6, "order_type": "Toll Free Service", "package": "Toll Free Number", "quantity": 1,
         "notes": "RespOrg change for 888-555-0123"})])
    t = _tickets(_plan(order))
    port = t["toll_free_port:+18005550199"]
    assert "Packages row 4" in port["body"] and "required by 2027-02-01" in port["body"]
    new = t["toll_free_new:new1"]
    assert "Order 2 new toll free number(s)" in new["body"] and "needed in March" in new["body"]
    assert "resporg_change:+18885550123" in t


def test_the_toll_free_sheet_required_date_goes_into_the_ticket() -> None:
    order = _order()
    order["Toll Free"] = _rows("Toll Free", {"_row": 2, "action": "Port", "toll_free_number": "+18005550199",
                                             "ring_to": "+15125550100", "required_date": "2027-02-01", "notes": ""})
    order["Packages"] = pd.concat([order["Packages"], _rows("Packages",
        {"_row": 4, "order_type": "Toll Free Service", "package": "Toll Free Number", "quantity": 1,
         "notes": "Port 800-555-0199"})])
    t = _tickets(_plan(order))
    assert "required by 2027-02-01" in t["toll_free_port:+18005550199"]["body"]
    # the line's note travels on the toll-free ticket, not on a notes ticket
    assert "Toll Free Service line notes (Packages row 4): Port 800-555-0199" in t["toll_free_port:+18005550199"]["body"]
    assert "notes" not in t
    assert [k for k in t if k.startswith("toll_free")] == ["toll_free_port:+18005550199"]  # the sheet states it once
