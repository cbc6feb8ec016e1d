"""The bulk BroadWorks read-back (``connectors.broadworks.readback``) against the simulator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient
from connectors.broadworks.ocip import Command, OciResponse
from connectors.broadworks.readback import read_back_many
from connectors.common.errors import TransientError
from connectors.common.simhttp import Faults
from tests.connectors.broadworks.conftest import FAST, PASSWORD, USER, SimFactory, url_of


def provision(client: OcipClient, n: int) -> list[tuple[str, str]]:
    """``n`` customers: e<i> with group g<i>, two numbers of its own (a range row), an admin."""
    out = []
    for i in range(n):
        sp, grp = f"e{i}", f"g{i}"
        numbers = [f"+1-51255{i:03d}00", f"+1-51255{i:03d}01"]
        client.send([C.sp_add(sp, "d.example", f"E{i}"), C.group_add(sp, grp, "d.example", 1),
                     C.sp_dn_add(sp, numbers), C.group_dn_assign(sp, grp, numbers),
                     C.sp_admin_add(sp, f"a{i}", "Pat", "Owner", "Pa55word-x1!")])
        out.append((sp, grp))
    return out


def test_faults_are_retried_and_change_nothing(sim_factory: SimFactory) -> None:
    clean = sim_factory()
    with OcipClient(url_of(clean), USER, PASSWORD, retry=FAST) as c:
        pairs = [*provision(c, 12), ("nobody", "nobody_G1")]
        want = read_back_many(c, pairs, concurrency=4)
    clean.stop()
    flaky = sim_factory(Faults(fault_rate=0.3, seed=7))  # the same state file
    with OcipClient(url_of(flaky), USER, PASSWORD, retry=FAST) as c:
        got = read_back_many(c, pairs, concurrency=4)
    assert flaky.faults.counts["faults"] > 0
    assert got == want
    assert want[0] == {"enterprise_id": "e0", "group_id": "g0", "enterprise_exists": True, "group_exists": True,
                       "numbers": ["+1-5125500000", "+1-5125500001"], "numbers_unassigned": [],
                       "admins": {"a0": "Customer"}}
    assert want[-1]["enterprise_exists"] is False and want[-1]["numbers"] == [] and want[-1]["admins"] == {}


class LosesDocuments(OcipClient):
    """A client whose documents naming ``lost`` never get an answer, retries exhausted (a link down
    for them alone): the seam above the wire, where the simulator cannot single out one document."""

    lost = "e5"

    def get(self, commands: Sequence[Command]) -> list[OciResponse]:
        if any(dict(c.fields).get("serviceProviderId") == self.lost for c in commands):
            raise TransientError("no answer")
        return super().get(commands)


def test_a_lost_document_fails_only_the_customers_it_held(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with OcipClient(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        pairs = provision(c, 12)
    with LosesDocuments(url_of(sim), USER, PASSWORD, retry=FAST) as c:
        got = read_back_many(c, pairs, concurrency=3)
    failed = [sp for (sp, _), g in zip(pairs, got, strict=True) if "error" in g]
    # e5's four commands share a document with the neighbours packed beside it (15 to a document), no more
    assert "e5" in failed and len(failed) <= 8
    ok: list[dict[str, Any]] = [g for g in got if "error" not in g]
    assert len(ok) >= 4 and all(g["enterprise_exists"] and g["group_exists"] and g["admins"] for g in ok)
