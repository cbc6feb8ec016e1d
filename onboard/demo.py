"""`onboard demo`: the shipped sample end to end, on fresh simulators, in ./var/demo."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import typer
from rich.console import Console

from data.samples.generate import SAMPLE

# What the simulated systems hold, counted straight from their state files.
HELD = {
    "broadworks.sqlite": [("enterprises", "sp"), ("groups", "grp"), ("numbers", "dn"), ("admins", "admin")],
    "billing.sqlite": [("billing accounts", "accounts"), ("account packages", "account_packages")],
    "tickets.sqlite": [("tickets", "tickets")],
}


def system_counts(home: Path) -> dict[str, int]:
    import sqlite3

    counts: dict[str, int] = {}
    for file, tables in HELD.items():
        path = home / "sim" / file
        if not path.exists():
            continue
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            for label, table in tables:
                counts[label] = int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        finally:
            con.close()
    return counts

DEMO_HOME = Path("var") / "demo"


def run_demo(console: Console) -> None:
    home = DEMO_HOME.resolve()
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    # The demo always uses its own simulators and data home, whatever is configured.
    os.environ["ONBOARD_HOME"] = str(home)
    for var in ("ONBOARD_BROADWORKS_URL", "ONBOARD_BILLING_URL", "ONBOARD_TICKETS_URL", "ONBOARD_SMTP_URL"):
        os.environ.pop(var, None)
    from onboard import commands

    console.rule("[bold]1. validate the sample order workbook")
    console.print(f"input: {SAMPLE}")
    checked = commands.validate(SAMPLE, None, False, home / "sample-errors.xlsx")
    commands.print_validation(console, checked, limit=20)
    console.rule("[bold]2. run it: stage, provision (BroadWorks sim), bill (billing sim), tickets, report")
    result = commands.run(SAMPLE, None, False, False, show_progress=True)
    result.pop("nothing_left", None)
    commands.print_run(console, result)
    held = system_counts(home)
    console.print("the systems now hold: " + ", ".join(f"{v} {k}" for k, v in held.items()))
    console.rule("[bold]3. run it again: the batch resumes and sends nothing new")
    again = commands.run(SAMPLE, None, False, False, show_progress=False)
    if again.pop("nothing_left", False):
        console.print("nothing left to send: every customer of the batch is done or held")
    commands.print_run(console, again)
    held_again = system_counts(home)
    console.print("the systems now hold: " + ", ".join(f"{v} {k}" for k, v in held_again.items())
                  + (" (unchanged)" if held_again == held else " [red](CHANGED)[/]"))
    c = result["customers"]
    ok = (
        c["valid"] > 0
        and c["provisioned"] == c["valid"]
        and c["billed"] == c["valid"]
        and c["failed"] == 0
        and again["customers"] == c
        and held_again == held
    )
    console.print(f"\nreconciliation workbook: {result['report']}")
    console.print(f"partner error workbook: {checked.get('errors_out')}")
    print_portal_hint(console, home)
    if not ok:
        console.print("[red]the demo did not run as designed[/]")
        raise typer.Exit(1)


def print_portal_hint(console: Console, home: Path) -> None:
    """How to open the partner portal on the demo's data home, with a token for the demo partner."""
    from onboard.portal.tokens import TokenStore
    from onboard.serve import DEFAULT_PORTAL_PORT

    token, rec = TokenStore(home).issue("default", days=1)
    port = os.environ.get("ONBOARD_PORTAL_PORT") or DEFAULT_PORTAL_PORT
    console.rule("[bold]4. the partner portal")
    console.print(f"start it:  ONBOARD_HOME={home} .venv/bin/onboard serve", highlight=False, soft_wrap=True)
    console.print(f"open:      http://127.0.0.1:{port}/  and sign in with the demo token (partner 'default', "
                  f"expires {rec.expires_at[:10]}):", highlight=False, soft_wrap=True)
    console.print(f"           {token}", highlight=False, soft_wrap=True)
    console.print("API:       the same token as 'Authorization: Bearer ...'; the document is at /openapi.json",
                  highlight=False, soft_wrap=True)
