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
    name: str | None = None  # what its owner calls it (keys made before names: none)
    last_used_at: str | None = None  # to the minute (see LAST_USED_EVERY_SECONDS)


# A key's last use is written at most once a minute per replica: often enough to tell an idle key
# from a busy one, rare enough that authenticating stays a read.
LAST_USED_EVERY_SECONDS = 60.0


def key_id(digest: str) -> str:
    """A key's public id: derived from its hash (itself useless to guess the key from)."""
    return f"key_{digest[:24]}"


def hash_key(key: str) -> str:
    """The stored form of a key (keys are 256-bit random, so a fast hash is enough)."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key(*, live: bool = False) -> str:
    """A fresh key; the caller shows it once."""
    return f"tmk_{'live' if live else 'test'}_{secrets.token_urlsafe(32)}"


async def org_for_key(store: ReadStore, key: str) -> str | None:
    """The organisation of a valid, unrevoked key, else None."""
    stored = await _active_key(store, key)
    return stored.org_id if stored else None


async def _active_key(store: ReadStore, key: str) -> ApiKeyDoc | None:
    if not KEY_FORMAT.match(key):
        return None
    return await _active_digest(store, hash_key(key))


async def _active_digest(store: ReadStore, digest: str) -> ApiKeyDoc | None:
    doc = await store.collection(readmodels.API_KEYS).get(digest)
    if doc is None or not hmac.compare_digest(str(doc["_id"]), digest):
        return None
    stored = ApiKeyDoc.model_validate(doc)
    return None if stored.revoked_at else stored


class KeyCache:
    """Key lookups remembered for a few seconds (by hash: no key is held in clear).

    Every request authenticates, and a store read per request would be most of its cost. The
    price is that a key revoked through another replica keeps working here for up to
    ``ttl_seconds`` (the replica that revokes it forgets it at once). Unknown keys are remembered
    too, so guessing cannot turn into a read per guess. A lookup that reads the store also
    records the key's last use, once a minute at most.
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
        return await self.org_for_digest(hash_key(key))

    async def org_for_digest(self, digest: str) -> str | None:
        """As ``org_for``, by the key's hash: what a browser session holds of the key it began with."""
        now = self._clock()
        cached = self._entries.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        stored = await _active_digest(self._store, digest)
        org_id = stored.org_id if stored else None
        if stored is not None and _stale(stored.last_used_at, now=datetime.now(UTC)):
            update = ApiKeyDoc.as_stored(last_used_at=iso(datetime.now(UTC)))
            await self._store.collection(readmodels.API_KEYS).update(digest, update)
        if len(self._entries) >= self._max:
            self._entries = {d: e for d, e in self._entries.items() if e[1] > now}
            if len(self._entries) >= self._max:
                self._entries.clear()
        self._entries[digest] = (org_id, now + self._ttl)
        return org_id

    def forget(self, key: str) -> None:
        """Drop a key (by its public id) so that its next use reads the store: after a
        revocation, here or on another replica (``ApiKeyRevoked``)."""
        for digest in [d for d in self._entries if key_id(d) == key]:
            del self._entries[digest]


def _stale(last_used_at: str | None, *, now: datetime) -> bool:
    if last_used_at is None:
        return True
    return (now - datetime.fromisoformat(last_used_at.replace("Z", "+00:00"))).total_seconds() >= (
        LAST_USED_EVERY_SECONDS
    )


async def create_key(store: ReadStore, *, org_id: str, name: str, live: bool) -> tuple[str, str, ApiKeyDoc]:
    """A new key of an existing organisation: (the key, shown once; its hash; what is stored)."""
    key = new_key(live=live)
    stored = ApiKeyDoc(
        org_id=org_id, prefix=key[:PREFIX_LENGTH], created_at=iso(datetime.now(UTC)), name=name
    )
    digest = hash_key(key)
    await store.collection(readmodels.API_KEYS).insert(digest, stored.to_doc())
    return key, digest, stored


async def org_keys(store: ReadStore, *, org_id: str) -> list[tuple[str, ApiKeyDoc]]:
    """The organisation's keys (hash, document), oldest first."""
    docs = await store.collection(readmodels.API_KEYS).find({"orgId": org_id}, sort=[("createdAt", 1)])
    return [(str(d["_id"]), ApiKeyDoc.model_validate(d)) for d in docs]


async def revoke_by_id(store: ReadStore, *, org_id: str, key: str) -> tuple[str, ApiKeyDoc, bool] | None:
    """Revoke the organisation's key with public id ``key``: (its hash, what is stored, whether
    this call revoked it; again: nothing changes); None when the organisation has no such key."""
    for digest, stored in await org_keys(store, org_id=org_id):
        if key_id(digest) == key:
            if stored.revoked_at is not None:
                return digest, stored, False
            stored.revoked_at = iso(datetime.now(UTC))
            await store.collection(readmodels.API_KEYS).update(
                digest, ApiKeyDoc.as_stored(revoked_at=stored.revoked_at)
            )
            return digest, stored, True
    return None


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


async def revoke_key(store: ReadStore, *, org_id: str, prefix: str) -> list[str]:
    """Revoke the organisation's keys starting with ``prefix``; their public ids (none matched: [])."""
    keys = store.collection(readmodels.API_KEYS)
    now = iso(datetime.now(UTC))
    matched = await keys.find({"orgId": org_id, "prefix": prefix[:PREFIX_LENGTH], "revokedAt": None})
    for doc in matched:
        await keys.update(doc["_id"], ApiKeyDoc.as_stored(revoked_at=now))
    return [key_id(str(doc["_id"])) for doc in matched]


async def list_keys(store: ReadStore, *, org_id: str) -> list[dict[str, str | None]]:
    """The organisation's keys as prefixes (never the keys), oldest first."""
    docs = await store.collection(readmodels.API_KEYS).find({"orgId": org_id}, sort=[("createdAt", 1)])
    return [
        ApiKeyDoc.model_validate(d).model_dump(by_alias=True, include={"prefix", "created_at", "revoked_at"})
        for d in docs
    ]
