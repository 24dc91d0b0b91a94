"""The connector's migration API client and status-tree reader against the Atlassian simulator
(the real simulator app, in-process): jobs run check then migrate, every page of a 500-child
node is read exactly once, and throttling slows calls down without failing them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from atlassian_simulator.app import create_app
from atlassian_simulator.config import SimSettings
from migrator_atlassian_connector.migration.api import MigrationApi, MigrationApiError, SiteBudget
from migrator_atlassian_connector.migration.status_tree import Snapshot, check_results, migration_snapshot
from migrator_platform.throttling import throttle_listener

pytestmark = pytest.mark.integration

SERVER_ID = "BSQ4-J2CB-XYZ1-ABCD"
REDIRECT = "http://migrator.example/v1/tenants/callback"


@dataclass
class Sim:
    control: httpx.AsyncClient
    api: MigrationApi
    status_reads: list[str]


@pytest.fixture
async def sim() -> AsyncIterator[Sim]:
    # Fast timings, and a read budget (the simulator's and ours) that lets a test poll freely.
    settings = SimSettings(
        check_seconds=0.05, items_per_second=1_000_000, apps_lag_seconds=0.1, reads_per_minute=100_000
    )
    app = create_app(settings)
    reads: list[str] = []

    async def count(request: httpx.Request) -> None:
        if request.url.path.endswith("/status"):
            reads.append(str(request.url))

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim", event_hooks={"request": [count]}
    ) as http:
        token = await _consent(http, "acme.atlassian.net")

        async def access_token() -> str:
            return token

        api = MigrationApi(
            http,
            base_url="http://sim/api",
            access_token=access_token,
            budget=SiteBudget(reads_per_minute=100_000),
        )
        yield Sim(http, api, reads)


async def _consent(http: httpx.AsyncClient, site: str) -> str:
    consent = await http.get(
        "/auth/authorize",
        params={
            "audience": "api.atlassian.com",
            "client_id": "migrator-atlassian",
            "scope": "offline_access read:jira-work",
            "redirect_uri": REDIRECT,
            "state": "s",
            "response_type": "code",
            "prompt": "consent",
            "site": site,
        },
    )
    code = parse_qs(urlsplit(consent.headers["location"]).query)["code"][0]
    answer = await http.post(
        "/auth/oauth/token",
        json={
            "grant_type": "authorization_code",
            "client_id": "migrator-atlassian",
            "client_secret": "sim-secret",
            "code": code,
            "redirect_uri": REDIRECT,
        },
    )
    return str(answer.json()["access_token"])


def jira_job(keys: list[str]) -> dict[str, Any]:
    return {
        "flow": "jira-onpremises-to-cloud",
        "name": "wave 1",
        "source": {"serverId": SERVER_ID},
        "destination": {"url": "https://acme.atlassian.net"},
        "scope": {"projects": {"includedKeys": keys, "includedData": "all"}},
        "usersAndGroups": {"mode": "ALL"},
        "apps": {"includedKeys": []},
    }


async def finished_snapshot(sim: Sim, job_id: str, task_id: str, container: str) -> Snapshot:
    deadline = time.monotonic() + 30
    while True:
        snapshot = await migration_snapshot(sim.api, job_id, task_id, container)
        if snapshot.root.finished and snapshot.items and all(n.finished for n in snapshot.items.values()):
            return snapshot
        assert time.monotonic() < deadline, snapshot
        await asyncio.sleep(0.05)


async def test_a_jira_job_checks_then_migrates_and_reports_each_project(sim: Sim) -> None:
    await sim.control.post("/_sim/faults", json={"failKeys": ["BETA"]})
    await sim.control.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {"MissingAttachments": {"outcome": "WARNING", "message": "3 missing"}},
        },
    )
    job_id = await sim.api.create_job(jira_job(["ALPHA", "BETA", "GAMMA"]))
    check_id = await sim.api.create_task(job_id, "check")
    for _ in range(200):
        verdict, checks = await check_results(sim.api, job_id, check_id)
        if verdict is not None and verdict.finished:
            break
        await asyncio.sleep(0.02)
    assert verdict is not None and verdict.outcome == "WARNING"
    assert len(checks) == 22 and checks["MissingAttachments"].message == "3 missing"  # two pages of checks
    migrate_id = await sim.api.create_task(job_id, "migrate")
    snapshot = await finished_snapshot(sim, job_id, migrate_id, "projects")
    assert {k: n.outcome for k, n in snapshot.items.items()} == {
        "ALPHA": "SUCCESS",
        "BETA": "FAILED",
        "GAMMA": "SUCCESS",
    }
    assert snapshot.items["BETA"].message and "usersAndGroups" in snapshot.scopes
    assert snapshot.checks["MissingAttachments"].outcome == "WARNING"


async def test_every_child_of_a_500_project_node_is_read_once(sim: Sim) -> None:
    generated = await sim.control.post(
        f"/_sim/servers/{SERVER_ID}/generate", json={"projects": 500, "seed": 3}
    )
    keys = [k for k in generated.json()["projects"] if k not in ("ALPHA", "BETA", "GAMMA")][:500]
    assert len(keys) == 500
    job_id = await sim.api.create_job(jira_job(keys))
    migrate_id = await sim.api.create_task(job_id, "migrate")
    snapshot = await finished_snapshot(sim, job_id, migrate_id, "projects")
    sim.status_reads.clear()
    snapshot = await migration_snapshot(sim.api, job_id, migrate_id, "projects")
    assert sorted(snapshot.items) == sorted(keys)
    assert all(n.outcome == "SUCCESS" for n in snapshot.items.values())
    pages = [r for r in sim.status_reads if "migrate%2Cprojects" in r or "migrate,projects" in r]
    assert len(pages) == 25  # 20 children a page, each page read once


async def test_throttling_slows_calls_down_without_failing_them(sim: Sim) -> None:
    held_back: list[tuple[int, float | None]] = []
    throttle_listener.set(lambda status, wait, retry_after: held_back.append((status, retry_after)))
    await sim.control.post("/_sim/faults", json={"throttle": {"count": 2}})
    job_id = await sim.api.create_job(jira_job(["ALPHA"]))
    assert job_id and [status for status, _ in held_back] == [429, 429]
    assert all(retry_after is not None for _, retry_after in held_back)  # the simulator's Retry-After


async def test_a_refused_definition_names_atlassians_reason(sim: Sim) -> None:
    with pytest.raises(MigrationApiError) as refused:
        await sim.api.create_job(jira_job(["NOPE"]))
    assert refused.value.status == 400 and "KEY_NOT_FOUND" in str(refused.value)
