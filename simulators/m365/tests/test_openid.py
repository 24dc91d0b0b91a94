"""Entra's discovery documents and token endpoint answer what MSAL reads and sends."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

pytestmark = pytest.mark.integration
LOGIN = "/login.microsoftonline.com"


async def test_openid_configuration_names_the_tenant_guid_on_the_real_host(sim: httpx.AsyncClient) -> None:
    by_domain = (await sim.get(f"{LOGIN}/contoso.com/v2.0/.well-known/openid-configuration")).json()
    guid = by_domain["issuer"].split("/")[3]
    by_guid = (await sim.get(f"{LOGIN}/{guid}/v2.0/.well-known/openid-configuration")).json()
    assert by_domain == by_guid
    assert by_domain["issuer"] == f"https://login.microsoftonline.com/{guid}/v2.0"
    assert by_domain["token_endpoint"] == f"https://login.microsoftonline.com/{guid}/oauth2/v2.0/token"
    assert by_domain["authorization_endpoint"].startswith("https://login.microsoftonline.com/")
    assert by_domain["jwks_uri"].startswith("https://login.microsoftonline.com/")
    assert "client_secret_post" in by_domain["token_endpoint_auth_methods_supported"]
    assert by_domain["response_types_supported"] and by_domain["tenant_region_scope"]
    unknown = await sim.get(f"{LOGIN}/nowhere.example/v2.0/.well-known/openid-configuration")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_tenant"
    assert unknown.json()["error_codes"] == [90002]


async def test_instance_discovery_points_at_the_tenant_discovery_endpoint(sim: httpx.AsyncClient) -> None:
    body = (
        await sim.get(
            f"{LOGIN}/common/discovery/instance",
            params={"api-version": "1.1", "authorization_endpoint": "https://login.microsoftonline.com/x"},
        )
    ).json()
    assert body["tenant_discovery_endpoint"].endswith("/v2.0/.well-known/openid-configuration")
    assert body["api-version"] == "1.1"
    assert body["metadata"][0]["preferred_network"] == "login.microsoftonline.com"
    assert "login.windows.net" in body["metadata"][0]["aliases"]


async def test_an_msal_style_client_credentials_flow_gets_a_token(sim: httpx.AsyncClient) -> None:
    await sim.get(
        f"{LOGIN}/contoso.com/adminconsent",
        params={"client_id": "app", "state": "s", "redirect_uri": "http://cb/callback"},
    )
    config = (await sim.get(f"{LOGIN}/contoso.com/v2.0/.well-known/openid-configuration")).json()
    endpoint = urlsplit(config["token_endpoint"])
    form = {
        "client_id": "app",
        "client_secret": "x",
        "scope": "https://graph.microsoft.com/.default",
        "grant_type": "client_credentials",
        "client_info": "1",  # sent by MSAL, ignored for client credentials
    }
    token = await sim.post(f"/{endpoint.netloc}{endpoint.path}", data=form)
    assert token.status_code == 200
    assert set(token.json()) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert token.json()["token_type"] == "Bearer"
    no_scope = await sim.post(f"/{endpoint.netloc}{endpoint.path}", data=form | {"scope": ""})
    assert no_scope.status_code == 400 and no_scope.json()["error"] == "invalid_request"
    bad_scope = await sim.post(f"/{endpoint.netloc}{endpoint.path}", data=form | {"scope": "Mail.Read"})
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"
    no_secret = await sim.post(f"/{endpoint.netloc}{endpoint.path}", data=form | {"client_secret": ""})
    assert no_secret.status_code == 401 and no_secret.json()["error"] == "invalid_client"


class _Routed:
    """MSAL's HTTP client: real Microsoft URLs sent to the simulator, from MSAL's worker thread."""

    def __init__(self, sim: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> None:
        self._sim, self._loop = sim, loop
        self.urls: list[str] = []

    def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        self.urls.append(url)
        kwargs.pop("timeout", None)
        parts = urlsplit(url)
        path = f"/{parts.netloc}{parts.path}" + (f"?{parts.query}" if parts.query else "")
        call = self._sim.request(method, path, **kwargs)
        return asyncio.run_coroutine_threadsafe(call, self._loop).result(timeout=10)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._call("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._call("POST", url, **kwargs)

    def close(self) -> None:
        pass


async def test_msal_gets_a_token_through_discovery(sim: httpx.AsyncClient) -> None:
    msal = pytest.importorskip("msal")
    await sim.get(
        f"{LOGIN}/contoso.com/adminconsent",
        params={"client_id": "app", "state": "s", "redirect_uri": "http://cb/callback"},
    )
    routed = _Routed(sim, asyncio.get_running_loop())

    def acquire(directory: str) -> dict[str, Any]:
        app = msal.ConfidentialClientApplication(
            "app",
            client_credential="x",
            authority=f"https://login.microsoftonline.com/{directory}",
            http_client=routed,
        )
        return dict(app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"]))

    result = await asyncio.to_thread(acquire, "contoso.com")
    assert result["token_type"] == "Bearer" and result["access_token"]
    assert (
        routed.urls[0]
        == "https://login.microsoftonline.com/contoso.com/v2.0/.well-known/openid-configuration"
    )
    assert routed.urls[-1].endswith("/oauth2/v2.0/token") and "contoso.com" not in routed.urls[-1]
    assert (await asyncio.to_thread(acquire, "fabrikam.com"))["error"] == "unauthorized_client"  # no consent
    with pytest.raises(ValueError):
        await asyncio.to_thread(acquire, "nowhere.example")
