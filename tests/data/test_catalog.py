"""The catalog holds the seed's 84 package lines, under their order types, spelled as the seed spells them.

The list below is typed by hand from ``add-new-hosted-customer.txt`` ("Order Types / Packages"), never read
from ``data/catalog.csv``: a line renamed, dropped or "corrected" in the catalog fails here.
"""

from __future__ import annotations

from collections import Counter

from data.catalog import load_catalog

SEED: dict[str, list[str]] = {
    "AlaCarte Features": [
        "4G Backup", "Agent Web Based Client Software License", "Alternate Numbers", "Anonymous Call Rejection",
        "Auto Attendant", "Broadsoft Provisioning Fee", "BroadSoft Receptionist Console - Enterprise",
        "BroadWorks Anywhere", "Call Control Tool Bar", "Call Forwarding Always", "Call Forwarding Busy",
        "Call Forwarding No Answer", "Call Forwarding Not Reachable", "Call Forwarding Selective", "Call Me Now",
        "CLI Spooling Penalty", "DID Reservation Fee", "E911 Surcharge", "Early Termination Fee",
        "ECRC 911 Call - BIllable", "Enterprise Call Reporting", "Guest Room", "Hardware Non Return Fee",
        "Hunt Group", "Instant Group Call", "Late Fee", "MS Lync Integration - PResence IEX", "Music On Hold",
        "Priority Alert", "Professional Services (per hour)", "Selective Call Acceptance",
        "Selective Call Rejection", "Shipping", "Technical Dispatch", "Unity Call Center Agent",
        "Unity Call Center Supervisor", "Unity Client", "Virtual User Power Pack", "Voice Mail Add On",
    ],
    "Broadband Access": [
        "Circuit Early Cancellation Fee", "DSL", "Metro Ethernet", "MPLS", "Priority Access Bonded T1",
        "Priority Access T1",
    ],
    "Call Recording": [
        "Smarat Capture", "Smart Evaluation Tabs", "Smart Listen Unlimited", "Smart Record", "Smart Record Pro",
    ],
    "DID": ["Additional DID's", "DID Repoint", "DID Reservation Fee"],
    "Fax Service": [
        "Virtual Fax ATA Basic", "Virtual Fax ATA Unlimited", "Virtual Fax Basic Overage",
        "Virtual Fax Desktop Unlimited",
    ],
    "Hosted PBX": [
        "Basic Call Center Agent", "Basic Metered", "Breakroom/Conference Room Phone User",
        "Call Center Supervisor - Client Only - (No SEAT)", "Enterprise Basic", "Enterprise Premium",
        "Enterprise Standard", "Enterprise UC - Communicator Prime", "Enterprise UC - Phone Prime", "Power User",
        "Premier Metered", "Premium Call Center Agent", "Premium Call Center Supervisor Bundle", "Receptionist User",
        "Standard Call Center Agent", "Standard Call Center Supervisor Bundle", "Standard Metered",
        "Standard Select Extensions", "Standard Select Voice Lines", "Traditional User", "Virtual User",
    ],
    "Hosted UC One": [
        "DID Add-On - UC", "Enterprise UC - Communicator Prime", "Enterprise UC - Phone Prime",
        "Select UC Extension - Communicator Prime", "Select UC Extension - Phone Prime",
    ],
    "Toll Free Service": ["Toll Free Number"],
}
# The order types of the form's drop-down; the package list's own headings are aliases of two of them.
ORDER_TYPES = {
    "AlaCarte Features": "orderable", "Broadband Access": "orderable", "Call Recording": "orderable",
    "DID": "orderable", "Fax Service": "orderable", "Hosted PBX": "orderable", "Hosted UC One": "orderable",
    "Local Number Portability": "reserved", "SIP Trunking": "trunking", "Toll Free Service": "orderable",
}
HEADINGS = {"AlaCarte Services": "AlaCarte Features", "Toll Free": "Toll Free Service"}


def test_the_pinned_list_is_the_seed() -> None:
    lines = [(ot, p) for ot, names in SEED.items() for p in names]
    assert len(lines) == 84 and len(set(lines)) == 84
    names = Counter(p for _, p in lines)
    assert len(names) == 81
    assert {n for n, k in names.items() if k == 2} == {
        "DID Reservation Fee", "Enterprise UC - Communicator Prime", "Enterprise UC - Phone Prime"}


def test_catalog_lines_are_exactly_the_seed_lines_in_its_spelling() -> None:
    catalog = load_catalog()
    have = [(p.order_type, p.name) for p in catalog.lines]
    assert sorted(have) == sorted((ot, p) for ot, names in SEED.items() for p in names)
    assert len(have) == 84


def test_order_types_and_their_status() -> None:
    catalog = load_catalog()
    assert {o.name: o.status for o in catalog.order_types.values()} == ORDER_TYPES
    for heading, name in HEADINGS.items():
        found = catalog.order_type(heading)
        assert found is not None and found.name == name


def test_every_seed_line_is_found_by_its_order_type_and_name_reported_in_the_seed_spelling() -> None:
    catalog = load_catalog()
    for ot, names in SEED.items():
        for name in names:
            p = catalog.package(ot, name.upper())
            assert p is not None and (p.order_type, p.name) == (ot, name)
    # corrected spellings are aliases, reported in the seed's spelling
    fixed = catalog.package("Call Recording", "Smart Capture")
    assert fixed is not None and fixed.name == "Smarat Capture"


def test_notes_flags() -> None:
    catalog = load_catalog()
    assert {p.name for p in catalog.lines if p.needs_fax_email} == {"Virtual Fax Desktop Unlimited"}
    assert {p.name for p in catalog.lines if p.needs_record_number} == {"Smart Record", "Smart Record Pro"}
