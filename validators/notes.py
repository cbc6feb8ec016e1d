"""Rules on what Notes must say (DESIGN §4): SMART_RECORD_INFO_MISSING, FAX_INFO_MISSING (IP fax only),
TOLL_FREE_NOTE_MISSING. The text is read by ``transforms.notes``, the same reading the tickets use, so a
note that passes here is one a ticket can carry."""

from __future__ import annotations

import pandas as pd

from data.catalog import Catalog, Package
from transforms import notes as N
from transforms.normalize import NormalizedOrder, isin
from validators.findings import Finding


def notes_findings(order: NormalizedOrder, catalog: Catalog) -> list[Finding]:
    return [*toll_free_findings(order), *fax_findings(order, catalog), *smart_record_findings(order, catalog)]


def _flagged(pk: pd.DataFrame, catalog: Catalog, flag: str) -> pd.DataFrame:
    """Package rows whose catalog line has ``flag`` set. Normalize wrote names in the catalog's spelling, so one
    vectorized look-up by name narrows a 1M-line sheet to the few candidate rows, checked per distinct pair."""
    names = [p.name for p in catalog.lines if getattr(p, flag)]
    sub = pk[isin(pk["package"], names)] if len(pk) and names else pk.iloc[:0]
    if sub.empty:
        return sub
    pairs = set(zip(sub["order_type"].tolist(), sub["package"].tolist(), strict=True))
    hit = ["\x00".join(p) for p in pairs if _flag(catalog.package(*p), flag)]
    return sub[isin(sub["order_type"] + "\x00" + sub["package"], hit)] if hit else sub.iloc[:0]


def _flag(p: Package | None, flag: str) -> bool:
    return bool(p is not None and getattr(p, flag))


def _customer_notes(order: NormalizedOrder) -> dict[str, str]:
    cust = order.sheets["Customers"]
    named = cust[cust["notes"].ne("")]
    return {str(k): str(v) for k, v in named.groupby("_account_key")["notes"].agg("\n".join).items()}


def smart_record_findings(order: NormalizedOrder, catalog: Catalog) -> list[Finding]:
    lines = _flagged(order.sheets["Packages"], catalog, "needs_record_number")
    if lines.empty:
        return []
    cnotes = _customer_notes(order)
    out: list[Finding] = []
    for row, acct, key, pkg, notes in zip(lines["_row"], lines["account_name"], lines["_account_key"],
                                          lines["package"], lines["notes"], strict=True):
        if N.record_numbers(notes, cnotes.get(key, "")):
            continue
        out.append(Finding.of("SMART_RECORD_INFO_MISSING", "Packages", row, "Notes",
                              f"Package '{pkg}' records calls of the phone numbers you name: write them in this line's Notes "
                              "(e.g. 'Record 512-555-0100, 512-555-0101'), or in Customers.Notes as "
                              "'Smart Record: 512-555-0100'.", acct, notes))
    return out


def fax_findings(order: NormalizedOrder, catalog: Catalog) -> list[Finding]:
    """An IP-fax line or DID (faxes delivered by e-mail) needs the address; an ATA fax line needs none."""
    dids, pk, cust = order.sheets["DIDs"], order.sheets["Packages"], order.sheets["Customers"]
    has_email: set[str] = set(cust.loc[cust["notes"].str.contains(N.EMAIL.pattern, regex=True),
                                       "_account_key"].tolist())
    has_email |= set(dids.loc[dids["fax_email"].ne(""), "_account_key"].tolist())
    fax_lines = pk[pk["order_type"].eq("Fax Service")] if not pk.empty else pk
    if len(fax_lines):
        has_email |= set(fax_lines.loc[fax_lines["notes"].str.contains(N.EMAIL.pattern, regex=True),
                                       "_account_key"].tolist())
    ip_lines = _flagged(fax_lines, catalog, "needs_fax_email")
    # A Fax DID is an IP-fax number unless every fax line its customer orders is an ATA line.
    ata_only = set(fax_lines["_account_key"].tolist()) - set(ip_lines["_account_key"].tolist())
    out: list[Finding] = []
    fax_dids = dids[dids["purpose"].eq("Fax") & dids["fax_email"].eq("")
                    & ~isin(dids["_account_key"], has_email | ata_only)]
    for row, acct in zip(fax_dids["_row"], fax_dids["account_name"], strict=True):
        out.append(Finding.of("FAX_INFO_MISSING", "DIDs", row, "Fax Email",
                              "Fax DID for IP fax without a fax email: enter the address faxes are delivered to in "
                              "Fax Email.", acct))
    bad = ip_lines[~isin(ip_lines["_account_key"], has_email)] if len(ip_lines) else ip_lines
    for row, acct, pkg in zip(bad["_row"], bad["account_name"], bad["package"], strict=True):
        out.append(Finding.of("FAX_INFO_MISSING", "Packages", row, "Notes",
                              f"Package '{pkg}' delivers faxes by e-mail and needs the address: write it in this line's "
                              "Notes (or in DIDs.Fax Email).", acct))
    return out


def toll_free_findings(order: NormalizedOrder) -> list[Finding]:
    pk = order.sheets["Packages"]
    tf_keys = set(order.sheets["Toll Free"]["_account_key"].tolist())
    lines = pk[pk["order_type"].eq("Toll Free Service") & ~isin(pk["_account_key"], list(tf_keys))]
    out: list[Finding] = []
    for row, acct, notes in zip(lines["_row"], lines["account_name"], lines["notes"], strict=True):
        if N.toll_free_request(notes) is not None:
            continue
        out.append(Finding.of("TOLL_FREE_NOTE_MISSING", "Packages", row, "Notes",
                              "Toll Free Service line: say in Notes the toll-free number being ported (e.g. "
                              "'Port 800-555-0199, needed by 2027-02-01') or 'New' for a new number and when it is "
                              "required, or add a row on the Toll Free sheet.", acct, notes))
    return out
