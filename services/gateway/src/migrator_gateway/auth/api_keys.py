"""API keys: random, shown once, stored as SHA-256 hashes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime

from migrator_contracts import readmodels
from migrator_contracts.base import iso
from migrator_contracts.readmodels import Doc, OrgDoc
from migrator_readstore import ReadStore

KEY_FORMAT = re.compile(r"^tmk_(live|test)_[A-Za-z0-9_\-]{20,}$")
PREFIX_LENGTH = 16  # "tmk_test_" and 7 random characters: enough to name a key, useless to guess it


class ApiKeyDoc(Doc):
    """One key of an organisation (``api_keys``, by the key's SHA-256): never the key itself."""

    org_id: str
    prefix: str  # the key's first characters: enough to name it, useless to guess it
    created_at: str
    revoked_at: str | None = None


def hash_key(key: str) -> str:
    """The stored form of a key (keys are 256-bit random, so a fast hash is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(*, live: bool = False) -> str:
    """A fresh key; the caller shows it once."""
    return f"tmk_{'live' if live else 'test'}_{secrets.token_urlsafe(32)}"


async def org_for_key(store: ReadStore, key: str) -> str | None:
    """The organisation of a valid, unrevoked key, else None."""
    if not KEY_FORMAT.match(key):
        return None
    digest = hash_key(key)
    doc = await store.collection(readmodels.API_KEYS).get(digest)
    if doc is None or not hmac.compare_digest(str(doc["_id"]), digest):
        return None
    stored = ApiKeyDoc.model_validate(doc)
    return None if stored.revoked_at else stored.org_id


class KeyCache:
    """Key lookups remembered for a few seconds (by hash: no key is held in clear).

    Every request authenticates, and a store read per request would be most of its cost. The
    price is that a revoked key keeps working for up to ``ttl_seconds`` on each replica.
    Unknown keys are remembered too, so guessing cannot turn into a read per guess.
    """

    def __init__(
        self,
        store: ReadStore,
        *,
        ttl_seconds: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store, self._ttl, self._max, self._clock = store, ttl_seconds, max_entries, clock
        self._entries: dict[str, tuple[str | None, float]] = {}

    async def org_for(self, key: str) -> str | None:
        if not KEY_FORMAT.match(key):
            return None
        digest, now = hash_key(key), self._clock()
        cached = self._entries.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        org_id = await org_for_key(self._store, key)
        if len(self._entries) >= self._max:
            self._entries = {d: e for d, e in self._entries.items() if e[1] > now}
            if len(self._entries) >= self._max:
                self._entries.clear()
        self._entries[digest] = (org_id, now + self._ttl)
        return org_id


async def ensure_key(store: ReadStore, *, org_id: str, key: str) -> None:
    """Make sure the organisation and this key exist (idempotent; the key is stored hashed)."""
    if not KEY_FORMAT.match(key):
        raise ValueError(f"API key for {org_id} must look like tmk_live_… or tmk_test_… (20+ characters)")
    now = iso(datetime.now(UTC))
    await store.collection(readmodels.ORGS).insert(
        org_id, OrgDoc(id=org_id, name=org_id, created_at=now).to_doc()
    )
    stored = ApiKeyDoc(org_id=org_id, prefix=key[:PREFIX_LENGTH], created_at=now)
    await store.collection(readmodels.API_KEYS).insert(hash_key(key), stored.to_doc())


def parse_bootstrap(value: str) -> list[tuple[str, str]]:
    """``"org:key,org2:key2"`` → pairs (a malformed entry is an error, never silently skipped)."""
    pairs = []
    for entry in filter(None, (e.strip() for e in value.split(","))):
        org_id, sep, key = entry.partition(":")
        if not sep or not org_id or not key:
            raise ValueError("MIGRATOR_BOOTSTRAP_KEYS entries must be orgId:apiKey")
        pairs.append((org_id, key))
    return pairs


async def revoke_key(store: ReadStore, *, org_id: str, prefix: str) -> int:
    """Revoke the organisation's keys starting with ``prefix``; how many (0 if none matched)."""
    keys = store.collection(readmodels.API_KEYS)
    now = iso(datetime.now(UTC))
    matched = await keys.find({"orgId": org_id, "prefix": prefix[:PREFIX_LENGTH], "revokedAt": None})
    for doc in matched:
        await keys.update(doc["_id"], ApiKeyDoc.as_stored(revoked_at=now))
    return len(matched)


async def list_keys(store: ReadStore, *, org_id: str) -> list[dict[str, str | None]]:
    """The organisation's keys as prefixes (never the keys), oldest first."""
    docs = await store.collection(readmodels.API_KEYS).find({"orgId": org_id}, sort=[("createdAt", 1)])
    return [
        ApiKeyDoc.model_validate(d).model_dump(by_alias=True, include={"prefix", "created_at", "revoked_at"})
        for d in docs
    ]
