"""Jobs and tasks through the migration API: checks, then content really moving to the cloud site."""

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


async def _site(sim: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await sim.get("/_sim/sites/acme.atlassian.net")).json()
    return body


async def test_jira_job_checks_then_migrates_projects_onto_the_site(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    job = await start_job(headers, "jira", ["ALPHA", "GAMMA"])
    definition = (await sim.get(f"{MIGRATIONS}/jobs/{job}", headers=headers)).json()
    assert definition["jobId"] == job and definition["jobDefinition"]["scope"]["projects"][
        "includedKeys"
    ] == [
        "ALPHA",
        "GAMMA",
    ]
    check = await start_task(headers, job, "check")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{check}/status"
    checked = await poll(url, headers, until=_finished, params={"expandChildren": "true"})
    assert checked["data"]["outcome"] == "SUCCESS" and len(checked["data"]["children"]) == 20
    rest = await sim.get(
        url, headers=headers, params={"expandChildren": "true", "cursor": checked["links"]["next"]}
    )
    assert set(rest.json()["data"]["children"]) == {"MissingAttachments", "MissingIssueTypes"}  # 22 checks
    migrate = await start_task(headers, job, "migrate")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{migrate}/status"
    done = await poll(url, headers, until=_finished)
    assert done["data"]["outcome"] == "SUCCESS" and done["data"]["details"]["startedAt"]
    projects = await sim.get(
        url, headers=headers, params={"level": "migrate,projects", "expandChildren": "true"}
    )
    children = projects.json()["data"]["children"]
    assert {k: v["outcome"] for k, v in children.items()} == {"ALPHA": "SUCCESS", "GAMMA": "SUCCESS"}
    assert all("progressDetails" not in v for v in children.values())  # point in time: none once done
    site = await _site(sim)
    assert {p["key"]: p["issueCount"] for p in site["projects"]} == {"ALPHA": 120, "GAMMA": 300}
    tasks = (await sim.get(f"{MIGRATIONS}/jobs/{job}/tasks", headers=headers)).json()
    assert [t["taskId"] for t in tasks["data"]] == [migrate, check] and tasks["links"]["self"]


async def test_confluence_job_migrates_spaces_and_lists_them_on_the_site(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    job = await start_job(headers, "confluence", ["ENG", "HR"])
    check = await start_task(headers, job, "check", {"checkTypes": {"includeKeys": ["SpaceKeyConflict"]}})
    checked = await poll(f"{MIGRATIONS}/jobs/{job}/tasks/{check}/status", headers, until=_finished)
    assert checked["data"]["outcome"] == "SUCCESS"
    migrate = await start_task(headers, job, "migrate")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{migrate}/status"
    await poll(url, headers, until=_finished)
    scopes = await sim.get(url, headers=headers, params={"level": "migrate", "expandChildren": "true"})
    assert set(scopes.json()["data"]["children"]) == {"usersAndGroups", "apps", "globalEntities"}
    resources = (await sim.get("/api/oauth/token/accessible-resources", headers=headers)).json()
    spaces = await sim.get(f"/api/ex/confluence/{resources[0]['id']}/wiki/api/v2/spaces", headers=headers)
    assert {s["key"]: s["pageCount"] for s in spaces.json()["results"]} == {"ENG": 80, "HR": 25}
    again = await start_task(headers, job, "check")  # the spaces are on the site now: their keys clash
    clash = await poll(f"{MIGRATIONS}/jobs/{job}/tasks/{again}/status", headers, until=_finished)
    assert clash["data"]["outcome"] == "FAILED" and "SpaceKeyConflict" in clash["data"]["message"]


async def test_failed_blocking_check_stops_the_migration_unless_overridden(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    await sim.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {
                "AnonPermission": {"outcome": "FAILED", "message": "Public access", "excludable": True}
            },
        },
    )
    job = await start_job(headers, "jira", ["BETA"])
    blocked = await start_task(headers, job, "migrate")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{blocked}/status"
    root = await poll(url, headers, until=_finished)
    assert root["data"]["outcome"] == "FAILED"
    assert (
        root["data"]["message"]
        == "The migration couldn't be scheduled: pre-migration check AnonPermission failed"
    )
    failed = (await sim.get(url, headers=headers, params={"level": "check,AnonPermission"})).json()["data"]
    assert failed["outcome"] == "FAILED" and failed["details"]["excludable"] is True
    assert (await _site(sim))["projects"] == []
    overridden = await start_task(headers, job, "migrate", {"overrideChecks": ["AnonPermission"]})
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{overridden}/status"
    done = await poll(url, headers, until=_finished, params={"expandChildren": "true"})
    assert done["data"]["outcome"] == "SUCCESS" and done["data"]["children"]["check"]["outcome"] == "WARNING"
    assert [p["key"] for p in (await _site(sim))["projects"]] == ["BETA"]


async def test_a_failing_project_is_reported_and_not_landed(
    sim: httpx.AsyncClient,
    token: Callable[..., Awaitable[str]],
    poll: Poll,
    start_job: Start,
    start_task: Start,
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    await sim.post("/_sim/faults", json={"failKeys": ["BETA"], "warnKeys": ["ALPHA"]})
    job = await start_job(headers, "jira", ["ALPHA", "BETA", "GAMMA"])
    task = await start_task(headers, job, "migrate")
    url = f"{MIGRATIONS}/jobs/{job}/tasks/{task}/status"
    root = await poll(url, headers, until=_finished)
    assert root["data"]["outcome"] == "FAILED" and "BETA" in root["data"]["message"]
    beta = (await sim.get(url, headers=headers, params={"level": "migrate,projects,BETA"})).json()["data"]
    assert beta["outcome"] == "FAILED" and beta["message"].startswith("Issue import failed: ")
    alpha = (await sim.get(url, headers=headers, params={"level": "migrate,projects,ALPHA"})).json()["data"]
    assert alpha["outcome"] == "WARNING"
    assert sorted(p["key"] for p in (await _site(sim))["projects"]) == ["ALPHA", "GAMMA"]


async def test_job_definitions_are_validated_strictly(
    sim: httpx.AsyncClient, token: Callable[..., Awaitable[str]]
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    body: dict[str, Any] = {
        "flow": "jira-onpremises-to-cloud",
        "name": "bad",
        "source": {"serverId": SERVER_ID},
        "destination": {"url": "https://globex.atlassian.net"},
        "scope": {"spaces": {"includedKeys": ["ENG"], "includedData": "ALL"}},
    }
    refused = await sim.post(f"{MIGRATIONS}/jobs", json=body, headers=headers)
    codes = {e["code"] for e in refused.json()["errors"]}
    assert refused.status_code == 400 and codes == {"INVALID_DESTINATION", "SCOPE_MISMATCH"}
    body |= {
        "destination": {"url": "https://acme.atlassian.net/"},
        "scope": {"projects": {"includedKeys": ["ALPHA", "NOPE"], "includedData": "all"}},
    }
    missing = await sim.post(f"{MIGRATIONS}/jobs", json=body, headers=headers)
    assert [e["code"] for e in missing.json()["errors"]] == ["KEY_NOT_FOUND"]
    unknown = await sim.post(
        f"{MIGRATIONS}/jobs", json=body | {"source": {"serverId": "NOPE"}}, headers=headers
    )
    assert "SOURCE_NOT_FOUND" in {e["code"] for e in unknown.json()["errors"]}
    assert (await sim.post(f"{MIGRATIONS}/jobs", json=body)).status_code == 401


async def test_task_options_name_known_checks(
    sim: httpx.AsyncClient, token: Callable[..., Awaitable[str]], start_job: Start
) -> None:
    headers = {"Authorization": f"Bearer {await token()}"}
    job = await start_job(headers, "jira", ["ALPHA"])
    bad = await sim.post(
        f"{MIGRATIONS}/jobs/{job}/tasks",
        json={"task": "check", "options": {"checkTypes": {"includeKeys": ["NoSuchCheck"]}}},
        headers=headers,
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "INVALID_CHECK_TYPE"
    other = await token("globex.atlassian.net")
    foreign = await sim.get(f"{MIGRATIONS}/jobs/{job}", headers={"Authorization": f"Bearer {other}"})
    assert foreign.status_code == 404
