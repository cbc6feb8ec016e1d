"""Sign-in tokens the operator issues: stored hashed in ``<home>/tokens`` (mode 0600), expiring, revocable.

A token reads ``ob_<token id>_<secret>``. Only the id is kept in clear (to find the record and to revoke
it); the secret is kept as SHA-256(salt + secret) with a per-token random salt and compared in constant
time. The token itself is printed once, when issued, and never again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

FILE = "tokens"
DEFAULT_DAYS = 90
PREFIX = "ob"


class TokenError(ValueError):
    """A token command the operator can correct (unknown token id, bad day count)."""


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    partner_id: str | None  # None: an operator token, which sees every partner
    salt: str
    digest: str
    created_at: str
    expires_at: str
    revoked_at: str | None = None

    @property
    def operator(self) -> bool:
        return self.partner_id is None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and datetime.fromisoformat(self.expires_at) > now


@dataclass(frozen=True)
class Principal:
    """Who is signed in: a partner, or an operator (``partner_id`` None)."""

    token_id: str
    partner_id: str | None

    @property
    def operator(self) -> bool:
        return self.partner_id is None

    @property
    def label(self) -> str:
        return "operator" if self.partner_id is None else self.partner_id

    def may_see(self, partner_id: str | None) -> bool:
        return self.operator or (partner_id is not None and partner_id.casefold() == (self.partner_id or "").casefold())


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


class TokenStore:
    def __init__(self, home: Path) -> None:
        self.path = home / FILE

    def _load(self) -> dict[str, TokenRecord]:
        if not self.path.is_file():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8") or "[]")
        return {r["token_id"]: TokenRecord(**r) for r in data}

    def _save(self, records: dict[str, TokenRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump([asdict(r) for r in records.values()], fh, indent=1)
        os.replace(tmp, self.path)

    def issue(self, partner_id: str | None, days: int = DEFAULT_DAYS, *, now: datetime | None = None) -> tuple[str, TokenRecord]:
        """A new token (returned once, in clear) and its stored record."""
        if days < 1:
            raise TokenError("--days must be at least 1")
        now = now or datetime.now(UTC)
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        rec = TokenRecord(token_id, partner_id, salt, _digest(salt, secret), now.isoformat(timespec="seconds"),
                          (now + timedelta(days=days)).isoformat(timespec="seconds"))
        records = self._load()
        records[token_id] = rec
        self._save(records)
        return f"{PREFIX}_{token_id}_{secret}", rec

    def revoke(self, token_id: str, *, now: datetime | None = None) -> TokenRecord:
        records = self._load()
        rec = records.get(token_id.strip())
        if rec is None:
            raise TokenError(f"no token with id {token_id!r} (the id is the part after 'ob_' in the token)")
        if rec.revoked_at is None:
            rec = TokenRecord(**{**asdict(rec), "revoked_at": (now or datetime.now(UTC)).isoformat(timespec="seconds")})
            records[rec.token_id] = rec
            self._save(records)
        return rec

    def records(self) -> list[TokenRecord]:
        return list(self._load().values())

    def check(self, token: str, *, now: datetime | None = None) -> Principal | None:
        """The principal a presented token stands for, or None (unknown, wrong, expired or revoked)."""
        parts = token.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        rec = self._load().get(parts[1])
        if rec is None:
            return None
        if not hmac.compare_digest(rec.digest, _digest(rec.salt, parts[2])):
            return None
        return Principal(rec.token_id, rec.partner_id) if rec.usable(now or datetime.now(UTC)) else None

    def still_valid(self, token_id: str, *, now: datetime | None = None) -> Principal | None:
        """A session cookie names its token id: the session ends when the token expires or is revoked."""
        rec = self._load().get(token_id)
        if rec is None or not rec.usable(now or datetime.now(UTC)):
            return None
        return Principal(rec.token_id, rec.partner_id)
