"""``make bench`` / ``python -m bench [--customers N] ...``: every figure is a ratio measured in this run.

(a) ingest + validate + stage of an N-customer migration book / a bare fastexcel read of the same file
    (the same sheets, every one as strings, with the same threads), and the staging step's peak RSS; the
    same for ``onboard validate --json`` on that book as a whole process (start-up and output included).
    Each measurement runs in a process of its own, ``--repeat`` times interleaved; the table shows medians
    (the machine is shared: its load drifts);
(b) customers per second against the simulators with latency injected / the ideal
    concurrency / (round trips per customer x latency), with the round trips per customer counted by
    the simulators;
(c) the nightly end to end over an N-customer book seeded straight into the simulators' state and staging
    (seeding not counted), 100 ms latency per request, 16 sessions: minutes, and read-back requests per
    customer counted by the simulators;
(d) Prefect task runs per 1,000 customers of a whole ``migrate_book`` run, and of a ``nightly_finance`` run;
(s) the fixed start-up of a one-customer ``onboard run`` (issue 16): its wall time minus ``validate``'s minus the
    flow run's own, with a Prefect server answering (warm, as under ``onboard serve``) and without (cold).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from data.samples.generate import write_big_book

TARGETS = {"a": 1.5, "rss": 1.2 * 1024, "b": 0.8, "c": 10.0, "c_requests": 1.0, "d": 2.0, "s": 3.0}


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
    p.add_argument("--readback-customers", type=int, default=100_000,
                   help="(c) customers of the seeded book the nightly reads back (default 100000)")
    p.add_argument("--flow-customers", type=int, default=1000, help="(d) customers of the flow run (default 1000)")
    p.add_argument("--nightly-customers", type=int, default=2000,
                   help="(d) customers of the nightly flow run (default 2000)")
    p.add_argument("--only", default="abcds", help="which benchmarks to run, e.g. 'a' or 'bd'")
    p.add_argument("--repeat", type=int, default=3, help="(a) measurements of each kind; medians are shown")
    p.add_argument("--work", type=Path, default=Path("var/bench"), help="books and data homes (default var/bench)")
    args = p.parse_args(argv)
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[str, str, str, str]] = []
    if "a" in args.only:
        rows += bench_a(work, args.customers, args.lines, args.repeat)
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
            ("(b) BroadWorks round trips / customer", f"{tp['round_trips_by_system']['broadworks']:.2f}", "<= 6",
             "documents of up to 15 commands shared by the chunk's customers, logins included"),
            ("(b) billing requests / customer", f"{tp['round_trips_by_system']['billing']:.2f}",
             f"<= {tp['billing_floor_per_customer'] + 0.05:.2f}",
             f"floor {tp['billing_floor_per_customer']:.2f}: one POST per object + one search "
             "(connectors.billing.steps.request_floor), + login and partner once per chunk"),
        ]
    if "c" in args.only:
        print(f"(c) the nightly over {args.readback_customers} seeded customers ...", flush=True)
        rb = _child("bench.readback", str(work / "home-c"), str(args.readback_customers), str(args.latency_ms),
                    str(args.concurrency))
        by = ", ".join(f"{k} {v:.4f}" for k, v in rb["requests_by_system"].items())
        rows += [
            ("(c) nightly end to end", f"{rb['minutes']:.1f} min", f"<= {TARGETS['c']:.0f} min",
             f"{rb['customers']} customers, concurrency {rb['concurrency']}, {rb['latency_ms']:.0f} ms; "
             f"client CPU {rb['client_cpu_seconds']:.0f} s, peak RSS {rb['peak_rss_mb']:.0f} MB; "
             f"{rb['exceptions']} exceptions found of {rb['seeded_exceptions']} seeded"),
            ("(c) read-back requests / customer", f"{rb['requests_per_customer']:.3f}",
             f"< {TARGETS['c_requests']:.0f} (goal)",
             f"{by} (logins included; no tickets seeded; ticket status: 100 tickets per request)"),
        ]
    if "d" in args.only:
        print("(d) Prefect task runs of a migrate_book run ...", flush=True)
        fb = book(work, args.flow_customers, 3)
        fl = _child("bench.flow", str(fb), str(work / "home-d"), "500")
        rows += [
            ("(d) task runs / 1,000 customers, per stage", f"{fl['max_task_runs_per_1000_per_stage']:.2f}",
             f"<= {TARGETS['d']}", ", ".join(f"{k} {v}" for k, v in fl["by_task"].items())),
            ("(d) task runs / 1,000 customers, all", f"{fl['task_runs_per_1000']:.2f}", "",
             f"{fl['customers']} customers, {fl['provisioned']} provisioned in {fl['seconds']:.0f} s"),
        ]
        print("(d) Prefect task runs of a nightly_finance run ...", flush=True)
        nf = _child("bench.nightly_flow", str(work / "home-dn"), str(args.nightly_customers))
        rows.append(("(d) nightly: task runs / 1,000 customers, per stage", f"{nf['max_task_runs_per_1000_per_stage']:.2f}",
                     f"<= {TARGETS['d']}", ", ".join(f"{k} {v}" for k, v in nf["by_task"].items())
                     + f"; {nf['customers']} customers in {nf['seconds']:.0f} s"))
    if "s" in args.only:
        print("(s) start-up of a one-customer run, warm and cold ...", flush=True)
        st = _child("bench.startup", str(work / "startup"))
        rows += [
            ("(s) run start-up, warm (server answers)", f"{st['warm_startup_s']:.1f} s", f"<= {TARGETS['s']:.0f} s",
             f"run {st['warm_run_s']:.1f} s - validate {st['validate_s']:.1f} s - flow {st['warm_flow_s']:.1f} s"),
            ("(s) run start-up, cold (no server)", f"{st['cold_startup_s']:.1f} s", "",
             f"run {st['cold_run_s']:.1f} s - validate {st['validate_s']:.1f} s - flow {st['cold_flow_s']:.1f} s"),
        ]
    _table(rows)
    return 0


def bench_a(work: Path, customers: int, lines: int, repeat: int) -> list[tuple[str, str, str, str]]:
    print("(a) ingest + validate + stage, and onboard validate --json, vs a bare read ...", flush=True)
    big = book(work, customers, lines)
    reads: list[dict[str, Any]] = []
    stages: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    for _ in range(max(1, repeat)):  # interleaved, so that a change of load hits every kind alike
        reads.append(_child("bench.ingest", "read", str(big)))
        stages.append(_child("bench.ingest", "stage", str(big), str(work / "home-a")))
        checks.append(_child("bench.ingest", "validate", str(big), str(work / "home-v")))
    reads.append(_child("bench.ingest", "read", str(big)))
    read = statistics.median(r["seconds"] for r in reads)
    staged = statistics.median(r["seconds"] for r in stages)
    checked = statistics.median(r["seconds"] for r in checks)
    how = (f"median of {len(reads)} reads / {len(stages)} runs; sheets {', '.join(reads[0]['sheets'])} "
           f"with {reads[0]['threads']} threads in both")

    def cpu(runs: list[dict[str, Any]]) -> str:  # CPU seconds (all threads) suffer less from a loaded machine
        return f"CPU {statistics.median(r['cpu_seconds'] for r in runs):.1f} s"
    rss = max(r["peak_rss_mb"] for r in stages)
    rss_v = max(r["peak_rss_mb"] for r in checks)
    return [
        ("(a) stage / bare read", f"{staged / read:.2f}x", f"<= {TARGETS['a']}x",
         f"{staged:.1f} s / {read:.1f} s ({cpu(stages)} / {cpu(reads)}), {customers} customers x {lines} lines; {how}"),
        ("(a) peak RSS, staging", f"{rss:.0f} MB", f"<= {TARGETS['rss']:.0f} MB", "highest of the runs"),
        ("(a) onboard validate --json / bare read", f"{checked / read:.2f}x", f"<= {TARGETS['a']}x",
         f"{checked:.1f} s / {read:.1f} s ({cpu(checks)}), the whole process (start-up and output included)"),
        ("(a) peak RSS, onboard validate", f"{rss_v:.0f} MB", f"<= {TARGETS['rss']:.0f} MB", "highest of the runs"),
        ("(a) plan one chunk of 500", f"{statistics.median(r['plan_chunk_500_seconds'] for r in stages):.2f} s", "",
         "plans are built per chunk during provisioning"),
    ]


def _table(rows: list[tuple[str, str, str, str]]) -> None:
    head = ("measure", "value", "target", "detail")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print()
    for r in [head, None, *rows]:
        print(line if r is None else "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


if __name__ == "__main__":
    raise SystemExit(main())
