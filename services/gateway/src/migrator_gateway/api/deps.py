"""Request-scoped dependencies: the caller's organisation, the bus, the read store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from faststream.nats import NatsBroker
from migrator_platform.workers import WorkerPresence
from migrator_readstore import ReadStore

from migrator_gateway.api.errors import ApiError
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
    """Authenticate the Bearer API key (401), then count the request against its
    organisation's per-minute budget (429 when spent)."""
    state = request.app.state
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    keys: KeyCache = state.keys
    org_id = await keys.org_for(key.strip()) if scheme.lower() == "bearer" else None
    if org_id is None:
        raise ApiError(401, "UNAUTHORIZED", "A valid API key is required: Authorization: Bearer tmk_…")
    limiter: RateLimiter = state.rate_limiter
    decision = await limiter.hit(org_id)
    if not decision.allowed:
        raise ApiError(
            429,
            "RATE_LIMITED",
            f"Rate limit exceeded; retry in {decision.retry_after}s",
            headers={"Retry-After": str(decision.retry_after)},
        )
    return Caller(org_id, state.store, state.broker, state.settings, state.presence)


CallerDep = Annotated[Caller, Depends(caller)]
