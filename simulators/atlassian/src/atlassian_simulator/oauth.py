"""OAuth 2.0 (3LO): the consent redirect and tokens (auth.atlassian.com), accessible resources (api.)."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from atlassian_simulator.auth import access_grant, sim_state
from atlassian_simulator.state import Grant

router = APIRouter()
CODE_SECONDS = 600.0


def _redirect(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    sep = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{sep}{urlencode(params)}", status_code=302)


@router.get("/auth/authorize")
async def authorize(
    request: Request,
    client_id: str = "",
    redirect_uri: str = "",
    scope: str = "",
    state: str = "",
    response_type: str = "",
    audience: str = "",
    site: str = "",
) -> Response:
    """The admin's browser: following the link is the consent; ``site`` picks the site consented to."""
    sim = sim_state(request)
    if client_id != sim.settings.client_id or not redirect_uri:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "Unknown client or no redirect_uri"}, 400
        )
    if response_type != "code" or audience != "api.atlassian.com":
        description = "response_type must be code and audience api.atlassian.com"
        return _redirect(
            redirect_uri, {"error": "invalid_request", "error_description": description, "state": state}
        )
    host = site.removeprefix("https://").rstrip("/").lower()
    if host not in sim.sites:
        description = f"The user has no access to site '{site}'"
        return _redirect(
            redirect_uri, {"error": "access_denied", "error_description": description, "state": state}
        )
    code = secrets.token_urlsafe(24)
    sim.codes[code] = Grant(client_id, host, tuple(scope.split()), sim.clock() + CODE_SECONDS, redirect_uri)
    return _redirect(redirect_uri, {"code": code, "state": state})


def _grant_error(description: str) -> JSONResponse:
    return JSONResponse({"error": "invalid_grant", "error_description": description}, 400)


@router.post("/auth/oauth/token")
async def token(request: Request) -> Response:
    """Exchange a code (single use) or a rotating refresh token for an access token."""
    sim, body = sim_state(request), await request.json()
    if not isinstance(body, dict):
        return JSONResponse(
            {"error": "invalid_request", "error_description": "A JSON object is required"}, 400
        )
    if (
        body.get("client_id") != sim.settings.client_id
        or body.get("client_secret") != sim.settings.client_secret
    ):
        return JSONResponse({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
    kind = body.get("grant_type")
    if kind == "authorization_code":
        grant = sim.codes.pop(str(body.get("code")), None)
        if grant is None or grant.expires_at <= sim.clock():
            return _grant_error("Invalid authorization code")
        if grant.redirect_uri != body.get("redirect_uri"):
            return _grant_error("redirect_uri does not match the authorization request")
    elif kind == "refresh_token":
        grant = sim.refresh_tokens.pop(str(body.get("refresh_token")), None)
        if grant is None:
            return _grant_error("Unknown or invalid refresh token.")
    else:
        return JSONResponse({"error": "unsupported_grant_type", "error_description": f"{kind}"}, 400)
    access, refresh = sim.issue_tokens(grant)
    answer: dict[str, Any] = {
        "access_token": access,
        "expires_in": sim.settings.token_seconds,
        "scope": " ".join(grant.scopes),
        "token_type": "Bearer",
    }
    if refresh is not None:
        answer["refresh_token"] = refresh
    return JSONResponse(answer)


@router.get("/api/oauth/token/accessible-resources")
async def accessible_resources(request: Request) -> Response:
    grant = access_grant(request)
    site = sim_state(request).sites.get(grant.site) if grant else None
    if grant is None or site is None:
        return JSONResponse({"code": 401, "message": "Unauthorized"}, 401)
    return JSONResponse(
        [
            {
                "id": site.cloud_id,
                "url": site.url,
                "name": site.name,
                "scopes": [s for s in grant.scopes if s != "offline_access"],
                "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/site.png",
            }
        ]
    )
