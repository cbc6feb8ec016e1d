"""DID rules: seats and allowance, porting overlap, inventory, backorders (fax information: ``validators.notes``)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.known import KnownCustomer
from data.catalog import Catalog
from transforms.distinct import encoding
from transforms.normalize import NormalizedOrder, factorize_pairs, isin
from validators.findings import Finding

_DIGITS = re.compile(r"[0-9]{1,9}")  # Arrow's RE2 ``\d`` is ASCII only; Python's would take other digits


def _qty(s: pd.Series) -> pd.Series:
    """1..9 ASCII digits as int64, anything else 0: parsed once per distinct value (a 1M-line column holds a
    few dozen), where ``to_numeric`` parses every string in Python."""
    codes, uniques = pd.factorize(s, use_na_sentinel=False)
    parsed = np.array([int(u) if isinstance(u, str) and _DIGITS.fullmatch(u) else 0 for u in uniques.tolist()],
                      dtype="int64")
    return pd.Series(parsed[codes] if len(parsed) else np.zeros(len(s), dtype="int64"), index=s.index)


def _count_numbers(s: pd.Series) -> pd.Series:
    return s.str.count(r"\+1").fillna(0).astype("int64")


Pairs = tuple[np.ndarray, list[tuple[str, str]]]  # factorize_pairs of Packages' (Order Type, Package)


def package_totals(order: NormalizedOrder, catalog: Catalog, pairs: Pairs | None = None) -> pd.DataFrame:
    """Per account key: seats, DIDs included by seats, DIDs added by add-on packages."""
    pk = order.sheets["Packages"]
    if pk.empty:
        return pd.DataFrame({"seats": [], "included": [], "adds": []}, dtype="int64")
    # Per distinct (order type, package): is it a seat, DIDs per seat, does it add DIDs; then vectorized
    # (factorize once: iterating or mapping 1M Arrow strings in Python costs seconds).
    idx, distinct = pairs if pairs is not None else factorize_pairs(pk["order_type"], pk["package"])
    lines = [catalog.package(o, p) for o, p in distinct]
    seat = np.array([bool(x and x.seat) for x in lines], dtype=bool)[idx]
    per_seat = np.array([x.dids_included if x else 0 for x in lines], dtype="int64")[idx]
    adds = np.array([bool(x and x.adds_dids) for x in lines], dtype=bool)[idx]
    q = _qty(pk["quantity"]).to_numpy()
    # Summed per account through integer codes: what groupby("_account_key").sum() gave, sorted keys and all,
    # without boxing 1M keys as Python objects, and with ``np.add.at`` (int64, exact): a 1M-row groupby of
    # three columns cost 0.2 s, the three sums cost 15 ms.
    codes, keys = _sorted_codes(pk["_account_key"])
    hit = codes >= 0  # a missing key (NaN) is left out, as groupby's dropna did
    at = codes[hit]

    def per_account(values: np.ndarray) -> np.ndarray:
        out = np.zeros(len(keys), dtype="int64")  # every code 0..n-1 occurs: factorize names only keys there
        np.add.at(out, at, values[hit])
        return out

    return pd.DataFrame({"seats": per_account(np.where(seat, q, 0)),
                         "included": per_account(np.where(seat, q * per_seat, 0)),
                         "adds": per_account(np.where(adds, q, 0))},
                        index=pd.Index(keys, name="_account_key"))


def _sorted_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(s, sort=True)`` (keys as an object array): from the encoding staging keeps beside a
    1M-line key column when there is one (``transforms.distinct``), so 1M strings are not hashed again.
    Arrow sorts text by its UTF-8 bytes, which is code point order, as Python sorts strings."""
    got = encoding(s)
    if got is None:
        codes, keys = pd.factorize(s, sort=True)
        return codes, np.asarray(keys, dtype=object)
    raw, uniques = got
    order = np.asarray(pc.sort_indices(uniques), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank[raw], np.asarray(uniques.take(pa.array(order)).to_pylist(), dtype=object)


def uncounted_lines(order: NormalizedOrder, catalog: Catalog, accounts: set[str]) -> dict[str, str]:
    """Per account key (of ``accounts``): the package lines the allowance could not count, as text.

    A line whose order type or package is not in the catalog, or whose quantity is not a whole number,
    has a finding of its own and adds no seats or DIDs; the DID finding names those lines so the partner
    sees one cause, not two unrelated errors.
    """
    pk = order.sheets["Packages"]
    if pk.empty or not accounts:
        return {}
    mine = pk[isin(pk["_account_key"], accounts)]
    known = {(o, p): catalog.package(o, p) is not None for o, p in set(zip(mine["order_type"], mine["package"],
                                                                          strict=True))}
    bad_qty = ~mine["quantity"].str.fullmatch(r"0*[1-9]\d{0,8}").fillna(False).astype(bool)
    bad_pkg = pd.Series([not known[(o, p)] for o, p in zip(mine["order_type"], mine["package"], strict=True)],
                        index=mine.index, dtype=bool)
    held = mine[bad_qty | bad_pkg]
    parts: dict[str, list[str]] = {}
    for key, row, pkg in zip(held["_account_key"], held["_row"], held["package"], strict=True):
        parts.setdefault(str(key), []).append(f"row {row} ({pkg})" if pkg else f"row {row}")
    return {k: (f" Not counted, because they have findings of their own: Packages {', '.join(v)}; "
                "correct those lines first.") for k, v in parts.items()}


def held_by_add_services(order: NormalizedOrder, known: Mapping[str, KnownCustomer] | None) -> pd.DataFrame:
    """Per account key of an Add Services row: the seats, DID allowance and DIDs its earlier orders gave it
    (issue 19: the allowance of an Add Services order counts what the customer holds plus the new lines)."""
    cust = order.sheets["Customers"]
    if not known or "order_kind" not in cust.columns:
        return pd.DataFrame({"seats": [], "allowance": [], "held": []}, dtype="int64")
    keys = [k for k in cust.loc[cust["order_kind"].eq("add_services"), "_account_key"].tolist() if k in known]
    return pd.DataFrame({"seats": [known[k].seats for k in keys], "allowance": [known[k].did_allowance for k in keys],
                         "held": [known[k].dids for k in keys]}, index=pd.Index(keys, name="_account_key"),
                        dtype="int64")


def did_findings(order: NormalizedOrder, catalog: Catalog, *, migration: bool,
                 known: Mapping[str, KnownCustomer] | None = None, pairs: Pairs | None = None) -> list[Finding]:
    """DID_NO_SEATS, DID_QUOTA_EXCEEDED, DID_IS_PORTING."""
    dids = order.sheets["DIDs"]
    nums = order.sheets["Numbers"]
    out: list[Finding] = []
    if dids.empty and (migration or nums.empty):
        return out
    totals = package_totals(order, catalog, pairs)
    req = pd.concat([_qty(dids["quantity"]), _count_numbers(dids["numbers"])], axis=1).max(axis=1)
    demand = req.groupby(dids["_account_key"]).sum()
    if not migration and not nums.empty:  # outside a migration, own numbers count against the allowance too
        demand = demand.add(nums.groupby("_account_key").size(), fill_value=0)
    # Per account, vectorized; only the accounts with a problem are visited row by row.
    acc = totals.reindex(demand.index, fill_value=0).assign(wanted=demand.astype("int64"))
    acc["allowance"] = acc["included"] + acc["adds"]
    before = held_by_add_services(order, known).reindex(acc.index, fill_value=0)
    acc["seats"] += before["seats"]
    acc["allowance"] += before["allowance"]
    acc["held"] = before["held"]
    acc["wanted"] += acc["held"]
    has_dids = acc.index.isin(dids["_account_key"].unique())
    no_seats = set(acc.index[(acc["seats"] == 0) & has_dids])
    over = acc[~acc.index.isin(list(no_seats)) & (acc["wanted"] > acc["allowance"])]
    why = uncounted_lines(order, catalog, no_seats | {str(k) for k in over.index})
    for row, acct, key in zip(*(dids.loc[isin(dids["_account_key"], no_seats), c]
                                for c in ("_row", "account_name", "_account_key")), strict=True):
        out.append(Finding.of("DID_NO_SEATS", "DIDs", row, "Quantity",
                              f"Customer '{acct}' requests DIDs but orders no seats (user licences): add seat "
                              f"packages on the Packages sheet or remove the DIDs.{why.get(key, '')}", acct))
    follow = set(held_by_add_services(order, known).index)
    msgs = {str(k): (f"requests {w - h} new DIDs beside the {h} it already holds ({w} in all) but its allowance, with "
                     f"the seats and DIDs of its earlier orders, is {a}" if k in follow else
                     f"requests {w} new DIDs but its allowance is {a} ({i} included with its seats + {d} additional)")
            + ": order \"Additional DID's\" (or \"DID Add-On - UC\") for the rest, or request fewer."
            + why.get(str(k), "")
            for k, w, a, i, d, h in zip(over.index, over["wanted"].tolist(), over["allowance"].tolist(),
                                        over["included"].tolist(), over["adds"].tolist(), over["held"].tolist(),
                                        strict=True)}
    rows = dids[isin(dids["_account_key"], list(msgs))]
    for row, acct, key, q, n in zip(rows["_row"], rows["account_name"], rows["_account_key"], rows["quantity"],
                                    rows["numbers"], strict=True):
        col = "Numbers" if n and q == str(n.count("+1")) else "Quantity"
        out.append(Finding.of("DID_QUOTA_EXCEEDED", "DIDs", row, col, f"Customer '{acct}' {msgs[key]}", acct,
                              q if col == "Quantity" else n))
    if not migration:
        own = nums[isin(nums["_account_key"], list(msgs))]
        for row, acct, key, n in zip(own["_row"], own["account_name"], own["_account_key"], own["number"],
                                     strict=True):
            out.append(Finding.of("DID_QUOTA_EXCEEDED", "Numbers", row, "Number", f"Customer '{acct}' {msgs[key]}",
                                  acct, n))
    porting = set(order.sheets["Porting"]["number"].tolist())
    for row, acct, n in zip(dids["_row"], dids["account_name"], dids["numbers"], strict=True):
        both = [x for x in n.split(",") if x in porting] if n else []
        if both:
            out.append(Finding.of("DID_IS_PORTING", "DIDs", row, "Numbers",
                                  f"{', '.join(both)} is also on the Porting sheet: a ported number is not a new DID; "
                                  "remove it from DIDs (the LNP team adds it once ported).", acct, n))
    return out


def inventory_findings(order: NormalizedOrder, inventory: pd.DataFrame, skip: set[str]) -> list[Finding]:
    """DID_NOT_AVAILABLE for specific numbers; DID_BACKORDER where the NPA-NXX has fewer free numbers than
    the customers (in row order, held and skipped ones left out) ask for."""
    dids = order.sheets["DIDs"]
    out: list[Finding] = []
    if dids.empty:
        return out
    free = set(inventory["number"].astype("str").tolist())
    specific: set[str] = set()
    for row, acct, n in zip(dids["_row"], dids["account_name"], dids["numbers"], strict=True):
        parts = [x for x in n.split(",") if x.startswith("+1")] if n else []
        gone = [x for x in parts if x not in free]
        specific.update(x for x in parts if x in free)
        if gone:
            out.append(Finding.of("DID_NOT_AVAILABLE", "DIDs", row, "Numbers",
                                  f"{', '.join(gone)} is not free in our inventory: pick another number or leave "
                                  "Numbers blank to get any free number in that NPA-NXX.", acct, n))
    inv = inventory.assign(npa=inventory["npa"].astype("str"), nxx=inventory["nxx"].astype("str"))
    inv = inv[~inv["number"].astype("str").isin(specific)]
    left = inv.groupby(["npa", "nxx"]).size().to_dict()
    q = _qty(dids["quantity"])
    generic = (q - _count_numbers(dids["numbers"])).clip(lower=0)
    for i in dids.index[generic.gt(0) & ~isin(dids["_account_key"], skip)]:
        r = dids.loc[i]
        k = (str(r["npa"]), str(r["nxx"]))
        have = int(left.get(k, 0))
        want = int(generic.loc[i])
        left[k] = max(have - want, 0)
        if want > have:
            out.append(Finding.of("DID_BACKORDER", "DIDs", int(r["_row"]), "Quantity",
                                  f"Only {have} free number(s) in {k[0]}-{k[1]} for the {want} requested: the rest "
                                  "is backordered (a ticket is opened); the customer is provisioned meanwhile.",
                                  str(r["account_name"]), str(r["quantity"])))
    return out

