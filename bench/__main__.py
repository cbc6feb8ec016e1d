"""``make bench`` / ``python -m bench [--customers N] ...``: every figure is a ratio measured in this run.

(a) ingest + validate + stage of an N-customer migration book / a bare fastexcel read of the same file,
    and the staging step's peak RSS (each measured in a process of its own);
(b) customers per second against the simulators with latency injected / the ideal
    concurrency / (round trips per customer x latency), with the round trips per customer counted by
    the simulators;
(c) Prefect task runs per 1,000 customers of a whole ``migrate_book`` run;
(d) the fixed start-up of a one-customer ``onboard run``: its wall time minus ``validate``'s minus the flow
    run's own, with a Prefect server answering (warm, as under ``onboard serve``) and without (cold).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from data.samples.generate import write_big_book

TARGETS = {"a": 2.0, "rss": 1536.0, "b": 0.8, "c": 2.0, "d": 3.0}


def _child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", *args], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def book(work: Path, customers: int, lines: int) -> Path:
    path = work / f"book-{customers}x{lines}.xlsx"
    if not path.exists():
        t = time.perf_counter()
        write_big_book(path, customers, lines)
        print(f"  generated {path.name} ({customers} customers, {customers * lines} package lines) "
              f"in {time.perf_counter() - t:.1f} s", flush=True)
    return path


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=100_000, help="(a) book size (default 100000)")
    p.add_argument("--lines", type=int, default=10, help="package lines per customer (default 10)")
    p.add_argument("--latency-ms", type=float, default=100.0, help="(b) latency per request (default 100)")
    p.add_argument("--concurrency", type=int, default=16, help="(b) connector sessions (default 16)")
    p.add_argument("--provision-customers", type=int, default=320, help="(b) customers provisioned (default 320)")
    p.add_argument("--flow-customers", type=int, default=1000, help="(c) customers of the flow run (default 1000)")
    p.add_argument("--only", default="abcd", help="which benchmarks to run, e.g. 'a' or 'bd'")
    p.add_argument("--work", type=Path, default=Path("var/bench"), help="books and data homes (default var/bench)")
    args = p.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    if "a" in args.only:
        print("(a) ingest + validate + stage vs bare read ...", flush=True)
        big = book(work, args.customers, args.lines)
        reads = [_child("bench.ingest", "read", str(big))["seconds"]]
        staged = _child("bench.ingest", "stage", str(big), str(work / "home-a"))
        reads.append(_child("bench.ingest", "read", str(big))["seconds"])
        read = sum(reads) / len(reads)  # before and after: the machine's load drifts
        ratio = staged["seconds"] / read
        rows += [
            ("(a) stage / bare read", f"{ratio:.2f}x", f"<= {TARGETS['a']}x (goal 1.5x)",
             f"{staged['seconds']:.1f} s / {read:.1f} s, {args.customers} customers x {args.lines} lines"),
            ("(a) peak RSS, staging", f"{staged['peak_rss_mb']:.0f} MB", f"<= {TARGETS['rss']:.0f} MB", ""),
            ("(a) plan one chunk of 500", f"{staged['plan_chunk_500_seconds']:.2f} s", "",
             "plans are built per chunk during provisioning"),
        ]
    if "b" in args.only:
        print("(b) throughput against the simulators ...", flush=True)
        small = book(work, args.provision_customers, args.lines)
        tp = _child("bench.throughput", str(small), str(work / "home-b"), str(args.latency_ms), str(args.concurrency))
        by = ", ".join(f"{k} {v:.1f}" for k, v in tp["round_trips_by_system"].items())
        rows += [
            ("(b) achieved / ideal", f"{tp['ratio']:.2f}", f">= {TARGETS['b']}",
             f"{tp['customers_per_s']:.2f} / {tp['ideal_customers_per_s']:.2f} customers/s, concurrency "
             f"{args.concurrency}, {args.latency_ms:.0f} ms"),
            ("(b) round trips / customer", f"{tp['round_trips_per_customer']:.1f}", "", by),
        ]
    if "c" in args.only:
        print("(c) Prefect task runs of a migrate_book run ...", flush=True)
        fb = book(work, args.flow_customers, 3)
        fl = _child("bench.flow", str(fb), str(work / "home-c"), "500")
        rows += [
            ("(c) task runs / 1,000 customers, per stage", f"{fl['max_task_runs_per_1000_per_stage']:.2f}",
             f"<= {TARGETS['c']}", ", ".join(f"{k} {v}" for k, v in fl["by_task"].items())),
            ("(c) task runs / 1,000 customers, all", f"{fl['task_runs_per_1000']:.2f}", "",
             f"{fl['customers']} customers, {fl['provisioned']} provisioned in {fl['seconds']:.0f} s"),
        ]
    if "d" in args.only:
        print("(d) start-up of a one-customer run, warm and cold ...", flush=True)
        st = _child("bench.startup", str(work / "startup"))
        rows += [
            ("(d) run start-up, warm (server answers)", f"{st['warm_startup_s']:.1f} s", f"<= {TARGETS['d']:.0f} s",
             f"run {st['warm_run_s']:.1f} s - validate {st['validate_s']:.1f} s - flow {st['warm_flow_s']:.1f} s"),
            ("(d) run start-up, cold (no server)", f"{st['cold_startup_s']:.1f} s", "",
             f"run {st['cold_run_s']:.1f} s - validate {st['validate_s']:.1f} s - flow {st['cold_flow_s']:.1f} s"),
        ]
    _table(rows)
    return 0


def _table(rows: list[tuple[str, str, str, str]]) -> None:
    head = ("measure", "value", "target", "detail")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print()
    for r in [head, None, *rows]:
        print(line if r is None else "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    raise SystemExit(main())
