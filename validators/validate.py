"""validate_order: every rule of DESIGN §4 over a NormalizedOrder -> ValidationResult."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from core.keys import account_key
from core.known import KnownCustomer
from data.catalog import Catalog
from transforms.normalize import NormalizedOrder, factorize_pairs, isin
from validators import dids as D
from validators import rules as R
from validators.findings import Finding, dedupe, findings_frame
from validators.fingerprint import customer_fingerprints
from validators.notes import notes_findings
from validators.order_kinds import known_findings, required_by_kind
from validators.sheet_checks import order_cells, order_limits
from validators.workbook_checks import no_customers_findings, password_findings


@dataclass(frozen=True)
class Totals:
    total: int
    valid: int
    held: int
    skipped: int

    def as_dict(self) -> dict[str, int]:
        return {"total": self.total, "valid": self.valid, "held": self.held, "skipped": self.skipped}


@dataclass
class ValidationResult:
    findings: list[Finding]  # sorted by sheet (workbook order), row, column, code
    held: set[str]  # account keys with an error (all their rows are held back); "" = a customer row without a name
    skipped: set[str]  # account keys ALREADY_ONBOARDED
    fingerprints: dict[str, str]
    order: NormalizedOrder
    totals: Totals
    valid: set[str] = field(default_factory=set)  # account keys to onboard

    def findings_frame(self) -> pd.DataFrame:
        return findings_frame(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


_key = account_key  # the one account key (core.keys)
_RECOUNTED = {"DID_QUOTA_EXCEEDED", "DID_NO_SEATS"}


def row_totals(keys: pd.Series, held: set[str], skipped: set[str]) -> Totals:
    """Customers rows (not distinct accounts): total = valid + held + skipped, the same in validate and run.
    A row without an Account Name is held; every row of a duplicated account is held (DUPLICATE_ACCOUNT)."""
    is_skipped = isin(keys, list(skipped))
    is_held = (isin(keys, list(held)) | keys.eq("")) & ~is_skipped
    n_skipped, n_held = int(is_skipped.sum()), int(is_held.sum())
    return Totals(len(keys), len(keys) - n_skipped - n_held, n_held, n_skipped)


def validate_order(order: NormalizedOrder, catalog: Catalog, *, existing: Mapping[str, str] | None = None,
                   inventory: pd.DataFrame | None = None, allow_pending_e911: bool = False, migration: bool = False,
                   today: date | None = None, known: Mapping[str, KnownCustomer] | None = None,
                   fingerprints: bool = True) -> ValidationResult:
    """``known``: what earlier batches onboarded (``staging.batches.known_customers``); ``existing`` (account
    key -> fingerprint) is the older, narrower form: customers known only as New Customers.
    ``fingerprints=False``: the order fingerprints are not built unless ``known`` needs them (they only
    decide CUSTOMER_EXISTS / ALREADY_ONBOARDED, and staging keeps them): ``onboard validate`` spares seconds."""
    today = today or date.today()
    if known is None:
        known = {k: KnownCustomer(k, k, "new_customer", k, "", 0, 0, fp) for k, fp in (existing or {}).items()}
    # The fingerprints are hashed in DuckDB, which leaves the GIL: they are built beside the per-cell rules
    # (seconds on a 1M-line book) and their findings go in at the very place they always had.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="validate-side") as side:
        hashing = side.submit(customer_fingerprints, order) if fingerprints or known else None
        pk = order.sheets["Packages"]
        # Packages' (Order Type, Package) factorized once for the catalog and the DID allowance (1M lines)
        pairs = factorize_pairs(pk["order_type"], pk["package"]) if len(pk) else None
        # The DID allowance sums 1M package lines (Arrow and numpy work that leaves the GIL): computed beside
        # the rules below, its findings go in at their usual place.
        allowance = side.submit(D.did_findings, order, catalog, migration=migration, known=known, pairs=pairs)
        found: list[Finding] = list(order.findings)
        # per-sheet rules: those checked ahead in the reader threads are taken as they were (sheet_checks)
        found += required_by_kind(order, order_cells(order, migration=migration))
        found += no_customers_findings(order) + password_findings(order)
        found += order_limits(order)
        found += R.account_findings(order)
        existing_at = len(found)
        found += R.catalog_findings(order, catalog, pairs)
        if not migration:
            found += R.billing_start_findings(order, today)
        found += R.e911_findings(order, allow_pending_e911)
        found += allowance.result()
        found += notes_findings(order, catalog)
        prints = hashing.result() if hashing is not None else {}
    found[existing_at:existing_at] = known_findings(order, known, prints)

    cust = order.sheets["Customers"]
    keys = cust["_account_key"]
    named = set(keys[keys.ne("")].tolist())
    blank_rows = int(keys.eq("").sum())
    skipped = {_key(f.account) for f in found if f.code == "ALREADY_ONBOARDED"} & named
    # A follow-on sent again: what its customer holds already counts its DIDs (they are not asked twice).
    found = [f for f in found if not (f.code in _RECOUNTED and _key(f.account) in skipped)]
    held = ({_key(f.account) for f in found if f.severity == "error"} & named) - skipped
    if blank_rows:
        held.add("")
    if inventory is not None:  # after the other errors: held and skipped customers reserve nothing
        found += D.inventory_findings(order, inventory, held | skipped)
        held |= ({_key(f.account) for f in found if f.severity == "error"} & named) - skipped  # DID_NOT_AVAILABLE
    findings = dedupe(found)
    valid = named - held - skipped
    totals = row_totals(keys, held, skipped)
    return ValidationResult(findings, held, skipped, prints, order, totals, valid)
