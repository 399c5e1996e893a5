"""Symmetric encryption of secrets at rest, keyed by the settings' secret key."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    """Encrypts and decrypts short secrets (access tokens, one-time API key replays)."""

    def __init__(self, secret_key: str) -> None:
        digest = hashlib.sha256(b"creatoraudit:secretbox:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, plaintext: str) -> str:
        """Encrypt and authenticate `plaintext`."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str | None:
        """Decrypt `token`; None when it was sealed with another key or tampered with."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None
