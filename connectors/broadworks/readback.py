"""Read back many customers from BroadWorks at once: what the reconciliation compares, in bulk.

The one comparison (``reports.compare.provisioning_gaps``) needs, per customer: does the enterprise
exist, does group 1 exist, which numbers are assigned to group 1, which administrators the
enterprise holds. Four list requests answer that for one customer, and none of them needs to know
the answer of another first, so every customer's commands go out together, 15 per document
(OCISchemaBASE: a BroadsoftDocument holds 1..15 commands), on every session at once:

- ``ServiceProviderGetListRequest`` and ``GroupGetListInServiceProviderRequest`` with an exact id
  (existence from a table that is empty when nothing matches, never from an error number);
- ``ServiceProviderDnGetSummaryListRequest``: every number of the enterprise with the group it is
  assigned to (rows may be ranges);
- ``ServiceProviderAdminGetListRequest14``: the enterprise's administrators.

Commands about one enterprise are sent once however many customers (groups) it holds. Why not
system-wide lists: R25 has ``GroupGetListInSystemRequest`` and an unfiltered
``ServiceProviderGetListRequest`` (OCISchemaGroup.xsd, OCISchemaServiceProvider.xsd), but neither
pages, a whole book's table in one answer exceeds what an XML parser accepts by default in one text
node (libxml2: 10 MB, and the SOAP envelope carries the document as text), and it lists other
resellers' enterprises too; the numbers and administrators have no system-wide list with the group
(``SystemDnGetSummaryListRequest`` answers the service provider only). Four commands per customer,
15 per document, is 0.27 documents per customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from connectors.broadworks import commands as C
from connectors.broadworks.client import OcipClient, error_of
from connectors.broadworks.ocip import MAX_COMMANDS, Command, OciResponse
from connectors.broadworks.state import expand_dns
from connectors.common.errors import ConnectorError

Answer = OciResponse | ConnectorError
Key = tuple[str, ...]


def _listed(resp: Answer, table: str, column: str, wanted: str, what: str) -> bool:
    if isinstance(resp, ConnectorError):
        raise resp
    if resp.is_error:
        raise error_of(resp, what)
    return any(row.get(column) == wanted for row in resp.table(table))


def _present(resp: Answer, listed: bool, what: str) -> OciResponse | None:
    """The answer of a list scoped to an enterprise; None when it errs AND the enterprise is not listed
    (the same rule as ``state._present``: an error for an object that exists is a failure)."""
    if isinstance(resp, ConnectorError):
        raise resp
    if not resp.is_error:
        return resp
    if listed:
        raise error_of(resp, what)
    return None


class _Batch:
    """Commands keyed by what they ask, each sent once; answers looked up by the same key."""

    def __init__(self) -> None:
        self.keys: list[Key] = []
        self.commands: list[Command] = []
        self.answers: dict[Key, Answer] = {}
        self.asked: set[Key] = set()

    def ask(self, key: Key, command: Command) -> None:
        if key not in self.asked:
            self.asked.add(key)
            self.keys.append(key)
            self.commands.append(command)

    def send(self, client: OcipClient, concurrency: int) -> None:
        docs = [range(i, min(i + MAX_COMMANDS, len(self.commands))) for i in range(0, len(self.commands), MAX_COMMANDS)]

        def one(doc: range) -> None:
            try:
                got: Sequence[Answer] = client.get([self.commands[i] for i in doc])
            except ConnectorError as exc:  # retries exhausted: every customer of the document gets it
                got = [exc] * len(doc)
            for i, answer in zip(doc, got, strict=True):
                self.answers[self.keys[i]] = answer

        if len(docs) <= 1 or concurrency <= 1:
            for d in docs:
                one(d)
            return
        with ThreadPoolExecutor(max_workers=min(concurrency, len(docs)), thread_name_prefix="bw-readback") as pool:
            list(pool.map(one, docs))


def read_back_many(client: OcipClient, customers: Sequence[tuple[str, str]], *, concurrency: int = 1
                   ) -> list[dict[str, Any]]:
    """For each (enterprise id, group id): what the reconciliation needs of BroadWorks, as plain data
    (the keys of ``state.read_back`` the comparison reads, with the same values), or ``{"error": ...}``
    when that customer could not be read back (the others still are)."""
    batch = _Batch()
    for sp, grp in customers:
        batch.ask(("sp", sp), C.sp_list_exact(sp))
        batch.ask(("grp", sp, grp), C.group_list_exact(sp, grp))
        batch.ask(("dns", sp), C.sp_dn_summary(sp))
        batch.ask(("admins", sp), C.sp_admin_list(sp))
    batch.send(client, concurrency)
    out: list[dict[str, Any]] = []
    for sp, grp in customers:
        try:
            out.append(_customer(batch.answers, sp, grp))
        except ConnectorError as exc:
            out.append({"error": str(exc)})
    return out


def _customer(answers: dict[Key, Answer], sp: str, grp: str) -> dict[str, Any]:
    sp_listed = _listed(answers[("sp", sp)], "serviceProviderTable", "Service Provider Id", sp,
                        "ServiceProviderGetListRequest")
    # Groups can only be listed in a provider that exists: with none, the error is the absence.
    grp_answer = answers[("grp", sp, grp)]
    grp_listed = sp_listed and _listed(grp_answer, "groupTable", "Group Id", grp, "GroupGetListInServiceProviderRequest")
    held: dict[str, str] = {}
    dns = _present(answers[("dns", sp)], sp_listed, "ServiceProviderDnGetSummaryListRequest")
    if dns is not None:
        for row in dns.table("dnSummaryTable"):
            for number in expand_dns(row.get("Phone Numbers", "")):
                held[number] = row.get("Group Id", "")
    admins: dict[str, str] = {}
    listed_admins = _present(answers[("admins", sp)], sp_listed, "ServiceProviderAdminGetListRequest14")
    if listed_admins is not None:
        admins = {r["Administrator ID"]: r.get("Administrator Type", "")
                  for r in listed_admins.table("serviceProviderAdminTable")}
    return {
        "enterprise_id": sp,
        "group_id": grp,
        "enterprise_exists": sp_listed,
        "group_exists": grp_listed,
        "numbers": sorted(n for n, g in held.items() if g == grp),
        "numbers_unassigned": sorted(n for n, g in held.items() if not g),
        "admins": admins,
    }
