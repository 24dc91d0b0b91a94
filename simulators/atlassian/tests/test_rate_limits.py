"""Per-site rate limits on the migration API: 429 with Retry-After, by API group."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from atlassian_simulator.config import SimSettings
from atlassian_simulator.rate_limits import RateLimits

MIGRATIONS = "/api/migrations/public/v1"
Start = Callable[..., Awaitable[str]]


@pytest.fixture
def settings() -> SimSettings:
    """Small budgets, so a few calls reach them (overrides the conftest's)."""
    return SimSettings(creates_per_minute=2, reads_per_minute=3, check_seconds=0.01)


@pytest.mark.unit
def test_the_window_slides_and_refused_calls_cost_nothing() -> None:
    limits = RateLimits({"job-create": 2})
    assert limits.acquire("acme", "job-create", now=100.0) is None
    assert limits.acquire("acme", "job-create", now=130.0) is None
    assert limits.acquire("acme", "job-create", now=140.0) == 20  # the first call leaves the window at 160
    assert limits.acquire("globex", "job-create", now=140.0) is None  # each site has its own budget
    assert limits.acquire("acme", "job-create", now=160.5) is None
    assert limits.acquire("acme", "job-create", now=161.0) == 29


@pytest.mark.integration
async def test_creates_and_reads_over_budget_get_429_with_retry_after(
    sim: httpx.AsyncClient, token: Callable[..., Awaitable[str]], start_job: Start
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    jobs = [await start_job(headers, "jira", ["ALPHA"]) for _ in range(2)]
    body = {"flow": "jira-onpremises-to-cloud"}  # the limit answers before validation
    refused = await sim.post(f"{MIGRATIONS}/jobs", json=body, headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["errors"][0]["code"] == "RATE_LIMITED"
    globex = {"Authorization": f"Bearer {await token('globex.atlassian.net')}"}
    assert (await sim.post(f"{MIGRATIONS}/jobs", json=body, headers=globex)).status_code == 400  # own budget
    task = await sim.post(f"{MIGRATIONS}/jobs/{jobs[0]}/tasks", json={"task": "check"}, headers=headers)
    assert task.status_code == 201  # task creates have a budget of their own
    reads = [await sim.get(f"{MIGRATIONS}/jobs/{jobs[0]}/tasks", headers=headers) for _ in range(4)]
    assert [r.status_code for r in reads] == [200, 200, 200, 429]


@pytest.mark.integration
async def test_throttle_fault_answers_429_then_recovers(
    sim: httpx.AsyncClient, token: Callable[..., Awaitable[str]], start_job: Start
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    job = await start_job(headers, "jira", ["ALPHA"])
    await sim.post("/_sim/faults", json={"throttle": {"count": 2}})
    for _ in range(2):
        throttled = await sim.get(f"{MIGRATIONS}/jobs/{job}", headers=headers)
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert (await sim.get(f"{MIGRATIONS}/jobs/{job}", headers=headers)).status_code == 200
