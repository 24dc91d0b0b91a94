"""OAuth 2.0 (3LO) as auth.atlassian.com and api.atlassian.com run it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

pytestmark = pytest.mark.integration
REDIRECT = "http://app.example/callback"
CLIENT = {"client_id": "migrator-atlassian", "client_secret": "sim-secret"}


def _authorize(site: str, scope: str = "offline_access read:jira-work") -> dict[str, str]:
    return {
        "audience": "api.atlassian.com",
        "client_id": "migrator-atlassian",
        "scope": scope,
        "redirect_uri": REDIRECT,
        "state": "st-42",
        "response_type": "code",
        "prompt": "consent",
        "site": site,
    }


async def _code(sim: httpx.AsyncClient, site: str, scope: str = "offline_access read:jira-work") -> str:
    consent = await sim.get("/auth/authorize", params=_authorize(site, scope))
    assert consent.status_code == 302
    query = parse_qs(urlsplit(consent.headers["location"]).query)
    assert consent.headers["location"].startswith(f"{REDIRECT}?") and query["state"] == ["st-42"]
    return query["code"][0]


async def test_code_exchange_gives_tokens_for_the_consented_site(sim: httpx.AsyncClient) -> None:
    code = await _code(sim, "globex.atlassian.net")
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **CLIENT}
    tokens = (await sim.post("/auth/oauth/token", json=exchange)).json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3600
    assert tokens["scope"] == "offline_access read:jira-work" and tokens["refresh_token"]
    resources = await sim.get(
        "/api/oauth/token/accessible-resources", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    [site] = resources.json()
    assert site["url"] == "https://globex.atlassian.net" and site["name"] == "globex"
    assert site["scopes"] == ["read:jira-work"] and len(site["id"]) == 36 and site["avatarUrl"]
    again = await sim.post("/auth/oauth/token", json=exchange)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"  # codes are single-use


async def test_refresh_tokens_rotate(sim: httpx.AsyncClient) -> None:
    code = await _code(sim, "acme.atlassian.net")
    first = await sim.post(
        "/auth/oauth/token",
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **CLIENT},
    )
    refresh = {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"], **CLIENT}
    second = await sim.post("/auth/oauth/token", json=refresh)
    assert second.status_code == 200 and second.json()["access_token"] != first.json()["access_token"]
    reused = await sim.post("/auth/oauth/token", json=refresh)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


async def test_no_refresh_token_without_offline_access(sim: httpx.AsyncClient) -> None:
    code = await _code(sim, "acme.atlassian.net", scope="read:jira-work")
    tokens = await sim.post(
        "/auth/oauth/token",
        json={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **CLIENT},
    )
    assert "refresh_token" not in tokens.json()


async def test_wrong_secret_unknown_site_and_missing_token_are_refused(sim: httpx.AsyncClient) -> None:
    code = await _code(sim, "acme.atlassian.net")
    wrong = await sim.post(
        "/auth/oauth/token",
        json={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": "migrator-atlassian",
            "client_secret": "guess",
        },
    )
    assert wrong.status_code == 401
    unknown = await sim.get("/auth/authorize", params=_authorize("initech.atlassian.net"))
    query = parse_qs(urlsplit(unknown.headers["location"]).query)
    assert unknown.status_code == 302 and query["error"] == ["access_denied"] and query["state"] == ["st-42"]
    foreign = await sim.get(
        "/auth/authorize", params={**_authorize("acme.atlassian.net"), "client_id": "other"}
    )
    assert foreign.status_code == 400
    assert (await sim.get("/api/oauth/token/accessible-resources")).status_code == 401


async def test_issued_tokens_are_listed_for_leak_checks(
    sim: httpx.AsyncClient, token: Callable[..., Awaitable[str]]
) -> None:
    access = await token("acme.atlassian.net")
    listed = (await sim.get("/_sim/tokens")).json()
    assert access in listed["accessTokens"] and access in listed["tokens"]
    assert len(listed["refreshTokens"]) == 1 and "sim-pat-server-1" in listed["personalAccessTokens"]


async def test_a_token_reads_only_its_own_site(
    sim: httpx.AsyncClient, token: Callable[..., Awaitable[str]]
) -> None:
    headers = {"Authorization": f"Bearer {await token('acme.atlassian.net')}"}
    [acme] = (await sim.get("/api/oauth/token/accessible-resources", headers=headers)).json()
    globex = (await sim.get("/_sim/sites/globex.atlassian.net")).json()["cloudId"]
    own = await sim.get(f"/api/ex/jira/{acme['id']}/rest/api/3/project/search", headers=headers)
    other = await sim.get(f"/api/ex/jira/{globex}/rest/api/3/project/search", headers=headers)
    assert own.status_code == 200 and own.json()["total"] == 0 and other.status_code == 401
