"""What the command line prints for the flows' plain results: the plan table.

Flows report progress through ``pipeline.progress`` (a callback) and Prefect artifacts; drawing is here.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_plan(console: Console, doc: dict[str, Any], limit: int = 40) -> None:
    t = doc["totals"]
    state = "staged, resuming" if doc["staged"] else "not staged yet (planned in memory)"
    console.print(
        f"batch [bold]{doc['batch']}[/] ({doc['partner']}, {state}): {t['to_send']} customer(s) with steps to send, "
        f"{t['complete']} complete, {t['held']} held; {t['steps']} step(s): "
        + ", ".join(f"{s} {n}" for s, n in t["by_system"].items()),
        highlight=False,
    )
    table = Table("account", "system", "step", "request", "state", "detail")
    for c in doc["customers"][:limit]:
        for system, items in c["steps"].items():
            for item in items:
                state_text = item["state"] + (f": {item['error']}" if item.get("error") else "")
                table.add_row(c["account"], system, item["step"], item["request"], state_text, item["detail"])
    if doc["customers"]:
        console.print(table)
    if len(doc["customers"]) > limit:
        console.print(f"... {len(doc['customers']) - limit} more customer(s): use --json")
    if not doc["customers"]:
        console.print("nothing left to send")
