"""Entra ID: the admin-consent redirect and client-credential tokens."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from m365_simulator.state import SimState

router = APIRouter(prefix="/login.microsoftonline.com")


def _state(request: Request) -> SimState:
    state: SimState = request.app.state.sim
    return state


@router.get("/{tenant}/adminconsent")
async def admin_consent(
    request: Request, tenant: str, client_id: str = "", state: str = "", redirect_uri: str = ""
) -> Response:
    """A Global Admin's browser: consent is granted, and the browser is sent back to the app."""
    if not client_id or not redirect_uri:
        return JSONResponse(
            {
                "error": "invalid_request",
                "error_description": "AADSTS900144: client_id and redirect_uri are required",
            },
            400,
        )
    sim = _state(request)
    found = sim.tenant(tenant)
    sep = "&" if "?" in redirect_uri else "?"
    if found is None:
        query = urlencode(
            {
                "error": "invalid_tenant",
                "state": state,
                "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
            }
        )
        return RedirectResponse(f"{redirect_uri}{sep}{query}", status_code=302)
    sim.consents.add((client_id, found.guid))
    query = urlencode({"admin_consent": "True", "tenant": found.guid, "state": state})
    return RedirectResponse(f"{redirect_uri}{sep}{query}", status_code=302)


@router.post("/{tenant}/oauth2/v2.0/token")
async def token(
    request: Request,
    tenant: str,
    client_id: Annotated[str, Form()] = "",
    grant_type: Annotated[str, Form()] = "",
    client_secret: Annotated[str, Form()] = "",
) -> Response:
    """Client credentials, for a tenant whose admin consented to this client."""
    sim = _state(request)
    found = sim.tenant(tenant)
    if grant_type != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, 400)
    if found is None:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "AADSTS90002: tenant not found"}, 400
        )
    if (client_id, found.guid) not in sim.consents:
        return JSONResponse(
            {
                "error": "unauthorized_client",
                "error_description": "AADSTS65001: The admin has not consented.",
            },
            400,
        )
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": sim.issue_token(found),
        }
    )
