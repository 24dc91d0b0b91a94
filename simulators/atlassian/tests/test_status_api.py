"""The status API's tree: levels, paging through many children, filters, and eventual consistency."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration
MIGRATIONS = "/api/migrations/public/v1"
SERVER_ID = "BSQ4-J2CB-XYZ1-ABCD"
Poll = Callable[..., Awaitable[dict[str, Any]]]
Start = Callable[..., Awaitable[str]]


def _finished(body: dict[str, Any]) -> bool:
    return bool(body["data"].get("status") == "FINISHED")


async def _generated_job(
    sim: httpx.AsyncClient, headers: dict[str, str], start_job: Start, count: int
) -> str:
    generated = await sim.post(f"/_sim/servers/{SERVER_ID}/generate", json={"projects": count, "seed": 1})
    keys = [k for k in generated.json()["projects"] if k not in ("ALPHA", "BETA", "GAMMA")]
    assert len(keys) == count
    return await start_job(headers, "jira", keys)


async def test_walking_every_page_of_500_projects_returns_each_once(
    sim: httpx.AsyncClient, token: Callable[..., Awaitable[str]], start_job: Start, start_task: Start
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    await sim.post("/_sim/faults", json={"itemsPerSecond": 20_000})  # about 2.5 s: pages see it moving
    job = await _generated_job(sim, headers, start_job, 500)
    task = await start_task(headers, job, "migrate")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{task}/status"
    seen: list[str] = []
    params = {"level": "migrate,projects", "expandChildren": "true"}
    pages = 0
    while True:
        body = (await sim.get(url, headers=headers, params=params)).json()
        seen += list(body["data"]["children"])
        assert len(body["data"]["children"]) <= 20 and body["links"]["self"]
        pages += 1
        if "next" not in body["links"]:
            break
        params = {**params, "cursor": body["links"]["next"]}
    assert pages == 25 and len(seen) == len(set(seen)) == 500


async def test_status_and_outcome_filter_the_children(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    await sim.post("/_sim/faults", json={"failKeys": ["BETA"]})
    job = await start_job(headers, "jira", ["ALPHA", "BETA", "GAMMA"])
    task = await start_task(headers, job, "migrate")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{task}/status"
    await poll(url, headers, until=_finished)
    level = {"level": "migrate,projects", "expandChildren": "true"}
    failed = (await sim.get(url, headers=headers, params={**level, "outcome": "FAILED"})).json()
    assert list(failed["data"]["children"]) == ["BETA"]
    succeeded = await sim.get(
        url, headers=headers, params={**level, "status": "FINISHED", "outcome": "SUCCESS"}
    )
    assert list(succeeded.json()["data"]["children"]) == ["ALPHA", "GAMMA"]
    pending = (await sim.get(url, headers=headers, params={**level, "status": "PENDING"})).json()
    assert "children" not in pending["data"]
    bare = (await sim.get(url, headers=headers, params={"level": "migrate,projects"})).json()
    assert bare == {"data": {}, "links": {}}  # the container answers only with expandChildren, as documented


async def test_a_check_task_has_no_levels_but_each_check_is_a_child(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    job = await start_job(headers, "jira", ["ALPHA"])
    task = await start_task(headers, job, "check", {"checkTypes": {"excludeKeys": ["DatabaseSize"]}})
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{task}/status"
    await poll(url, headers, until=_finished)
    assert (await sim.get(url, headers=headers, params={"level": "check"})).json() == {
        "data": {},
        "links": {},
    }
    one = (await sim.get(url, headers=headers, params={"level": "AdvancedRoadmapsOutdated"})).json()
    assert one == {"data": {"status": "FINISHED", "outcome": "SKIPPED"}, "links": {}}
    excluded = (await sim.get(url, headers=headers, params={"level": "DatabaseSize"})).json()
    assert excluded == {"data": {}, "links": {}}
    bad = await sim.get(url, headers=headers, params={"expandChildren": "true", "cursor": "bm90LWEtY3Vyc29y"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "INVALID_CURSOR"


async def test_apps_finish_after_the_migration_is_finished(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    job = await start_job(headers, "jira", ["BETA"], apps=["com.example.app"])
    task = await start_task(headers, job, "migrate")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{task}/status"
    params = {"level": "migrate", "expandChildren": "true"}
    migrated = await poll(url, headers, until=_finished, params=params)
    children = migrated["data"]["children"]
    assert children["apps"]["status"] == "IN_PROGRESS"  # the same snapshot: migrate FINISHED, apps not yet
    assert all(c["status"] == "FINISHED" for name, c in children.items() if name != "apps")
    apps = await poll(url, headers, until=_finished, params={"level": "migrate,apps"})
    assert apps["data"]["outcome"] == "SUCCESS"


async def test_a_parent_in_progress_may_show_pending_children_but_never_finished_before_them(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    await sim.post("/_sim/faults", json={"itemsPerSecond": 400})
    job = await start_job(headers, "jira", ["ALPHA", "BETA"])
    task = await start_task(headers, job, "migrate")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{task}/status"
    running = await poll(
        url, headers, until=lambda b: b["data"]["status"] == "IN_PROGRESS", params={"level": "migrate"}
    )
    assert running["data"]["progressDetails"] == {"isSupported": False}
    projects = await poll(
        url,
        headers,
        params={"level": "migrate,projects", "expandChildren": "true"},
        until=lambda b: b["data"]["children"]["ALPHA"]["status"] == "IN_PROGRESS",
    )
    alpha, beta = projects["data"]["children"]["ALPHA"], projects["data"]["children"]["BETA"]
    assert beta["status"] == "PENDING"
    assert alpha["progressDetails"]["isSupported"] and alpha["progressDetails"]["data"][0]["name"] in (
        "Issues - export",
        "Issues - import",
    )
    assert alpha["progressDetails"]["data"][0]["total"] == 120
