"""Encryption of what a resume needs again (portal passwords, queued admin credentials).

The key is ``ONBOARD_SECRET_KEY`` (a Fernet key) or, when unset, one generated once into the data
home with mode 0600 (DESIGN §5).
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

KEY_FILE = "secret.key"


def load_key(home: Path, env_key: str | None = None) -> bytes:
    if env_key:
        return env_key.encode()
    path = home / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
    return key


class Vault:
    def __init__(self, key: bytes) -> None:
        self._f = Fernet(key)

    def seal(self, text: str) -> str:
        return self._f.encrypt(text.encode()).decode()

    def open(self, token: str | None) -> str:
        if not token:
            return ""
        return self.open_bytes(token.encode()).decode()

    def seal_bytes(self, data: bytes) -> bytes:
        """A token (base64 text as bytes) of any bytes: a whole table of secrets sealed at once."""
        return self._f.encrypt(data)

    def open_bytes(self, token: bytes) -> bytes:
        try:
            return self._f.decrypt(token)
        except InvalidToken:
            raise ValueError("cannot decrypt a stored secret: ONBOARD_SECRET_KEY changed since it was stored") from None

    def __repr__(self) -> str:
        return "Vault(***)"
