"""The test-facing side: switchable faults, content inspection, health (under ``/_sim``)."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from m365_simulator.state import Faults, SimState

router = APIRouter(prefix="/_sim")


def _sim(request: Request) -> SimState:
    sim: SimState = request.app.state.sim
    return sim


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    """Merge fault switches: failItemsMatching, throttle (status, count, retryAfter), objectDelayMs."""
    sim, body = _sim(request), await request.json()
    if "failItemsMatching" in body:
        sim.faults.fail_items_matching = list(body["failItemsMatching"])
    if throttle := body.get("throttle"):
        sim.faults.throttle_status = int(throttle.get("status", 429))
        sim.faults.throttle_count = int(throttle.get("count", 1))
        sim.faults.retry_after = int(throttle.get("retryAfter", 1))
    if "objectDelayMs" in body:
        sim.faults.object_delay_ms = int(body["objectDelayMs"])
    return {"ok": True}


@router.delete("/faults")
async def reset_faults(request: Request) -> dict[str, Any]:
    _sim(request).faults = Faults()
    return {"ok": True}


@router.get("/tenants")
async def tenants(request: Request) -> dict[str, Any]:
    return {
        "tenants": [
            {
                "domain": t.domain,
                "tenantId": t.guid,
                "sites": list(t.sites),
                "users": len(t.users),
                "teams": len(t.teams),
            }
            for t in _sim(request).tenants.values()
        ]
    }


@router.patch("/tenants/{domain}")
async def set_tenant(request: Request, domain: str) -> JSONResponse:
    """Change a tenant's SharePoint storage quota (``{"quotaBytes": N}``), e.g. to fail a pre-flight."""
    tenant, body = _sim(request).tenants.get(domain), await request.json()
    if tenant is None:
        return JSONResponse({"error": f"no tenant {domain}"}, status_code=404)
    if "quotaBytes" in body:
        tenant.quota_bytes = int(body["quotaBytes"])
    return JSONResponse({"domain": domain, "quotaBytes": tenant.quota_bytes})


@router.get("/tokens")
async def issued_tokens(request: Request) -> dict[str, Any]:
    """Every access token issued so far (so a test can look for them where they must not be)."""
    return {"tokens": list(_sim(request).tokens)}


@router.get("/sites")
async def site_content(request: Request, url: str) -> dict[str, Any]:
    """Every folder and file of a site's library, with sizes and SHA-256 of file content."""
    site = _sim(request).site(url)
    if site is None:
        return {"url": url, "exists": False, "items": []}
    items = [
        {"path": p, "type": "folder"}
        if v is None
        else {"path": p, "type": "file", "size": len(v), "sha256": hashlib.sha256(v).hexdigest()}
        for p, v in sorted(site.content.items())
    ]
    return {"url": url, "exists": True, "items": items}


class ThrottleMiddleware(BaseHTTPMiddleware):
    """Answers the next N Graph / SharePoint calls with 429 or 503 and Retry-After, as the services do."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        faults = request.app.state.sim.faults
        path = request.url.path
        if faults.throttle_count > 0 and not path.startswith(("/_sim", "/login.microsoftonline.com")):
            faults.throttle_count -= 1
            body = {
                "error": {
                    "code": "TooManyRequests" if faults.throttle_status == 429 else "ServiceUnavailable",
                    "message": "Please retry again later.",
                }
            }
            return JSONResponse(
                body, faults.throttle_status, headers={"Retry-After": str(faults.retry_after)}
            )
        return await call_next(request)
