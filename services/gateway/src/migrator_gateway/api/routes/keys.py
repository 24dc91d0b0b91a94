"""``/v1/keys``: the organisation's API keys (Settings → API keys): list, create (the key shown
once), revoke. Like every route, scoped to the caller's organisation and rate-limited."""

from __future__ import annotations

from fastapi import APIRouter, Request
from migrator_contracts import subjects
from migrator_contracts.base import utcnow
from migrator_contracts.events import ApiKeyRevoked
from migrator_platform.bus import BusUnavailable, publish
from migrator_platform.structured_logs import get_logger
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from migrator_gateway.api import schemas
from migrator_gateway.api.deps import CallerDep
from migrator_gateway.api.errors import ApiError
from migrator_gateway.auth import api_keys
from migrator_gateway.auth.api_keys import ApiKeyDoc, KeyCache, create_key, org_keys, revoke_by_id

log = get_logger(__name__)
router = APIRouter(prefix="/v1/keys", tags=["keys"], responses=schemas.COMMON_ERRORS)

# Active keys an organisation may hold: a key per script or person, not one per request.
MAX_ACTIVE_KEYS = 100


class CreateKeyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="What the key is for")
    live: StrictBool = Field(default=False, description="tmk_live_ rather than tmk_test_")


def _view(digest: str, stored: ApiKeyDoc) -> schemas.ApiKey:
    return schemas.ApiKey(
        id=api_keys.key_id(digest),
        prefix=stored.prefix,
        name=stored.name,
        createdAt=stored.created_at,
        lastUsedAt=stored.last_used_at,
        revokedAt=stored.revoked_at,
    )


@router.get("")
async def list_keys(caller: CallerDep) -> schemas.ApiKeyList:
    """Every key of the organisation, revoked ones too, oldest first (never a key itself)."""
    keys = await org_keys(caller.store, org_id=caller.org_id)
    return schemas.ApiKeyList(keys=[_view(digest, stored) for digest, stored in keys])


@router.post(
    "",
    status_code=201,
    responses={409: {"model": schemas.ErrorBody, "description": "Too many active keys (KEY_LIMIT_REACHED)"}},
)
async def create(body: CreateKeyBody, caller: CallerDep) -> schemas.CreatedApiKey:
    """A new key of the organisation. Its secret is in this answer only: Migrator keeps its hash."""
    active = [s for _, s in await org_keys(caller.store, org_id=caller.org_id) if s.revoked_at is None]
    if len(active) >= MAX_ACTIVE_KEYS:
        raise ApiError(
            409,
            "KEY_LIMIT_REACHED",
            f"An organisation holds at most {MAX_ACTIVE_KEYS} active keys: revoke one",
        )
    secret, digest, stored = await create_key(
        caller.store, org_id=caller.org_id, name=body.name, live=body.live
    )
    return schemas.CreatedApiKey(key=_view(digest, stored), secret=secret)


@router.delete(
    "/{key_id}",
    responses={404: {"model": schemas.ErrorBody, "description": "No such key (KEY_NOT_FOUND)"}},
)
async def revoke(key_id: str, caller: CallerDep, request: Request) -> schemas.RevokedApiKey:
    """The key stops working (revoking it again changes nothing). It may be the caller's own."""
    revoked = await revoke_by_id(caller.store, org_id=caller.org_id, key=key_id)
    if revoked is None:
        raise ApiError(404, "KEY_NOT_FOUND", "API key not found")
    digest, stored, now = revoked
    public_id = api_keys.key_id(digest)
    cache: KeyCache = request.app.state.keys
    cache.forget(public_id)  # this replica, before it answers
    if now:  # every other replica, as the event reaches it
        event = ApiKeyRevoked(
            event_id=f"{public_id}:revoked",
            seq=1,
            occurred_at=utcnow(),
            key_id=public_id,
            org_id=caller.org_id,
        )
        try:
            await publish(
                caller.broker, subjects.apikey_event(public_id, "ApiKeyRevoked"), event, msg_id=event.event_id
            )
        except BusUnavailable as exc:
            # Revoked all the same (the store says so): other replicas' caches let it go by
            # themselves within MIGRATOR_API_KEY_CACHE_SECONDS.
            log.warning("key revoked; its event not published", key_id=public_id, error=str(exc))
    return schemas.RevokedApiKey(revoked=True, key=_view(digest, stored))
