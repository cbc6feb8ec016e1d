"""Benchmark (a), one measurement per process (so that peak RSS is that step's own):

    python -m bench.ingest read BOOK          bare fastexcel read of the sheets the pipeline reads, every
                                              sheet as strings, with the pipeline's threads (the floor)
    python -m bench.ingest stage BOOK HOME    ingest + normalize + validate + stage (pipeline.migrate.stage_book)
    python -m bench.ingest validate BOOK HOME ``onboard validate --json BOOK`` as a whole process (start-up,
                                              imports and the JSON on stdout included), timed from outside

Each prints one JSON line: {"seconds", "peak_rss_mb", ...}.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import fastexcel


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux: KiB


def bare_read(book: Path) -> dict[str, Any]:
    """The floor: what ``transforms.ingest`` asks of fastexcel (row 1 as data, every cell a string, the
    sheets it knows, a reader per thread and as many threads), and nothing else."""
    from data.sheets import find_sheet
    from transforms.ingest import read_order_of, read_workers

    t, cpu = time.perf_counter(), time.process_time()
    reader = fastexcel.read_excel(book)
    names = read_order_of(book, [n for n in reader.sheet_names if find_sheet(n) is not None])

    def load(name: str) -> int:
        own = reader if name == names[0] else fastexcel.read_excel(book)
        return int(own.load_sheet(name, header_row=None, skip_rows=0, dtypes="string").to_arrow().num_rows)

    workers = read_workers(len(names))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        rows = sum(pool.map(load, names))
    return {"seconds": time.perf_counter() - t, "cpu_seconds": time.process_time() - cpu, "rows": rows,
            "sheets": names, "threads": workers, "peak_rss_mb": peak_rss_mb()}


def stage(book: Path, home: Path) -> dict[str, Any]:
    from core.settings import Settings
    from pipeline import batch as pipeline
    from pipeline import migrate as M

    shutil.rmtree(home, ignore_errors=True)
    settings = Settings(home=home)
    with pipeline.open_context(settings, "bench") as ctx:
        t, cpu = time.perf_counter(), time.process_time()
        prepared = M.stage_book(ctx, book, M.MigrateOptions(cutover="2099-01-01"))
        seconds, cpu_seconds = time.perf_counter() - t, time.process_time() - cpu
        # plans are built per chunk while the connectors wait: time one chunk of 500, for the record
        chunks = M.chunks_to_do(ctx, prepared.batch_id, 500)
        t = time.perf_counter()
        M.plan_chunk(ctx, prepared.batch_id, chunks[0], 0) if chunks else 0
        plan_seconds = time.perf_counter() - t
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_mb": peak_rss_mb(), "totals": prepared.totals,
            "plan_chunk_500_seconds": plan_seconds}


def validate_cli(book: Path, home: Path) -> dict[str, Any]:
    """``onboard validate --json`` in a child process of its own; its peak RSS is the only child's."""
    shutil.rmtree(home, ignore_errors=True)
    exe = Path(sys.executable).with_name("onboard")
    env = {**os.environ, "ONBOARD_HOME": str(home)}
    t = time.perf_counter()
    out = subprocess.run([str(exe), "validate", "--json", str(book)], capture_output=True, env=env, check=False)
    seconds = time.perf_counter() - t
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode not in (0, 1):
        raise SystemExit(f"onboard validate exited {out.returncode}: {out.stderr.decode(errors='replace')[-500:]}")
    doc = json.loads(out.stdout)
    return {"seconds": seconds, "cpu_seconds": used.ru_utime + used.ru_stime,
            "peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN), "exit": out.returncode,
            "customers": doc["customers"], "findings": len(doc["findings"]), "stdout_bytes": len(out.stdout)}


if __name__ == "__main__":
    mode, book = sys.argv[1], Path(sys.argv[2])
    if mode == "read":
        out = bare_read(book)
    elif mode == "stage":
        from core.lean import skip_test_libraries

        skip_test_libraries()  # as in the `onboard` process this stands for (onboard.cli.main)
        out = stage(book, Path(sys.argv[3]))
    else:
        out = validate_cli(book, Path(sys.argv[3]))
    print(json.dumps(out), flush=True)
