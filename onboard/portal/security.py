"""Session cookie, CSRF and the sign-in rate limit.

- The session cookie is signed (itsdangerous, key derived from the data home's secret key), HttpOnly,
  SameSite=Strict, and Secure when the request came over https. It holds only the token id and a
  timestamp; each request checks that token again, so revoking a token ends its sessions.
- CSRF: a per-browser random value in its own signed cookie, echoed as a hidden field of every form
  (double-submit; SameSite=Strict is the second line).
- Failed sign-ins are counted per client address in a sliding minute; from the seventh on: 429.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from staging.secrets import load_key

SESSION_COOKIE = "onboard_session"
CSRF_COOKIE = "onboard_csrf"
CSRF_FIELD = "csrf_token"
SESSION_MAX_AGE = 12 * 3600  # a sign-in lasts a working day at most, whatever the token's own expiry
FAILED_PER_MINUTE = 6


def signing_key(home: Path, env_key: str | None) -> bytes:
    """A key of its own for cookies, derived from ONBOARD_SECRET_KEY (or the one generated into the home)."""
    return hmac.new(load_key(home, env_key), b"onboard-portal-session", hashlib.sha256).digest()


class Signer:
    def __init__(self, key: bytes) -> None:
        self._session = URLSafeTimedSerializer(key, salt="session")
        self._csrf = URLSafeTimedSerializer(key, salt="csrf")

    def session(self, token_id: str) -> str:
        return self._session.dumps({"tid": token_id})

    def session_token_id(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            data = self._session.loads(cookie, max_age=SESSION_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return None
        tid = data.get("tid") if isinstance(data, dict) else None
        return tid if isinstance(tid, str) else None

    def new_csrf(self) -> tuple[str, str]:
        """(the form value, the cookie value)."""
        value = secrets.token_urlsafe(24)
        return value, self._csrf.dumps(value)

    def csrf_value(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            value = self._csrf.loads(cookie)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None

    def csrf_ok(self, cookie: str | None, submitted: str | None) -> bool:
        expected = self.csrf_value(cookie)
        return bool(expected and submitted) and hmac.compare_digest(str(expected), str(submitted))


class SignInLimiter:
    """Failed sign-ins per address within a sliding window (in memory: one portal process)."""

    def __init__(self, limit: int = FAILED_PER_MINUTE, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, q: deque[float], now: float) -> None:
        while q and now - q[0] > self.window:
            q.popleft()

    def blocked(self, address: str) -> bool:
        with self._lock:
            q = self._failures[address]
            self._trim(q, time.monotonic())
            return len(q) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            q = self._failures[address]
            now = time.monotonic()
            self._trim(q, now)
            q.append(now)
