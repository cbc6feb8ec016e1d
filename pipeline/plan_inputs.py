"""A migration's plan inputs: every customer's normalized rows, kept per sheet in ``<home>/work/<batch>/``
when the book is staged (written beside the validation, so before it is known who is valid), and read back one
chunk of valid customers at a time just before the chunk is planned.

Arrow IPC files, uncompressed, rows sorted by ``_crow`` (the customer's position in the book): writing
one is a copy of the columns (Parquet's encoding cost about a second for a 1M-line book, on the path of
staging), and a chunk's rows are one slice found by binary search in a memory-mapped file. Work folders
written before (``<sheet>.parquet``) are still read."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from staging.secrets import Vault
from transforms import distinct
from transforms.customer_codes import codes

PLAN_SHEETS = ("Customers", "Locations", "Packages", "DIDs", "Porting", "Toll Free", "Numbers")


PASSWORDS = "passwords.arrow.sealed"  # one token: an Arrow IPC stream of (account_key, password)
OLD_PASSWORDS = "passwords.sealed"  # one token: a JSON object account key -> password (folders staged before)


def save_plan_inputs(folder: Path, frames: Mapping[str, pd.DataFrame], vault: Vault) -> None:
    """Every named customer's rows per sheet. Portal passwords are left out of them: they are sealed all in
    one token (``PASSWORDS``; one seal per customer costs 80 us x 100k) and each chunk seals its own into
    ``customers.password_enc`` when it is planned."""
    folder.mkdir(parents=True, exist_ok=True)
    cust = frames["Customers"]
    ckeys = cust["_account_key"]
    save_passwords(folder, cust, vault)
    for sheet in PLAN_SHEETS:
        frame = frames.get(sheet)
        if frame is None:
            continue
        table = _encoded(frame, pa.Table.from_pandas(frame.drop(columns=["password"], errors="ignore"),
                                                     preserve_index=False))
        # the customer's position in the book (null: a row without a listed customer), then sort by it; the
        # codes the validation's account rules use too (transforms.customer_codes: one look-up per sheet)
        at = codes(frame["_account_key"], ckeys)
        crow = pa.array(at, pa.int64(), mask=at < 0)
        table = table.append_column("_crow", crow)
        if crow.null_count:  # a copy of every column: only when some row has no Account Name
            table = table.filter(pc.is_valid(crow))
        at = table["_crow"].to_numpy()
        if len(at) > 1 and bool((at[1:] < at[:-1]).any()):  # a book listed customer by customer is in order already
            table = table.sort_by([("_crow", "ascending")])
        tmp = folder / f".{sheet}.arrow"
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=65_536)
        tmp.replace(folder / f"{sheet}.arrow")


def _encoded(frame: pd.DataFrame, table: pa.Table) -> pa.Table:
    """The columns whose encoding staging knows (``transforms.distinct``: the account names and keys, Order
    Type and Package of 1M package lines) written as dictionaries: a third of the bytes, and of the write."""
    for i, name in enumerate(table.column_names):
        got = distinct.encoding(frame[name]) if name in frame.columns else None
        if got is not None:
            codes, uniques = got
            table = table.set_column(i, name, pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), uniques))
    return table


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary columns back to the text they encode: a chunk's frames have the dtypes staging saw."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, pc.cast(table.column(i), field.type.value_type))
    return table


def save_passwords(folder: Path, customers: pd.DataFrame, vault: Vault) -> None:
    """Each named customer's portal password (the first row of its name), all sealed in one token. An Arrow
    stream: a copy of two columns (a JSON object of 100k passwords took 0.2 s to write on staging's path)."""
    named = customers[customers["_account_key"].astype("str").ne("")].drop_duplicates("_account_key")
    table = pa.table({"account_key": pa.array(named["_account_key"].astype("str").array, pa.large_string()),
                      "password": pa.array(named["password"].astype("str").array, pa.large_string())})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    tmp = folder / f".{PASSWORDS}"
    tmp.write_bytes(vault.seal_bytes(sink.getvalue().to_pybytes()))
    tmp.replace(folder / PASSWORDS)


def load_passwords(folder: Path, keys: Sequence[str], vault: Vault) -> dict[str, str]:
    """The portal passwords of ``keys`` (account keys) from the batch's sealed token; none without one."""
    path, old = folder / PASSWORDS, folder / OLD_PASSWORDS
    if path.exists():
        table = pa.ipc.open_stream(vault.open_bytes(path.read_bytes())).read_all()
        mine = table.filter(pc.is_in(table["account_key"], value_set=pa.array(list(keys), pa.large_string())))
        return dict(zip(mine["account_key"].to_pylist(), mine["password"].to_pylist(), strict=True))
    if old.exists():
        clear: dict[str, str] = json.loads(vault.open(old.read_text(encoding="utf-8")))
        return {k: clear[k] for k in keys if k in clear}
    return {}


def chunk_frames(folder: Path, keys: Sequence[str]) -> dict[str, pd.DataFrame]:
    """The chunk's rows of every sheet (the ``_crow`` range of its customers, sliced out of each file), with
    the dtypes the normalized frames had."""
    wanted = set(keys)
    cust = _read(folder, "Customers", ["_account_key", "_crow"])
    if cust is None:
        raise FileNotFoundError(folder / "Customers.arrow")
    where = cust.filter(pc.is_in(cust["_account_key"], value_set=pa.array(sorted(wanted), pa.string())))["_crow"]
    lo, hi = pc.min(where).as_py(), pc.max(where).as_py()
    out: dict[str, pd.DataFrame] = {}
    for sheet in PLAN_SHEETS:
        table = _read(folder, sheet, None, (lo, hi))
        if table is None:
            continue
        frame = table.to_pandas()  # the dtypes staging saw (the fingerprints are hashed from them)
        out[sheet] = frame[frame["_account_key"].isin(wanted)]
    return out


def _read(folder: Path, sheet: str, columns: list[str] | None, span: tuple[int, int] | None = None) -> pa.Table | None:
    arrow, parquet = folder / f"{sheet}.arrow", folder / f"{sheet}.parquet"
    if arrow.exists():
        with pa.memory_map(str(arrow)) as source:
            table = pa.ipc.open_file(source).read_all()
            if columns is not None:
                table = table.select(columns)
            if span is not None:  # rows sorted by _crow: one slice
                crow = table["_crow"].to_numpy()
                a, b = np.searchsorted(crow, span[0], "left"), np.searchsorted(crow, span[1], "right")
                table = table.slice(int(a), int(b - a))
            return _decoded(table.combine_chunks())  # its own buffers: the map is closed below
    if parquet.exists():  # a work folder staged before the Arrow files
        filters = [("_crow", ">=", span[0]), ("_crow", "<=", span[1])] if span is not None else None
        return _decoded(pq.read_table(parquet, columns=columns, filters=filters))
    return None
