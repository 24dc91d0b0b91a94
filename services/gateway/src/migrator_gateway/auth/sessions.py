"""Browser sessions: the dashboard signs in with an API key once, then holds a random session
token in an HttpOnly cookie. A page's script never holds the key, and ``EventSource`` (which
cannot send an Authorization header) streams live logs on the cookie.

The store keeps the token's SHA-256 only, with the hash of the key the session began with, so
revoking that key ends its sessions as it ends the key. The CSRF token is derived from the
session token (nothing more to store): a page reads it from ``GET /v1/session`` and sends it as
``X-CSRF-Token``, which a page on another site cannot do (it can neither read the answer nor,
with SameSite=Strict, send the cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from migrator_contracts.base import iso
from migrator_contracts.readmodels import Doc
from migrator_readstore import ReadStore

from migrator_gateway.auth.api_keys import PREFIX_LENGTH, KeyCache, hash_key

SESSIONS = "sessions"  # the gateway's own: hashes of session tokens
COOKIE = "migrator_session"
CSRF_HEADER = "X-CSRF-Token"
TOKEN_PREFIX = "mss_"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionDoc(Doc):
    """One signed-in browser (``sessions``, by the token's SHA-256): never the token itself."""

    org_id: str
    key_digest: str  # the API key it began with, by hash: revoked, it ends the session
    key_prefix: str
    created_at: str
    expires_at: str


@dataclass(frozen=True)
class Session:
    token: str
    org_id: str
    key_prefix: str
    expires_at: str

    @property
    def csrf_token(self) -> str:
        return csrf_token(self.token)


def csrf_token(token: str) -> str:
    """The session's CSRF token: bound to it, useless without the cookie."""
    return hmac.new(token.encode(), b"migrator-csrf", hashlib.sha256).hexdigest()


def csrf_matches(token: str, sent: str | None) -> bool:
    return sent is not None and hmac.compare_digest(csrf_token(token), sent)


async def begin(store: ReadStore, *, org_id: str, key: str, hours: float) -> Session:
    """A new session for a valid key of ``org_id``; the caller puts its token in the cookie."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    doc = SessionDoc(
        org_id=org_id,
        key_digest=hash_key(key),
        key_prefix=key[:PREFIX_LENGTH],
        created_at=iso(now),
        expires_at=iso(now + timedelta(hours=hours)),
    )
    sessions = store.collection(SESSIONS)
    await _forget_expired(store, org_id=org_id, now=now)
    await sessions.insert(hash_key(token), doc.to_doc())
    return Session(token, org_id, doc.key_prefix, doc.expires_at)


async def resolve(store: ReadStore, keys: KeyCache, token: str) -> Session | None:
    """The live session of this token: unexpired, and its key not revoked (else None, and the
    session is deleted)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    digest = hash_key(token)
    sessions = store.collection(SESSIONS)
    raw = await sessions.get(digest)
    if raw is None:
        return None
    doc = SessionDoc.model_validate(raw)
    expired = doc.expires_at <= iso(datetime.now(UTC))  # one ISO form, so strings compare as times
    if expired or await keys.org_for_digest(doc.key_digest) != doc.org_id:
        await sessions.delete(digest)
        return None
    return Session(token, doc.org_id, doc.key_prefix, doc.expires_at)


async def end(store: ReadStore, token: str) -> None:
    """Sign out: the token stops working on every replica (each reads the store)."""
    await store.collection(SESSIONS).delete(hash_key(token))


async def _forget_expired(store: ReadStore, *, org_id: str, now: datetime) -> None:
    sessions = store.collection(SESSIONS)
    for raw in await sessions.find({"orgId": org_id, "expiresAt": {"$lt": iso(now)}}):
        await sessions.delete(str(raw["_id"]))
