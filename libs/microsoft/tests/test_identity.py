"""The shared Microsoft identity through MSAL, against the simulator served over real HTTP (MSAL's
HTTP client is blocking): tokens per directory, cached, renewed after a forget, refused without
consent; a tenant's token found through its directory."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from m365_simulator.app import create_app
from m365_simulator.config import SimSettings
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.identity import ClientCredentials, ConsentLost, TenantTokens, TokenError

pytestmark = pytest.mark.integration
CLIENT = "migrator-dev-client"


@pytest.fixture(scope="module")
def simulator() -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(SimSettings(seed=42)), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(5)


def consent(base: str, domain: str) -> str:
    """A Global Admin consents; the directory's GUID."""
    answer = httpx.get(
        f"{base}/login.microsoftonline.com/{domain}/adminconsent",
        params={"client_id": CLIENT, "state": "s", "redirect_uri": "http://cb/"},
    )
    return answer.headers["location"].split("tenant=")[1].split("&")[0]


def graph_user_count(base: str, token: str) -> int:
    users = httpx.get(f"{base}/graph.microsoft.com/v1.0/users", headers={"Authorization": f"Bearer {token}"})
    return len(users.json()["value"])


async def test_tokens_come_by_client_credentials_through_msal_and_are_reused(simulator: str) -> None:
    directory = consent(simulator, "contoso.com")
    credentials = ClientCredentials(client_id=CLIENT, client_secret="s3cret", endpoints=Endpoints(simulator))
    token = await credentials.token(directory)
    assert graph_user_count(simulator, token) > 0, "the token works on Graph"
    assert await credentials.token(directory) == token, "kept until it nears its expiry"
    assert await credentials.token("contoso.com") != "", "a verified domain names the directory too"
    credentials.forget(directory)
    assert await credentials.token(directory) != token, "a forgotten directory gets a new token"


async def test_a_directory_that_did_not_consent_gets_no_token(simulator: str) -> None:
    credentials = ClientCredentials(
        client_id="another-app", client_secret="x", endpoints=Endpoints(simulator)
    )
    with pytest.raises(TokenError, match="unauthorized_client"):
        await credentials.token("fabrikam.com")
    with pytest.raises(TokenError):
        await credentials.token("nowhere.example")


async def test_a_tenants_token_is_found_through_its_directory(simulator: str) -> None:
    directory = consent(simulator, "fabrikam.com")
    credentials = ClientCredentials(client_id=CLIENT, client_secret="x", endpoints=Endpoints(simulator))

    async def directory_of(tenant_id: str) -> str:
        if tenant_id != "ten_FAB":
            raise TokenError(f"tenant {tenant_id} is not connected")
        return directory

    tokens = TenantTokens(credentials, directory_of)
    assert graph_user_count(simulator, await tokens.access_token("ten_FAB")) > 0
    with pytest.raises(TokenError, match="not connected"):
        await tokens.access_token("ten_GONE")


async def test_a_revoked_consent_is_told_apart_and_names_the_tenant(simulator: str) -> None:
    directory = consent(simulator, "contoso.com")
    credentials = ClientCredentials(client_id=CLIENT, client_secret="x", endpoints=Endpoints(simulator))

    async def directory_of(tenant_id: str) -> str:
        return directory

    tokens = TenantTokens(credentials, directory_of)
    assert await tokens.access_token("ten_CON")
    async with httpx.AsyncClient() as http:
        (await http.post(f"{simulator}/_sim/tenants/contoso.com/revoke-consent")).raise_for_status()
    tokens.forget("ten_CON")  # as a 401 makes a client do
    with pytest.raises(ConsentLost) as lost:
        await tokens.access_token("ten_CON")
    assert lost.value.tenant_id == "ten_CON"
    consent(simulator, "contoso.com")  # consented again: tokens again
    assert await tokens.access_token("ten_CON")
