"""Liveness and readiness: /readyz is 200 only when the store and every service are ready."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from migrator_contracts.rpc import HealthProbe, HealthReply
from migrator_contracts.subjects import rpc_health

from migrator_gateway.api import schemas
from migrator_gateway.api.deps import BusDep, ReadStoreDep, SettingsDep
from migrator_gateway.api.errors import ApiError, error_body
from migrator_gateway.api.rpc import ask

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"model": schemas.ErrorBody, "description": "A service or the store is not ready"}},
)
async def readyz(broker: BusDep, store: ReadStoreDep, settings: SettingsDep) -> JSONResponse:
    """Ask every required service over NATS, concurrently, with a one-second budget."""

    async def ready(service: str) -> bool:
        try:
            reply = await ask(broker, rpc_health(service), HealthProbe(), HealthReply, wait_seconds=1.0)
        except ApiError:  # not answering, or not answering sensibly: not ready
            return False
        return reply.ready

    names = settings.services
    answers = await asyncio.gather(*(ready(s) for s in names))
    services = dict(zip(names, answers, strict=True)) | {"read-store": await store.ping()}
    if all(services.values()):
        return JSONResponse({"status": "ready", "services": services})
    waiting = ", ".join(name for name, ok in services.items() if not ok)
    return JSONResponse(error_body(503, "NOT_READY", f"Not ready: {waiting}"), 503)
