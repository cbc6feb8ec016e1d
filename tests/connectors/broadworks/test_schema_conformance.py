"""Every document the client can send is valid against the published R25 OCI-P schema.

The schema is fetched at test time (tests/support/ocip_schema.py); if it cannot be had these tests
fail rather than skip: conformance is part of the contract (DESIGN §6).
"""

from __future__ import annotations

import csv
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lxml import etree

from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient
from connectors.broadworks.ocip import Command, build_document, error_command, response_document, success_command
from connectors.broadworks.provision import BroadWorksProvisioner, OcipRequests
from connectors.broadworks.service_plan import generate_password
from connectors.broadworks.shared_documents import SharedDocuments
from connectors.broadworks.sim_schema import SPECS, Choice, Item
from connectors.broadworks.sim_services import GROUP_SERVICES, USER_SERVICES
from connectors.broadworks.simulator import BroadWorksSim
from connectors.broadworks.state import read_back
from connectors.common.simhttp import RunningSim
from core.order import CustomerOrder
from tests.connectors.broadworks.conftest import (
    FAST,
    PASSWORD,
    USER,
    Credentials,
    Recorder,
    SimFactory,
    make_order,
    url_of,
)
from tests.support.ocip_schema import schema_dir, service_enumerations, validate_document

XS = "{http://www.w3.org/2001/XMLSchema}"

ROOT = Path(__file__).resolve().parents[3]
ADDRESS = C.address_fields("100 Main St", "Suite 4", "Austin", "TX", "78701", "US")
CONTACT = C.contact_fields("Dana Lee", "+15125550100", "dana@acme.example")

EVERY_REQUEST: list[Command] = [
    C.authentication("admin"),
    C.login14sp4("admin", "0123456789abcdef0123456789abcdef"),
    C.login22v5("admin", "secret"),
    C.logout("admin"),
    C.sp_list_exact("e1"),
    C.group_list_exact("e1", "g1"),
    C.sp_add("e1", "acme.example.com", "Acme", contact=CONTACT, address=ADDRESS),
    C.sp_get("e1"),
    C.sp_service_auth_modify("e1", {"Auto Attendant": 1}, {"Authentication": 5, "Voice Messaging User": None}),
    C.sp_service_auth_get("e1"),
    C.sp_pack_add("e1", "Enterprise Standard", 5, ["Authentication", "Voice Messaging User"], "Enterprise Standard"),
    C.sp_pack_list("e1"),
    C.sp_pack_detail("e1", "Enterprise Standard"),
    C.sp_dn_add("e1", ["+1-5125550100", "+1-5125550101"]),
    C.sp_dn_summary("e1"),
    C.sp_admin_add("e1", "acme-admin", "Dana", "Lee", generate_password(), "Customer"),
    C.sp_admin_modify_password("acme-admin", generate_password()),
    C.sp_admin_list("e1"),
    C.group_add(
        "e1",
        "g1",
        "acme.example.com",
        5,
        name="Acme",
        clid_name="Acme",
        time_zone="America/Chicago",
        contact=CONTACT,
        address=ADDRESS,
    ),
    C.group_get("e1", "g1"),
    C.group_service_auth_modify("e1", "g1", {"Enterprise Standard": 5}, {"Auto Attendant": 1}, {"Authentication": 5}),
    C.group_service_auth_get("e1", "g1"),
    C.group_service_assign("e1", "g1", ["Auto Attendant"]),
    C.group_dn_assign("e1", "g1", ["+1-5125550100"]),
    C.group_dn_list("e1", "g1"),
    C.group_modify_clid("e1", "g1", "+1-5125550100"),
    C.sp_consolidated_add(
        "e1",
        "acme.example.com",
        "Acme",
        contact=CONTACT,
        address=ADDRESS,
        group_services={"Auto Attendant": 1},
        user_services={"Authentication": 5, "Voice Messaging User": None},
        packs={"Enterprise Standard": (5, ["Authentication", "Voice Messaging User"]), "Unlimited": (None, [])},
        numbers=["+1-5125550100", "+1-5125550101"],
    ),
    C.group_consolidated_add(
        "e1",
        "g1",
        "acme.example.com",
        5,
        name="Acme",
        clid_name="Acme",
        time_zone="America/Chicago",
        contact=CONTACT,
        address=ADDRESS,
        group_services={"Auto Attendant": 1, "Hunt Group": None},
        assign=["Auto Attendant"],
        user_services={"Authentication": 5},
        packs={"Enterprise Standard": 5},
        numbers=["+1-5125550100"],
    ),
]


@pytest.mark.parametrize("cmd", EVERY_REQUEST, ids=lambda c: c.type)
def test_every_request_validates(cmd: Command) -> None:
    assert validate_document(build_document("sid-1", [cmd])) == []


def test_a_full_batch_of_fifteen_validates() -> None:
    assert validate_document(build_document("sid-1", EVERY_REQUEST[:15])) == []


@pytest.mark.parametrize(
    "cmd",
    [
        Command("GroupAddRequest", [("groupId", "g1"), ("serviceProviderId", "e1"), ("defaultDomain", "d"), ("userLimit", 1)]),
        Command("GroupAddRequest", [("serviceProviderId", "e1"), ("groupId", "g1"), ("defaultDomain", "d")]),
        Command("GroupAddRequest", [("serviceProviderId", "e1"), ("groupId", "g1"), ("defaultDomain", "d"), ("userLimit", 0)]),
        C.group_service_assign("e1", "g1", ["Not A Real Service"]),
        C.sp_admin_add("e1", "a", "A", "B", "pw", "Boss"),
        Command("NoSuchRequest", [("serviceProviderId", "e1")]),
    ],
    ids=["order", "required", "range", "enumeration", "admin-type", "unknown-type"],
)
def test_a_wrong_document_fails(cmd: Command) -> None:
    assert validate_document(build_document("sid-1", [cmd])) != []


def test_server_answers_validate() -> None:
    doc = response_document("s", [success_command(), error_command("4100", "Group g1 already exists", "d")])
    assert validate_document(doc) == []
    bare = response_document("s", [error_command("8120", "Group g1 already exists", with_code=False)])
    assert "<errorCode>" not in bare and validate_document(bare) == []


def test_simulator_services_are_schema_enumerations() -> None:
    enums = service_enumerations()
    assert enums["user"] >= USER_SERVICES and enums["group"] >= GROUP_SERVICES


@pytest.mark.parametrize("requests", ["classic", "consolidated"])
def test_documents_actually_sent_validate(
    sim_factory: SimFactory, tmp_path: Path, order: CustomerOrder, requests: OcipRequests
) -> None:
    """Everything the provisioner sent to the simulator, as journaled, is schema-valid."""
    journal = tmp_path / "bw.jsonl"
    sim: RunningSim = sim_factory(journal=journal)
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        prov = BroadWorksProvisioner(c, on_admin_credentials=Credentials(), requests=requests)
        assert prov.provision(order, {}, Recorder()).status == "done"
        assert prov.provision(order, {}, Recorder()).status == "done"  # the re-run's modify path too
        read_back(c, order.enterprise_id, order.group_id)
    assert isinstance(sim.app, BroadWorksSim)
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    sent = {e["request"] for e in entries}
    assert len(sent) > 5
    consolidated = [d for d in sent if "ConsolidatedAddRequest" in d]
    assert len(consolidated) == (2 if requests == "consolidated" else 0)
    for doc in sent:
        assert validate_document(doc) == [], doc[:300]
    # and the simulator answers like the schema says the server does
    for doc in {e["response"] for e in entries if e["response"]}:
        assert validate_document(doc) == [], doc[:300]


@pytest.mark.parametrize("requests", ["classic", "consolidated"])
def test_shared_multi_customer_documents_validate(sim_factory: SimFactory, tmp_path: Path, requests: OcipRequests) -> None:
    """Issue 18 (b): documents that carry several customers' commands (up to 15) are schema-valid too."""
    journal = tmp_path / "bw.jsonl"
    sim: RunningSim = sim_factory(journal=journal)
    orders = [make_order(f"Multi {i}", f"multi{i}", block=300 + 20 * i) for i in range(6)]
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST, concurrency=2) as c:
        shared = SharedDocuments(c, sessions=2, members=len(orders))
        prov = BroadWorksProvisioner(shared, on_admin_credentials=Credentials(), requests=requests, parallel_steps=True)

        def one(o: CustomerOrder) -> str:
            try:
                return prov.provision(o, {}, Recorder()).status
            finally:
                shared.leave()

        with ThreadPoolExecutor(max_workers=len(orders)) as pool:
            assert list(pool.map(one, orders)) == ["done"] * len(orders)
        shared.close()
    entries = [json.loads(line) for line in journal.read_text().splitlines()]
    multi = [e["request"] for e in entries if sum(f"p1-multi{i}<" in e["request"] for i in range(6)) > 1]
    assert len(multi) >= 3
    assert max(e["request"].count("<command ") for e in entries) > 1
    for e in entries:
        assert validate_document(e["request"]) == [], e["request"][:300]
        if e["response"]:
            assert validate_document(e["response"]) == [], e["response"][:300]


def test_catalog_services_are_schema_names() -> None:
    enums = service_enumerations()
    assert "Voice Messaging User" in enums["user"] and "Auto Attendant" in enums["group"]
    with (ROOT / "data" / "broadworks_services.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "broadworks_services.csv is empty"
    bad = [r for r in rows if r["kind"] not in enums or r["service"] not in enums[r["kind"]]]
    assert bad == []
    known = {"user": USER_SERVICES, "group": GROUP_SERVICES}  # the simulator accepts every name we use
    assert [r for r in rows if r["service"] not in known[r["kind"]]] == []
    catalog = {r["package"] for r in csv.DictReader((ROOT / "data" / "catalog.csv").open(encoding="utf-8"))}
    assert {r["package"] for r in rows} <= catalog


def _xsd_elements(node: etree._Element) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for child in node:
        if child.tag == f"{XS}element":
            out.append((child.get("name", ""), child.get("nillable") == "true"))
        elif child.tag in (f"{XS}sequence", f"{XS}choice"):
            out.extend(_xsd_elements(child))
    return out


def _spec_elements(items: tuple[Item, ...]) -> list[tuple[str, bool]]:
    out: list[tuple[str, bool]] = []
    for item in items:
        if isinstance(item, Choice):
            for alt in item.alts:
                out.extend(_spec_elements(alt))
        else:
            out.append((item.name, item.nillable))
    return out


def test_simulator_knows_each_request_as_the_schema_defines_it() -> None:
    """Element names, their order and which are nillable: the simulator's hand copy equals the XSD."""
    types: dict[str, etree._Element] = {}
    for xsd in sorted(schema_dir().glob("*.xsd")):
        for ct in etree.parse(str(xsd)).getroot().findall(f"{XS}complexType"):
            types.setdefault(ct.get("name", ""), ct)
    assert {"ServiceProviderConsolidatedAddRequest", "GroupConsolidatedAddRequest"} <= set(SPECS)
    for typ, spec in SPECS.items():
        ext = types[typ].find(f".//{XS}extension")
        assert ext is not None, typ
        assert _spec_elements(spec) == _xsd_elements(ext), typ
