"""What the command line prints, apart from tables: JSON, exit codes, help style (DESIGN §7).

Kept free of pandas, duckdb and Prefect: ``onboard --help`` and ``--version`` import this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from onboard.errors import EXIT_HELD, EXIT_OK

if TYPE_CHECKING:
    from rich.console import Console

_BATCH_ID = re.compile(r"[0-9a-f]{16}")


def print_json(doc: Any) -> None:
    """JSON only on stdout (``--json``): one document, nothing else (progress and notes go to stderr)."""
    print(json.dumps(doc, ensure_ascii=False, default=str))


def exit_code(customers: Mapping[str, Any]) -> int:
    """One rule for `run`, `retry` and `migrate`: 0 when every valid customer is done in every system,
    1 when some are held back or failed (or not finished). Usage and unusable input exit 2 elsewhere."""
    c = {k: int(v or 0) for k, v in customers.items()}
    valid = c.get("valid", 0)
    unfinished = c.get("provisioned", valid) < valid or c.get("billed", valid) < valid
    return EXIT_HELD if c.get("held", 0) or c.get("failed", 0) or unfinished else EXIT_OK


def looks_like_batch(target: str) -> bool:
    """A batch id as `onboard status` lists it (first 16 hex digits of a SHA-256, DESIGN §5)."""
    return bool(_BATCH_ID.fullmatch(target))


def help_style() -> None:
    """Arguments in help as one UPPERCASE placeholder, like options' metavars (``FILE``, not ``{FILE}`` nor
    ``FILE <path>``). Typer 0.29 (pinned in pyproject.toml) decorates arguments its own way in the usage line
    and the arguments list; the two hooks below are its own methods, so a Typer upgrade that renames them
    leaves its default style (and tests/onboard/test_cli_help.py says so) rather than breaking the CLI."""
    from typer import core

    arg = getattr(core, "TyperArgument", None)
    if arg is None or getattr(arg, "_onboard_style", False):
        return

    def usage_name(self: Any) -> str:
        name = str(self.metavar or self.name or "").upper()
        name += "..." if self.nargs != 1 and not name.endswith("...") else ""
        return name if self.required else f"[{name}]"

    def rich_name(self: Any) -> str:
        return str(self.metavar or self.name or "").upper()

    if hasattr(arg, "_usage_display_name"):
        arg._usage_display_name = usage_name
    if hasattr(arg, "_rich_display_name"):
        arg._rich_display_name = rich_name
    if hasattr(arg, "display_type_rich"):
        arg.display_type_rich = lambda self, ctx: None
    arg._onboard_style = True


def print_migrate(console: Console, doc: dict[str, Any]) -> None:
    c = doc["customers"]
    if doc.get("chunks") == 0:
        console.print("nothing left to send: every customer of the book is done or held")
    console.print(
        f"migrated {len(doc['batches'])} batch(es), cutover {doc['cutover']}: {c.get('total', 0)} customers, "
        f"{c.get('valid', 0)} valid, {c.get('held', 0)} held, {c.get('skipped', 0)} skipped; "
        f"{c.get('provisioned', 0)} provisioned, {c.get('billed', 0)} billed, {c.get('failed', 0)} failed"
    )
    for b in doc["batches"]:
        bc = b["customers"]
        console.print(f"  batch {b['batch']}: {bc['valid']} valid, {bc['held']} held, {bc['failed']} failed; "
                      f"report {b.get('report') or '-'}")
        if b.get("errors"):
            console.print(f"    annotated workbook: {b['errors']}\n    held-back rows: {b['held_back']}")


def print_nightly(console: Console, doc: dict[str, Any]) -> None:
    console.print(
        f"nightly {doc['date']}: {doc['customers']} customers, {doc['new_accounts']} new accounts, "
        f"{doc['first_invoices']} first invoices"
    )
    console.print(f"MRC expected {doc['expected_mrc']:.2f}, billed {doc['billed_mrc']:.2f}; "
                  f"NRC expected {doc['expected_nrc']:.2f}, billed {doc['billed_nrc']:.2f}")
    kinds = ", ".join(f"{n} {k}" for k, n in doc.get("by_kind", {}).items())
    console.print(f"{doc['exceptions']} exception(s) ({doc['new']} new, {doc['still_open']} still open, "
                  f"{doc['resolved']} resolved)" + (f": {kinds}" if kinds else ""))
    console.print(f"nightly workbook: {doc['workbook']}")
