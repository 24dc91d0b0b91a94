"""Encryption at rest for tenant tokens and migration keys (AES-256-GCM, key from configuration)."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SecretBox:
    """Seals secrets so that the read store only ever holds ciphertext."""

    def __init__(self, key_b64: str) -> None:
        if not key_b64:
            raise ValueError("MIGRATOR_SECRETS_KEY is required (base64 of 32 random bytes)")
        key = base64.b64decode(key_b64)
        if len(key) != 32:
            raise ValueError("MIGRATOR_SECRETS_KEY must decode to exactly 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, *, context: str) -> str:
        """Encrypt; ``context`` (e.g. the tenant id) is authenticated so a ciphertext cannot be moved."""
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, plaintext, context.encode())).decode()

    def open(self, sealed: str, *, context: str) -> bytes:
        """Decrypt what :meth:`seal` produced for the same ``context``."""
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], context.encode())
