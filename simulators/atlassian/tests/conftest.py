"""Fixtures for the Atlassian simulator's tests: a fast simulator, the OAuth dance, polling to a deadline."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from atlassian_simulator.app import create_app
from atlassian_simulator.config import SimSettings

MIGRATIONS = "/api/migrations/public/v1"
SERVER_ID = "BSQ4-J2CB-XYZ1-ABCD"
REDIRECT = "http://app.example/callback"

Token = Callable[..., Awaitable[str]]
Poll = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture
def settings() -> SimSettings:
    """Tiny timings so a whole migration takes a fraction of a second; generous read budget."""
    return SimSettings(
        check_seconds=0.05, items_per_second=5000, apps_lag_seconds=0.3, reads_per_minute=100_000
    )


@pytest.fixture
async def sim(settings: SimSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
        yield client


@pytest.fixture
def token(sim: httpx.AsyncClient) -> Token:
    """``await token("acme.atlassian.net")``: consent, exchange the code, return the access token."""

    async def dance(site: str = "acme.atlassian.net", *, scope: str = "offline_access read:jira-work") -> str:
        consent = await sim.get(
            "/auth/authorize",
            params={
                "audience": "api.atlassian.com",
                "client_id": "migrator-atlassian",
                "scope": scope,
                "redirect_uri": REDIRECT,
                "state": "st-1",
                "response_type": "code",
                "prompt": "consent",
                "site": site,
            },
        )
        code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
        answer = await sim.post(
            "/auth/oauth/token",
            json={
                "grant_type": "authorization_code",
                "client_id": "migrator-atlassian",
                "client_secret": "sim-secret",
                "code": code,
                "redirect_uri": REDIRECT,
            },
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    return dance


@pytest.fixture
def poll(sim: httpx.AsyncClient) -> Poll:
    """``await poll(url, headers, until=lambda body: ...)``: GET until the body satisfies ``until``."""

    async def wait(
        url: str,
        headers: dict[str, str],
        *,
        until: Callable[[dict[str, Any]], bool],
        params: dict[str, str] | None = None,
        within: float = 10.0,
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        while True:
            response = await sim.get(url, headers=headers, params=params)
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            if until(body):
                return body
            assert time.monotonic() < deadline, f"gave up waiting on {url}: {body}"
            await asyncio.sleep(0.01)

    return wait


@pytest.fixture
def start_job(sim: httpx.AsyncClient) -> Callable[..., Awaitable[str]]:
    """``await start_job(headers, "jira", ["ALPHA"])``: a job from the seeded server to acme, its id."""

    async def create(
        headers: dict[str, str], product: str, keys: list[str], *, apps: list[str] | None = None
    ) -> str:
        container, data = ("projects", "all") if product == "jira" else ("spaces", "ALL")
        body = {
            "flow": f"{product}-onpremises-to-cloud",
            "name": f"{product} wave",
            "source": {"serverId": SERVER_ID},
            "destination": {"url": "https://acme.atlassian.net"},
            "scope": {container: {"includedKeys": keys, "includedData": data}},
            "usersAndGroups": {"mode": "ALL"},
            "apps": {"includedKeys": apps or []},
        }
        response = await sim.post(f"{MIGRATIONS}/jobs", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return str(response.json()["jobId"])

    return create


@pytest.fixture
def start_task(sim: httpx.AsyncClient) -> Callable[..., Awaitable[str]]:
    """``await start_task(headers, job_id, "migrate", options)``: the new task's id."""

    async def create(
        headers: dict[str, str], job_id: str, task: str, options: dict[str, Any] | None = None
    ) -> str:
        body = {"task": task, "options": options or {}}
        response = await sim.post(f"{MIGRATIONS}/jobs/{job_id}/tasks", json=body, headers=headers)
        assert response.status_code == 201, response.text
        return str(response.json()["taskId"])

    return create
