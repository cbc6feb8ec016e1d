from __future__ import annotations

import pandas as pd

from connectors.common.order import CustomerOrder
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
    assert {(f.kind, f.detail) for f in order.follow_ups} == {("did_backorder", "512-555"), ("lnp_order", "")}
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
