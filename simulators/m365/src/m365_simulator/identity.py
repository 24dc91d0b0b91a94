"""Entra ID: the admin-consent redirect, client-credential tokens, and the discovery documents
MSAL reads first (instance discovery, the tenant's OpenID configuration)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from m365_simulator.state import SimState

router = APIRouter(prefix="/login.microsoftonline.com")
LOGIN = "https://login.microsoftonline.com"


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
    scope: Annotated[str, Form()] = "",
) -> Response:
    """Client credentials, for a tenant whose admin consented to this client. Other fields MSAL
    sends (``client_info``…) are accepted and ignored."""
    sim = _state(request)
    found = sim.tenant(tenant)
    if grant_type != "client_credentials":
        return JSONResponse({"error": "unsupported_grant_type"}, 400)
    if not scope:
        return _error(
            "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'scope'."
        )
    if not all(s.endswith("/.default") for s in scope.split()):
        return _error(
            "invalid_scope",
            f"AADSTS1002012: The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier (application ID URI).",
        )
    if not client_secret:
        return _error(
            "invalid_client",
            "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the "
            "'client_credentials' grant type.",
            401,
        )
    if found is None:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "AADSTS90002: tenant not found"}, 400
        )
    if (client_id, found.guid) not in sim.consents:
        return _error("unauthorized_client", "AADSTS65001: The admin has not consented.")
    return JSONResponse(
        {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": sim.issue_token(found),
        }
    )


def _error(error: str, description: str, status: int = 400) -> JSONResponse:
    code = int(description[6 : description.index(":")])
    return JSONResponse({"error": error, "error_description": description, "error_codes": [code]}, status)


@router.get("/common/discovery/instance")
async def instance_discovery(request: Request) -> dict[str, Any]:
    """Which hosts are one cloud, and where a tenant's OpenID configuration is."""
    hosts = ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"]
    return {
        "tenant_discovery_endpoint": f"{LOGIN}/{{tenant}}/v2.0/.well-known/openid-configuration",
        "api-version": request.query_params.get("api-version", "1.1"),
        "metadata": [{"preferred_network": hosts[0], "preferred_cache": hosts[1], "aliases": hosts}],
    }


@router.get("/{tenant}/v2.0/.well-known/openid-configuration")
async def openid_configuration(request: Request, tenant: str) -> Response:
    """The tenant's OpenID configuration, its endpoints on the real host (as Entra gives them: the
    caller maps them onto the simulator). ``common`` and ``organizations`` keep the placeholder."""
    found = _state(request).tenant(tenant)
    if found is None and tenant not in ("common", "organizations"):
        return _error(
            "invalid_tenant",
            f"AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
            "and are signing into the correct cloud.",
        )
    tid = found.guid if found else "{tenantid}"
    base = f"{LOGIN}/{found.guid if found else tenant}"
    return JSONResponse(
        {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"{LOGIN}/{tid}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "kerberos_endpoint": f"{base}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
    )
