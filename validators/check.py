"""The one function from a read workbook (or CSV folder) to findings + valid customers (+ their plans).

``onboard validate``, ``onboard plan``, ``onboard run``, ``onboard migrate`` and the partner portal all
call ``check_order``: normalize -> validate (cross-sheet rules, what staging knows passed in as data:
onboarded customers, free inventory) -> held / skipped / valid. ``plan_valid`` then turns the valid
customers into plans, given the numbers a reservation granted. Nothing here reads or writes staging.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from core.keys import account_key
from core.known import KnownCustomer
from data.catalog import Catalog, load_catalog
from data.partners import Partner
from transforms.follow_on import FollowOnBase
from transforms.ingest import RawOrder
from transforms.normalize import NormalizedOrder, isin, normalize
from transforms.plan import NumberGrant, PlanInputs, build_plans
from validators.sheet_checks import ready
from validators.validate import ValidationResult, validate_order


@dataclass(frozen=True)
class Checked:
    result: ValidationResult
    findings: pd.DataFrame
    held: frozenset[str]  # account keys held back (with all-or-nothing: every customer not skipped)
    valid: list[str]  # account keys to onboard, in sheet order
    pending_e911: frozenset[str]  # account keys let through with a pending-E911 warning

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        return self.result.order.sheets

    @property
    def skipped(self) -> frozenset[str]:
        return frozenset(self.result.skipped)


def warm_up(*, migration: bool = False) -> None:
    """What the first check of a process pays once, done ahead (on a side thread while calamine reads the
    workbook without the GIL): pandera registers its backends on the first ``validate`` (importing its
    strategies and hypothesis: about a second), the schemas are built, the catalog is loaded."""
    load_catalog()
    ready(migration)


def check_order(raw: RawOrder, *, existing: Mapping[str, str] | None, inventory: pd.DataFrame | None,
                allow_pending_e911: bool = False, all_or_nothing: bool = False, migration: bool = False,
                catalog: Catalog | None = None, today: date | None = None,
                known: Mapping[str, KnownCustomer] | None = None, fingerprints: bool = True,
                on_normalized: Callable[[NormalizedOrder], None] | None = None) -> Checked:
    """Findings and the valid customers of one order; ``inventory`` (free numbers) is given for
    migrations too, so a specific number that is not free is DID_NOT_AVAILABLE there as well. ``known``:
    what earlier batches onboarded (``staging.batches.known_customers``, or ``staging.snapshot.read_known``
    while a run holds the database); ``existing`` is its older form (account key -> fingerprint)."""
    catalog = catalog or load_catalog()
    order, _ = normalize(raw, catalog)  # its findings travel inside the order
    if on_normalized is not None:  # staging starts its loads beside the validation (pipeline.stage)
        on_normalized(order)
    result = validate_order(order, catalog, existing=existing, inventory=inventory, known=known,
                            allow_pending_e911=allow_pending_e911, migration=migration, today=today,
                            fingerprints=fingerprints)
    findings = result.findings_frame()
    keys = result.order.sheets["Customers"]["_account_key"]
    held = set(result.held)
    if all_or_nothing and held:
        held |= set(keys) - set(result.skipped)
    # The valid keys in sheet order, picked in Arrow (a Python test per row costs 0.1 s per 100k customers):
    # result.valid is the named keys less the held and skipped ones, so the look-up set is a few errors.
    valid = list(dict.fromkeys(keys[keys.ne("") & ~isin(keys, list(held | result.skipped))].tolist()))
    warned = findings.loc[(findings["code"] == "E911_MISSING") & (findings["severity"] == "warning"), "account"]
    return Checked(result, findings, frozenset(held), valid, frozenset(account_key(str(a)) for a in warned))


def plan_valid(checked: Checked, partner: Partner, batch_id: str, *,
               numbers: Mapping[str, list[NumberGrant]] | None = None,
               backorders: Mapping[str, list[tuple[str, str, int]]] | None = None,
               ids: Mapping[str, Mapping[str, str]] | None = None, cutover: str | None = None,
               catalog: Catalog | None = None, follow_on: Mapping[str, FollowOnBase] | None = None,
               received: str = "") -> dict[str, dict[str, object]]:
    """Plans of the valid customers (account key -> plan dict in ``core.order.CustomerOrder``'s shape)."""
    return build_plans(checked.frames, checked.valid, PlanInputs(
        partner, catalog or load_catalog(), batch_id, numbers=dict(numbers or {}), backorders=dict(backorders or {}),
        pending_e911=checked.pending_e911, cutover=cutover, ids=ids or {}, follow_on=follow_on or {},
        received=received))
