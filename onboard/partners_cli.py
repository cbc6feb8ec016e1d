"""``onboard partner add|token|revoke``: the partners who sign in to the portal and their tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from onboard.errors import UsageError, clean_errors

partner_app = typer.Typer(no_args_is_help=True, help="Partners and their portal tokens.")


def _home() -> Path:
    from onboard.settings import load_settings

    return load_settings().home.resolve()


@partner_app.command("add")
@clean_errors
def add(
    partner_id: Annotated[str, typer.Argument(metavar="ID")],
    name: Annotated[str, typer.Option("--name", help="The partner's name.")],
    email: Annotated[str, typer.Option("--email", help="Its notification e-mail address.")],
) -> None:
    """Add a partner (or change its name and e-mail) in <data home>/partners.csv."""
    from data.partners import Partner, add_partner

    path = add_partner(_home(), Partner(partner_id.strip(), name.strip(), email.strip()))
    print(f"partner {partner_id} saved in {path}")


@partner_app.command("token")
@clean_errors
def token(
    partner_id: Annotated[str | None, typer.Argument(metavar="ID", help="The partner the token signs in as.")] = None,
    days: Annotated[int, typer.Option("--days", min=1, help="Days until the token expires.")] = 90,
    operator: Annotated[bool, typer.Option("--operator", help="An operator token: sees every partner, may retry.")] = False,
) -> None:
    """Issue a portal token and print it once (it is stored only hashed)."""
    from data.partners import load_partners, resolve_partner
    from onboard.portal.tokens import TokenStore
    from onboard.settings import load_settings

    if operator == bool(partner_id):
        raise UsageError("give a partner ID, or --operator for an operator token (not both)")
    settings = load_settings()
    home = settings.home.resolve()
    pid = None
    if partner_id:
        pid = resolve_partner(load_partners(settings.partners_file, home), partner_id).partner_id
    secret, rec = TokenStore(home).issue(pid, days)
    who = "operator" if pid is None else f"partner {pid}"
    print(secret)
    typer.echo(f"token id {rec.token_id} for {who}, expires {rec.expires_at}; shown only now: hand it over safely.",
               err=True)


@partner_app.command("revoke")
@clean_errors
def revoke(token_id: Annotated[str, typer.Argument(metavar="TOKEN_ID")]) -> None:
    """Revoke a token by its id: its sessions end at their next request."""
    from onboard.portal.tokens import TokenError, TokenStore

    try:
        rec = TokenStore(_home()).revoke(token_id)
    except TokenError as exc:
        raise UsageError(str(exc)) from None
    print(f"token {rec.token_id} revoked ({rec.revoked_at})")
