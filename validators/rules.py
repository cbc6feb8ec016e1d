"""Cross-sheet rules in plain pandas: accounts, catalog, billing start, E911 (Notes rules: ``validators.notes``)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data.catalog import Catalog
from transforms import values as V
from transforms.customer_codes import codes, listed
from transforms.normalize import NormalizedOrder, factorize_pairs, isin
from transforms.order_kinds import ADD_SERVICES
from validators.findings import Finding, Severity
from validators.order_kinds import keys_of_kind
from validators.suggestions import order_type_hint, package_hint

DUP_ROWS_SHOWN = 5
CHILD_SHEETS = ("Locations", "Packages", "DIDs", "Porting", "Toll Free", "Numbers")


def customer_keys(order: NormalizedOrder) -> set[str]:
    keys = order.sheets["Customers"]["_account_key"]
    return set(keys[keys.ne("")].tolist())


def account_findings(order: NormalizedOrder) -> list[Finding]:
    out: list[Finding] = []
    cust = order.sheets["Customers"]
    ckeys = cust["_account_key"]
    # every sheet's rows as positions among the named customers (transforms.customer_codes), made once per
    # sheet and shared with the plan inputs: the look-ups below are array indexing, not hash look-ups
    names = listed(ckeys)
    own = names.own
    is_named = own >= 0
    named = cust[is_named]
    seen = np.bincount(own[is_named], minlength=len(names))
    dup = cust[is_named & (seen[np.where(is_named, own, 0)] > 1)]
    # One finding per occurrence, each naming at most a few other rows: linear in the rows (10,000 copies of
    # one name once made one message of 10,000 row numbers per occurrence: 592 MB of JSON).
    rows_of: dict[str, tuple[int, str]] = {
        str(k): (len(r), ", ".join(map(str, r.iloc[:DUP_ROWS_SHOWN]))) for k, r in dup.groupby("_account_key")["_row"]
    }
    for row, acct, k in zip(dup["_row"], dup["account_name"], dup["_account_key"], strict=True):
        n, first = rows_of[k]
        more = f" and {n - DUP_ROWS_SHOWN} more" if n > DUP_ROWS_SHOWN else ""
        out.append(Finding.of("DUPLICATE_ACCOUNT", "Customers", row, "Account Name",
                              f"Account Name '{acct}' appears {n} times on Customers (rows {first}{more}): "
                              "list each customer once; merge the rows or rename one.", acct, acct))
    ordered = np.zeros(len(names), dtype=bool)  # per named customer: a Packages line names it
    for sheet in CHILD_SHEETS:
        f = order.sheets[sheet]
        if f.empty:
            continue
        at = codes(f["_account_key"], ckeys)
        if "_sheet" in f.columns:
            mine = f["_sheet"].eq(sheet).to_numpy(dtype=bool)
            f, at = f[mine], at[mine]
        if sheet == "Packages":
            ordered[at[at >= 0]] = True
        bad = f[f["_account_key"].ne("").to_numpy(dtype=bool) & (at < 0)]
        for row, acct in zip(bad["_row"], bad["account_name"], strict=True):
            out.append(Finding.of("UNKNOWN_ACCOUNT", sheet, row, "Account Name",
                                  f"Account Name '{acct}' is not on the Customers sheet: correct the spelling or add "
                                  "the customer.", acct, acct))
    has_packages = pd.Series(ordered[own[is_named]], index=named.index)  # a duplicated name: one verdict for all
    new_dids = set(order.sheets["DIDs"]["_account_key"].unique().tolist()) & keys_of_kind(order, ADD_SERVICES)
    none = named[~(has_packages | isin(named["_account_key"], list(new_dids)))]  # new DIDs only
    for row, acct in zip(none["_row"], none["account_name"], strict=True):
        out.append(Finding.of("NO_PACKAGES", "Customers", row, "Account Name",
                              f"Customer '{acct}' orders nothing: add its package lines on the Packages sheet.", acct))
    return out


def catalog_findings(order: NormalizedOrder, catalog: Catalog,
                     pairs: tuple[np.ndarray, list[tuple[str, str]]] | None = None) -> list[Finding]:
    """``pairs``: ``factorize_pairs`` of Packages' (Order Type, Package), when the caller has it already."""
    out: list[Finding] = []
    pk = order.sheets["Packages"]
    if pk.empty:
        return out
    names = ", ".join(o for o in catalog.order_type_names()
                      if (t := catalog.order_type(o)) is not None and t.status == "orderable")
    # The verdict depends on (order type, package) only: decide once per distinct pair, then visit just the
    # rows with a problem (a 1M-line book has a few dozen distinct pairs).
    codes, distinct = pairs if pairs is not None else factorize_pairs(pk["order_type"], pk["package"])
    verdicts = {(ot, pkg): _catalog_verdict(catalog, ot, pkg, names) for ot, pkg in distinct}
    bad_codes = [i for i, k in enumerate(distinct) if verdicts[k] is not None]
    if not bad_codes:
        return out
    rows = pk[np.isin(codes, bad_codes)]
    for row, acct, ot, pkg in zip(rows["_row"], rows["account_name"], rows["order_type"], rows["package"],
                                  strict=True):
        v = verdicts[(ot, pkg)]
        assert v is not None
        code, column, msg = v
        out.append(Finding.of(code, "Packages", row, column, msg, acct, pkg if column == "Package" else ot))
    return out


def _catalog_verdict(catalog: Catalog, ot: str, pkg: str, names: str) -> tuple[str, str, str] | None:
    """(code, column, message) for one (order type, package) pair, or None when it is fine."""
    if not ot:
        return None
    t = catalog.order_type(ot)
    if t is None:
        return ("UNKNOWN_ORDER_TYPE", "Order Type",
                f"Order Type '{ot}' is not in the catalog:{order_type_hint(ot, catalog)} Use one of {names}.")
    if t.status == "reserved":
        return ("ORDER_TYPE_RESERVED", "Order Type", f"Order Type '{t.name}' is reserved for the LNP team: list the "
                "numbers to port on the Porting sheet instead of ordering a package.")
    if t.status == "trunking":
        return ("TRUNKING_NOT_SUPPORTED", "Order Type", "SIP Trunking cannot be ordered here: complete the Trunking "
                "Order Form and send it to provisioning (a trunking request ticket is opened).")
    if pkg and catalog.package(t.name, pkg) is None:
        elsewhere = [o for o in catalog.order_type_names() if catalog.package(o, pkg) is not None]
        close = package_hint(pkg, t.name, catalog)
        hint = (f" it is offered under {', '.join(elsewhere)}" if elsewhere
                else f"{close} Check the spelling against the Package dropdown" if close
                else " check the spelling against the order form's package list")
        return "UNKNOWN_PACKAGE", "Package", f"Package '{pkg}' is not offered under Order Type '{t.name}':{hint}."
    return None


def billing_start_findings(order: NormalizedOrder, today: date) -> list[Finding]:
    cust = order.sheets["Customers"]
    iso = today.isoformat()
    d = cust["billing_start_date"]
    past = cust[d.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool) & d.lt(iso)]
    return [Finding.of("BILLING_START_PAST", "Customers", row, "Billing Start Date",
                       f"Billing Start Date {v} is before today ({iso}): the first invoice back-bills from that date. "
                       "Change it if that is not intended.", acct, v)
            for row, acct, v in zip(past["_row"], past["account_name"], past["billing_start_date"], strict=True)
            if V.parse_date(v) is not None]


def e911_findings(order: NormalizedOrder, allow_pending: bool) -> list[Finding]:
    cust = order.sheets["Customers"]
    keys = cust["_account_key"]
    have = isin(keys, order.sheets["Locations"]["_account_key"])  # looked up in Arrow, not boxed into a set
    have |= isin(keys, list(keys_of_kind(order, ADD_SERVICES)))  # its group already has its E911 address
    miss = cust[keys.ne("") & ~have]
    sev: Severity = "warning" if allow_pending else "error"
    tail = (" A pending-E911 ticket is opened; send the address to provisioning as soon as possible."
            if allow_pending else "")
    return [Finding.of("E911_MISSING", "Customers", row, "Notes",
                       f"No E911 address and main number for '{acct}': add a row on the Locations sheet, or write "
                       f"'E911: 100 Main St, Austin, TX 78701; Main 512-555-0100' in Notes.{tail}", acct, notes,
                       severity=sev)
            for row, acct, notes in zip(miss["_row"], miss["account_name"], miss["notes"], strict=True)]

