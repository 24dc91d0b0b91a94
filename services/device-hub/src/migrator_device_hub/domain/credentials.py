"""Device secrets and enrolment tokens: random, shown once, stored as SHA-256 hashes.

Both are 256-bit random values, so a fast hash is enough (a slow KDF protects guessable
passwords, and would cost a core at 600 check-ins/s); comparison is constant-time."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_secret() -> str:
    """A device secret, hex like the API reference's example."""
    return secrets.token_hex(32)


def new_enrollment_token() -> str:
    return f"tme_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_hash: str | None) -> bool:
    """Whether ``secret`` hashes to ``stored_hash``, in time independent of where they differ."""
    return stored_hash is not None and hmac.compare_digest(hash_secret(secret), stored_hash)
