"""Benchmark (a), one measurement per process (so that peak RSS is that step's own):

    python -m bench.ingest read BOOK          bare fastexcel read of every sheet (the floor)
    python -m bench.ingest stage BOOK HOME    ingest + normalize + validate + stage (flows.migrate.stage_book)

Each prints one JSON line: {"seconds", "peak_rss_mb", ...}.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import fastexcel


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def bare_read(book: Path) -> dict[str, Any]:
    t = time.perf_counter()
    reader = fastexcel.read_excel(book)
    rows = 0
    for name in reader.sheet_names:
        table = reader.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_arrow()
        rows += table.num_rows
    return {"seconds": time.perf_counter() - t, "rows": rows, "peak_rss_mb": peak_rss_mb()}


def stage(book: Path, home: Path) -> dict[str, Any]:
    from core.settings import Settings
    from flows import migrate as M
    from flows import pipeline

    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    with pipeline.open_context(settings, "bench") as ctx:
        t = time.perf_counter()
        prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2099-01-01"))
        seconds = time.perf_counter() - t
        # plans are built per chunk while the connectors wait: time one chunk of 500, for the record
        chunks = M.chunks_to_do(ctx, prepared.batch_id, 500)
        t = time.perf_counter()
        M.plan_chunk(ctx, prepared.batch_id, chunks[0], 0) if chunks else 0
        plan_seconds = time.perf_counter() - t
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "totals": prepared.totals,
            "plan_chunk_500_seconds": plan_seconds}


if __name__ == "__main__":
    mode, book = sys.argv[1], Path(sys.argv[2])
    out = bare_read(book) if mode == "read" else stage(book, Path(sys.argv[3]))
    print(json.dumps(out), flush=True)
