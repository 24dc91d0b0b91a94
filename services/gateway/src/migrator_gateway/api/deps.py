"""Request-scoped dependencies: the caller's organisation, the bus, the read store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from faststream.nats import NatsBroker
from migrator_platform.workers import WorkerPresence
from migrator_readstore import ReadStore

from migrator_gateway.api.errors import ApiError
from migrator_gateway.auth import sessions
from migrator_gateway.auth.api_keys import KeyCache
from migrator_gateway.config import GatewaySettings
from migrator_gateway.rate_limit import RateLimiter


# Dependencies are async on purpose: FastAPI runs a plain `def` dependency in a worker thread.
async def get_store(request: Request) -> ReadStore:
    store: ReadStore = request.app.state.store
    return store


async def get_broker(request: Request) -> NatsBroker:
    broker: NatsBroker = request.app.state.broker
    return broker


async def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


ReadStoreDep = Annotated[ReadStore, Depends(get_store)]
BusDep = Annotated[NatsBroker, Depends(get_broker)]
SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]


@dataclass(frozen=True)
class Caller:
    """Who is calling (their organisation) and the clients a route needs. One dependency with
    no sub-dependencies: FastAPI's per-request cost grows with each one it resolves."""

    org_id: str
    store: ReadStore
    broker: NatsBroker
    settings: GatewaySettings
    presence: WorkerPresence  # which command subjects a running connector consumes


async def caller(request: Request) -> Caller:
    """Authenticate the Bearer API key, or else the dashboard's session cookie (401), then count
    the request against its organisation's per-minute budget (429 when spent)."""
    state = request.app.state
    keys: KeyCache = state.keys
    header = request.headers.get("Authorization")
    token = request.cookies.get(sessions.COOKIE) if header is None else None
    org_id: str | None
    if token:
        org_id = (await session_of(request, token)).org_id
    else:
        scheme, _, key = (header or "").partition(" ")
        org_id = await keys.org_for(key.strip()) if scheme.lower() == "bearer" else None
    if org_id is None:
        raise ApiError(401, "UNAUTHORIZED", "A valid API key is required: Authorization: Bearer tmk_…")
    await spend(request, org_id)
    return Caller(org_id, state.store, state.broker, state.settings, state.presence)


async def spend(request: Request, org_id: str, *, limiter: RateLimiter | None = None) -> None:
    """Count a request against the organisation's per-minute budget (429 when spent): the API's,
    or the one ``limiter`` keeps (its devices')."""
    limiter = limiter or request.app.state.rate_limiter
    decision = await limiter.hit(org_id)
    if not decision.allowed:
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"Rate limit exceeded; retry in {decision.retry_after}s",
            headers={"Retry-After": str(decision.retry_after)},
        )


async def session_of(request: Request, token: str) -> sessions.Session:
    """The live session of the cookie's token (401 when it has ended); a request that changes
    something must also carry the session's CSRF token (403)."""
    session = await sessions.resolve(request.app.state.store, request.app.state.keys, token)
    if session is None:
        raise ApiError(401, "UNAUTHORIZED", "The session has ended (signed out, expired or its key revoked)")
    require_csrf(request, session)
    return session


def require_csrf(request: Request, session: sessions.Session) -> None:
    """A request that changes something carries the session's CSRF token (403 without it)."""
    if request.method not in sessions.SAFE_METHODS and not sessions.csrf_matches(
        session.token, request.headers.get(sessions.CSRF_HEADER)
    ):
        raise ApiError(
            403,
            "CSRF_TOKEN_INVALID",
            f"A request that changes something needs the session's {sessions.CSRF_HEADER} header "
            "(from GET /v1/session)",
        )


CallerDep = Annotated[Caller, Depends(caller)]
