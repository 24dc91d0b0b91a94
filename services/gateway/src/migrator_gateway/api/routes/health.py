"""Liveness and readiness: /readyz is 200 only when the store and every service are ready."""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from migrator_contracts.subjects import rpc_health

from migrator_gateway.api import schemas
from migrator_gateway.api.deps import BusDep, ReadStoreDep, SettingsDep
from migrator_gateway.api.errors import error_body

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

    async def ask(service: str) -> bool:
        try:
            reply = await broker.connection.request(rpc_health(service), b"", timeout=1.0)
            return bool(json.loads(reply.data).get("ready"))
        except Exception:
            return False

    names = settings.services
    answers = await asyncio.gather(*(ask(s) for s in names))
    services = dict(zip(names, answers, strict=True)) | {"read-store": await store.ping()}
    if all(services.values()):
        return JSONResponse({"status": "ready", "services": services})
    waiting = ", ".join(name for name, ok in services.items() if not ok)
    return JSONResponse(error_body(503, "NOT_READY", f"Not ready: {waiting}"), 503)
