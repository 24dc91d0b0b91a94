"""Bearer-token checks shared by the Graph and SharePoint endpoints."""

from __future__ import annotations

from fastapi import HTTPException, Request

from m365_simulator.data import Tenant
from m365_simulator.state import SimState


def tenant_for(request: Request, *, expected: Tenant | None = None) -> Tenant:
    """The tenant the request's token was issued for (401 without a valid one, 403 for another tenant)."""
    sim: SimState = request.app.state.sim
    header = request.headers.get("Authorization", "")
    domain = sim.tokens.get(header.removeprefix("Bearer ").strip()) if header.startswith("Bearer ") else None
    if domain is None:
        raise HTTPException(
            401, {"code": "InvalidAuthenticationToken", "message": "Access token is missing or invalid."}
        )
    tenant = sim.tenants[domain]
    if expected is not None and expected.domain != tenant.domain:
        raise HTTPException(403, {"code": "accessDenied", "message": "Token is for another tenant."})
    return tenant
