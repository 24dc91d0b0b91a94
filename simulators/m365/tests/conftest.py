"""Fixtures for the M365 simulator's tests: the app in process, and tokens got the way a client gets them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from m365_simulator.app import create_app
from m365_simulator.config import SimSettings

Headers = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(SimSettings(seed=42))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
        yield client


async def bearer(sim: httpx.AsyncClient, domain: str) -> dict[str, str]:
    """Bearer headers for a tenant: admin consent, then a client-credentials token."""
    consent = await sim.get(
        f"/login.microsoftonline.com/{domain}/adminconsent",
        params={"client_id": "app", "state": "s", "redirect_uri": "http://cb/callback"},
    )
    assert consent.status_code == 302, consent.text
    tenant = parse_qs(urlsplit(consent.headers["location"]).query)["tenant"][0]
    token = await sim.post(
        f"/login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
        data={
            "client_id": "app",
            "client_secret": "x",
            "grant_type": "client_credentials",
            "scope": "https://graph.microsoft.com/.default",
        },
    )
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


@pytest.fixture
def auth(sim: httpx.AsyncClient) -> Headers:
    """Bearer headers for a tenant, as a client gets them."""

    async def headers(domain: str) -> dict[str, str]:
        return await bearer(sim, domain)

    return headers


@pytest.fixture
def bearer_of() -> Callable[[httpx.AsyncClient, str], Awaitable[dict[str, str]]]:
    """``bearer`` for a test that runs its own simulator."""
    return bearer
