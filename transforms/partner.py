"""Which partner an order belongs to (DESIGN §3): ``--partner``, else the Partner ID column (one value per
file), else ``default``, but only while ``default`` is the only partner configured (issue 12): with several
partners, an order that names none is refused rather than filed under the wrong one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data.partners import Partner, PartnerError, load_partners, resolve_partner
from transforms.errors import InputError


def choose_partner(raw_customers: pd.DataFrame | None, given: str | None, partners_file: Path) -> Partner:
    try:
        partners = load_partners(partners_file)
        if given:
            return resolve_partner(partners, given)
        if raw_customers is not None and "partner_id" in raw_customers.columns:
            # per distinct value (a 100k-customer book names one partner): not a Python pass over every row
            values = sorted({str(v).strip() for v in raw_customers["partner_id"].unique() if str(v).strip()})
            if len(values) > 1:
                raise InputError(
                    f"Customers.Partner ID holds several partners ({', '.join(values)}): one partner per file, "
                    "or pass --partner"
                )
            if values:
                return resolve_partner(partners, values[0])
        others = sorted(p.partner_id for p in partners.values() if p.partner_id.casefold() != "default")
        if others:
            raise InputError(
                f"the order names no partner (no Partner ID column values) and --partner was not given: pass "
                f"--partner ID (configured partners: {', '.join(['default', *others])})"
            )
        return resolve_partner(partners, None)
    except PartnerError as exc:
        raise InputError(str(exc)) from None
