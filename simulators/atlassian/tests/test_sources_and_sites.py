"""Server / Data Center sources behind their PATs, and the cloud sites' product APIs paging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.integration
SERVER = "/server/BSQ4-J2CB-XYZ1-ABCD"
PAT = {"Authorization": "Bearer sim-pat-server-1"}
MIGRATIONS = "/api/migrations/public/v1"
Poll = Callable[..., Awaitable[dict[str, Any]]]
Start = Callable[..., Awaitable[str]]


async def test_the_seeded_server_lists_projects_spaces_and_users(sim: httpx.AsyncClient) -> None:
    info = (await sim.get(f"{SERVER}/rest/api/2/serverInfo", headers=PAT)).json()
    assert info["serverId"] == "BSQ4-J2CB-XYZ1-ABCD" and info["version"] == "9.12.2"
    assert info["baseUrl"] == f"http://sim{SERVER}" and info["deploymentType"] in ("Server", "DataCenter")
    projects = (await sim.get(f"{SERVER}/rest/api/2/project", headers=PAT)).json()
    assert {p["key"]: p["issueCount"] for p in projects} == {"ALPHA": 120, "BETA": 45, "GAMMA": 300}
    first = (await sim.get(f"{SERVER}/rest/api/space", headers=PAT, params={"limit": 1})).json()
    assert first["size"] == 1 and first["_links"]["next"] == "/rest/api/space?limit=1&start=1"
    rest = (await sim.get(f"{SERVER}/rest/api/space", headers=PAT, params={"start": 1, "limit": 1})).json()
    assert [s["key"] for s in first["results"] + rest["results"]] == ["ENG", "HR"] and "next" not in rest[
        "_links"
    ]
    users = (await sim.get(f"{SERVER}/rest/api/2/user/search", headers=PAT, params={"username": "."})).json()
    assert len(users) == 12 and {"name", "emailAddress", "displayName"} <= set(users[0])
    assert (await sim.get(f"{SERVER}/rest/api/2/project")).status_code == 401
    assert (await sim.get("/server/NOPE/rest/api/2/project", headers=PAT)).status_code == 404


async def test_servers_can_be_replaced_through_control(sim: httpx.AsyncClient) -> None:
    spec = {
        "serverId": "CONF-ONLY-0000-0001",
        "products": ["confluence"],
        "pat": "pat-2",
        "deploymentType": "Server",
        "spaces": [{"key": "DOCS", "name": "Docs", "pageCount": 7, "sizeBytes": 10}],
        "users": [{"name": "zed", "emailAddress": "zed@x.example", "displayName": "Zed"}],
    }
    assert (await sim.post("/_sim/servers", json=spec)).status_code == 200
    headers = {"Authorization": "Bearer pat-2"}
    base = "/server/CONF-ONLY-0000-0001"
    assert (await sim.get(f"{base}/rest/api/2/project", headers=headers)).status_code == 404  # no Jira
    spaces = (await sim.get(f"{base}/rest/api/space", headers=headers)).json()
    assert spaces["results"][0]["pageCount"] == 7


async def test_project_search_pages_over_migrated_projects(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    generated = await sim.post("/_sim/servers/BSQ4-J2CB-XYZ1-ABCD/generate", json={"projects": 4, "seed": 7})
    keys = generated.json()["projects"]
    job = await start_job(headers, "jira", keys)
    task = await start_task(headers, job, "migrate")
    await poll(
        f"{MIGRATIONS}/jobs/{job}/tasks/{task}/status",
        headers,
        until=lambda b: b["data"].get("status") == "FINISHED",
    )
    [site] = (await sim.get("/api/oauth/token/accessible-resources", headers=headers)).json()
    search = f"/api/ex/jira/{site['id']}/rest/api/3/project/search"
    seen, start = [], 0
    while True:
        page = (await sim.get(search, headers=headers, params={"startAt": start, "maxResults": 3})).json()
        assert page["total"] == 7 and page["startAt"] == start and page["maxResults"] == 3
        seen += [p["key"] for p in page["values"]]
        if page["isLast"]:
            break
        start += 3
    assert sorted(seen) == sorted(keys) and len(seen) == 7


async def test_confluence_spaces_follow_the_site_relative_next_link(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    generated = await sim.post("/_sim/servers/BSQ4-J2CB-XYZ1-ABCD/generate", json={"spaces": 3, "seed": 2})
    keys = generated.json()["spaces"]
    job = await start_job(headers, "confluence", keys)
    task = await start_task(headers, job, "migrate")
    await poll(
        f"{MIGRATIONS}/jobs/{job}/tasks/{task}/status",
        headers,
        until=lambda b: b["data"].get("status") == "FINISHED",
    )
    [site] = (await sim.get("/api/oauth/token/accessible-resources", headers=headers)).json()
    base = f"/api/ex/confluence/{site['id']}"
    url: str | None = f"{base}/wiki/api/v2/spaces?limit=2"
    seen: list[str] = []
    while url:
        page = (await sim.get(url, headers=headers)).json()
        seen += [s["key"] for s in page["results"]]
        following = page["_links"].get("next")
        url = f"{base}{following}" if following else None
    assert sorted(seen) == sorted(keys) and len(seen) == 5
