"""The customers rows of a staged batch: one per account key (its first row on the Customers sheet).

Built in Arrow: the columns stay Arrow text from the sheet to DuckDB, and what holds per customer (status,
codes, fingerprint) is looked up for the few keys it concerns (a Python pass over 100k keys per column cost a
quarter of a second)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.keys import account_key
from pipeline import follow_on
from staging.secrets import Vault
from transforms.distinct import isin
from transforms.follow_on import FollowOnBase


@dataclass(frozen=True)
class Outcome:
    """What validation (and the follow-on screen) decided per account key."""

    held: frozenset[str] = frozenset()
    skipped: frozenset[str] = frozenset()
    codes: Mapping[str, str] = field(default_factory=dict)  # the error codes that hold it, comma-separated
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    bases: Mapping[str, FollowOnBase] = field(default_factory=dict)  # what a follow-on order builds on

    @classmethod
    def of(cls, held: Iterable[str], skipped: Iterable[str], findings: pd.DataFrame,
           fingerprints: Mapping[str, str], bases: Mapping[str, FollowOnBase] | None = None) -> Outcome:
        errors = findings[findings["severity"] == "error"]
        codes = (errors.assign(k=errors["account"].map(lambda a: account_key(str(a))))
                 .groupby("k")["code"].agg(lambda s: ",".join(sorted(set(s)))))
        return cls(frozenset(held), frozenset(skipped), {str(k): str(v) for k, v in codes.items()},
                   dict(fingerprints), dict(bases or {}))


def first_rows(cust: pd.DataFrame) -> pd.DataFrame:
    return cust.drop_duplicates("_account_key")


def customer_rows(bid: str, partner_id: str, first: pd.DataFrame, outcome: Outcome, vault: Vault, *,
                  seal: bool = True, cutover: str | None = None) -> pa.Table:
    """The rows of ``first`` (first rows, one per account key), as the customers table takes them."""
    keys = first["_account_key"].astype("str")
    status = np.full(len(first), "valid", dtype=object)
    status[isin(keys, list(outcome.held)).to_numpy()] = "held"
    status[isin(keys, list(outcome.skipped)).to_numpy()] = "skipped"
    orders = follow_on.order_columns(first, outcome.fingerprints, outcome.bases)  # each order's kind and key
    text = {
        "account_key": keys, "account": first["account_name"].astype("str"),
        "codes": _looked_up(keys, outcome.codes), "fingerprint": _looked_up(keys, outcome.fingerprints),
        "billing_type": orders["billing_type"], "order_kind": orders["order_kind"], "order_key": orders["order_key"],
    }
    table = pa.table({
        "batch_id": pa.repeat(pa.scalar(bid, pa.string()), len(first)),
        "partner_id": pa.repeat(pa.scalar(partner_id, pa.string()), len(first)),
        **{name: pa.array(col.astype("str").array, pa.string()) for name, col in text.items()},
        "row": pa.array(first["_row"].to_numpy(dtype="int64")),
        "status": pa.array(status, pa.string()),
        # a migration bills from its cutover date, whatever the sheet says (never back-billed)
        "billing_start": (pa.repeat(pa.scalar(date.fromisoformat(cutover), pa.date32()), len(first)) if cutover
                          else _iso_dates(first["billing_start_date"])),
    })
    codes_col = pc.if_else(pc.and_(pc.equal(table["status"], "held"), pc.equal(table["codes"], "")),
                           pa.scalar("ALL_OR_NOTHING"), table["codes"])
    table = table.set_column(table.schema.get_field_index("codes"), "codes", codes_col)
    # a migration's passwords are sealed per chunk when it is planned (pipeline.migrate.plan_chunk)
    sealed = ([vault.seal(p) if state == "valid" and p else None
               for p, state in zip(first["password"].tolist(), status.tolist(), strict=True)]
              if seal else [None] * len(first))
    return table.append_column("password_enc", pa.array(sealed, pa.string()))


def _looked_up(keys: pd.Series, found: Mapping[str, str]) -> pd.Series:
    """``keys.map(found).fillna("")``, looked up only for the keys that ``found`` holds (most hold none)."""
    out = np.full(len(keys), "", dtype=object)
    if found:
        hit = isin(keys, list(found)).to_numpy()
        out[hit] = [found[k] for k in keys[hit].tolist()]
    return pd.Series(out, index=keys.index, dtype="str")


def _iso_dates(col: pd.Series) -> pa.Array:
    """YYYY-MM-DD text as dates (anything else null), parsed once per distinct value."""
    codes, uniques = pd.factorize(col.astype("str"), use_na_sentinel=True)
    days = pd.to_datetime(pd.Series(uniques, dtype="str"), errors="coerce", format="%Y-%m-%d")
    parsed = pa.array(days.dt.date.tolist(), pa.date32(), mask=days.isna().to_numpy())
    return pc.take(parsed, pa.array(codes, mask=codes < 0))
