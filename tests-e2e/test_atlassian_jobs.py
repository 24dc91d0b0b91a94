"""Jira and Confluence migrations through the running system: an Atlassian Cloud site connected
by OAuth consent, a Data Center registered as the source and discovered, jobs that run
Atlassian's checks then migrate, and the checks' verdicts on the job and in its log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from migrator_devstack.stack import Stack
from support import wait_until

pytestmark = pytest.mark.e2e

SERVER_ID = "BSQ4-J2CB-XYZ1-ABCD"


@pytest.fixture(scope="module")
def atlassian(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.procs["atlassian-simulator"].urls["base"], timeout=30) as client:
        yield client


@pytest.fixture
def sites(api: httpx.Client, atlassian: httpx.Client) -> dict[str, str]:
    """The cloud site (destination, by consent) and the Data Center (source, by token)."""
    started = api.post(
        "/v1/tenants/connect",
        json={"domain": "acme.atlassian.net", "role": "destination", "type": "ATLASSIAN"},
    )
    assert started.status_code == 200, started.text
    landed = httpx.get(started.json()["authUrl"], follow_redirects=True, timeout=30)
    assert landed.status_code == 200 and landed.json()["connected"] is True, landed.text
    site = landed.json()["tenantId"]
    registered = api.post(
        "/v1/tenants/servers",
        json={
            "serverId": SERVER_ID,
            "baseUrl": f"{atlassian.base_url}/server/{SERVER_ID}",
            "accessToken": "sim-pat-server-1",
        },
    )
    assert registered.status_code == 201, registered.text
    server = registered.json()["tenant"]["id"]
    for tenant_id in (site, server):
        wait_until(
            lambda t=tenant_id: api.get(f"/v1/tenants/{t}").json()["tenant"]["discoveredAt"],
            timeout=60,
            what="discovery",
        )
    return {"site": site, "server": server}


def run_job(api: httpx.Client, sites: dict[str, str], job_type: str, **options: Any) -> dict[str, Any]:
    created = api.post(
        "/v1/jobs",
        json={
            "sourceTenantId": sites["server"],
            "destTenantId": sites["site"],
            "type": job_type,
            "options": options,
        },
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["id"]
    return dict(
        wait_until(
            lambda: (j := api.get(f"/v1/jobs/{job_id}").json()["job"])["status"] in ("DONE", "ERROR") and j,
            timeout=120,
            what=f"{job_type} job to finish",
        )
    )


def log_of(api: httpx.Client, job_id: str) -> str:
    return api.get(f"/v1/jobs/{job_id}/logs/export").text


def log_lines(api: httpx.Client, job_id: str) -> list[str]:
    """The job's log, each line's message."""
    return [row["message"] for row in csv.DictReader(io.StringIO(log_of(api, job_id)))]


def test_tenants_connect_and_are_discovered(api: httpx.Client, sites: dict[str, str]) -> None:
    server = api.get(f"/v1/tenants/{sites['server']}").json()["tenant"]
    assert server["type"] == "ATLASSIAN_SERVER" and server["role"] == "source" and server["projectCount"] == 3
    assert server["userCount"] == 12 and server["totalSizeBytes"] > 0
    projects = api.get(f"/v1/tenants/{sites['server']}/projects").json()["projects"]
    assert {p["key"]: p["issueCount"] for p in projects} == {"ALPHA": 120, "BETA": 45, "GAMMA": 300}
    assert all(isinstance(p["sizeBytes"], int) for p in projects)
    spaces = api.get(f"/v1/tenants/{sites['server']}/spaces").json()["spaces"]
    assert {s["key"] for s in spaces} == {"ENG", "HR"}
    site = api.get(f"/v1/tenants/{sites['site']}").json()["tenant"]
    assert site["type"] == "ATLASSIAN" and site["role"] == "destination"
    refused = api.post(
        "/v1/tenants/connect", json={"domain": "globex.atlassian.net", "role": "source", "type": "ATLASSIAN"}
    )
    assert refused.status_code == 400 and refused.json()["code"] == "VALIDATION_ERROR"
    wrong = api.post(
        "/v1/tenants/servers",
        json={"serverId": SERVER_ID, "baseUrl": f"{api.base_url}/nowhere", "accessToken": "not-the-token"},
    )
    assert wrong.status_code == 422 and wrong.json()["code"].startswith("SERVER_")


def test_a_jira_job_runs_to_done_through_throttling_with_a_warning_logged(
    api: httpx.Client, atlassian: httpx.Client, sites: dict[str, str]
) -> None:
    atlassian.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {"MissingAttachments": {"outcome": "WARNING", "message": "2 attachments missing"}},
        },
    )
    # And Atlassian answers 429 (Retry-After) to the next calls: the job slows down, nothing fails.
    atlassian.post("/_sim/faults", json={"throttle": {"count": 4}})
    try:
        job = run_job(api, sites, "JIRA", projects=["ALPHA", "GAMMA"])
    finally:
        atlassian.post("/_sim/checks", json={"flow": "jira", "outcomes": {}})
        atlassian.delete("/_sim/faults")
    assert job["status"] == "DONE" and (job["totalItems"], job["doneItems"], job["errorItems"]) == (
        420,
        420,
        0,
    )
    projects = api.get(f"/v1/jobs/{job['id']}/projects").json()["projects"]
    assert {(p["key"], p["status"], p["doneItems"]) for p in projects} == {
        ("ALPHA", "DONE", 120),
        ("GAMMA", "DONE", 300),
    }
    checks = api.get(f"/v1/jobs/{job['id']}/checks").json()
    assert checks["outcome"] == "WARNING"
    assert {c["name"]: c["outcome"] for c in checks["checks"]}["MissingAttachments"] == "WARNING"
    log = log_of(api, job["id"])
    assert "Pre-migration check MissingAttachments: WARNING" in log
    # One line per project's outcome, log-stream's, not also the connector's.
    assert [m for m in log_lines(api, job["id"]) if m.startswith("GAMMA")] == ["GAMMA → 300 items migrated"]
    assert "Throttled (429) — retrying in" in log
    landed = atlassian.get("/_sim/sites/acme.atlassian.net").json()["projects"]
    assert {"ALPHA", "GAMMA"} <= {p["key"] for p in landed}


def test_a_failed_blocking_check_stops_the_job_before_migrate(
    api: httpx.Client, atlassian: httpx.Client, sites: dict[str, str]
) -> None:
    atlassian.post(
        "/_sim/checks",
        json={
            "flow": "jira",
            "outcomes": {
                "CloudFreeUserLimit": {
                    "outcome": "FAILED",
                    "message": "Too many users for the free plan",
                    "excludable": True,
                }
            },
        },
    )
    try:
        job = run_job(api, sites, "JIRA", projects=["BETA"])
    finally:
        atlassian.post("/_sim/checks", json={"flow": "jira", "outcomes": {}})
    assert job["status"] == "ERROR"
    (project,) = api.get(f"/v1/jobs/{job['id']}/projects").json()["projects"]
    assert project["status"] == "ERROR" and "CloudFreeUserLimit" in project["message"]
    assert "Pre-migration check CloudFreeUserLimit: FAILED" in log_of(api, job["id"])
    landed = atlassian.get("/_sim/sites/acme.atlassian.net").json()["projects"]
    assert "BETA" not in {p["key"] for p in landed}


def test_a_confluence_job_takes_every_discovered_space(
    api: httpx.Client, sites: dict[str, str], atlassian: httpx.Client
) -> None:
    job = run_job(api, sites, "CONFLUENCE")
    assert job["status"] == "DONE" and job["doneItems"] == 105
    spaces = api.get(f"/v1/jobs/{job['id']}/spaces").json()["spaces"]
    assert {(s["key"], s["status"]) for s in spaces} == {("ENG", "DONE"), ("HR", "DONE")}
    landed = atlassian.get("/_sim/sites/acme.atlassian.net").json()["spaces"]
    assert {s["key"]: s["pageCount"] for s in landed} == {"ENG": 80, "HR": 25}


def test_a_connector_killed_mid_migration_resumes_the_same_migration(
    stack: Stack, api: httpx.Client, atlassian: httpx.Client, sites: dict[str, str]
) -> None:
    atlassian.post("/_sim/faults", json={"itemsPerSecond": 40})  # GAMMA's 300 issues take ~8 s
    try:
        created = api.post(
            "/v1/jobs",
            json={
                "sourceTenantId": sites["server"],
                "destTenantId": sites["site"],
                "type": "JIRA",
                "name": "killed mid-walk",
                "options": {"projects": ["GAMMA"]},
            },
        )
        job_id = created.json()["job"]["id"]

        def migrating() -> bool:
            jobs = atlassian.get("/_sim/jobs").json()["jobs"]
            tasks = [t for j in jobs if j["name"] == "killed mid-walk" for t in j["tasks"]]
            return any(t["taskType"] == "migrate" and t.get("status") == "IN_PROGRESS" for t in tasks)

        wait_until(migrating, timeout=60, what="Atlassian to be migrating the project")
        stack.kill_service("atlassian-connector")
        stack.start_service("atlassian-connector")
        job = wait_until(
            lambda: (j := api.get(f"/v1/jobs/{job_id}").json()["job"])["status"] in ("DONE", "ERROR") and j,
            timeout=120,
            what="the job to finish after the restart",
        )
    finally:
        atlassian.delete("/_sim/faults")
    assert job["status"] == "DONE" and job["doneItems"] == 300
    migrations = [j for j in atlassian.get("/_sim/jobs").json()["jobs"] if j["name"] == "killed mid-walk"]
    assert len(migrations) == 1  # resumed, not started again
    assert sorted(t["taskType"] for t in migrations[0]["tasks"]) == ["check", "migrate"]


def test_a_site_whose_admin_removed_the_app_says_to_reconnect_and_then_works_again(
    api: httpx.Client, atlassian: httpx.Client, sites: dict[str, str]
) -> None:
    said = "consent for acme.atlassian.net was revoked or expired — reconnect the tenant"
    revoked = atlassian.post("/_sim/sites/acme.atlassian.net/revoke-consent")
    assert revoked.status_code == 200, revoked.text
    try:
        failed = run_job(api, sites, "JIRA", projects=["ALPHA"])
        assert failed["status"] == "ERROR" and failed["errorItems"] >= 1
        assert f"ALPHA — {said}" in log_lines(api, failed["id"])
        tenant = api.get(f"/v1/tenants/{sites['site']}").json()["tenant"]
        assert (tenant["status"], tenant["statusMessage"]) == ("RECONNECT_REQUIRED", said)
    finally:  # the site's admin consents again: the same tenant
        started = api.post(
            "/v1/tenants/connect",
            json={"domain": "acme.atlassian.net", "role": "destination", "type": "ATLASSIAN"},
        )
        landed = httpx.get(started.json()["authUrl"], follow_redirects=True, timeout=30)
        assert landed.status_code == 200 and landed.json()["tenantId"] == sites["site"], landed.text
    assert api.get(f"/v1/tenants/{sites['site']}").json()["tenant"]["status"] == "CONNECTED"
    assert run_job(api, sites, "JIRA", projects=["ALPHA"])["status"] == "DONE"


def test_an_atlassian_tenant_can_be_removed(api: httpx.Client, sites: dict[str, str]) -> None:
    deleted = api.delete(f"/v1/tenants/{sites['server']}")
    assert deleted.status_code in (200, 202) and deleted.json() == {"deleted": True}
    wait_until(
        lambda: api.get(f"/v1/tenants/{sites['server']}").status_code == 404, timeout=30, what="the removal"
    )
    assert sites["server"] not in {t["id"] for t in api.get("/v1/tenants").json()["tenants"]}
    assert api.get(f"/v1/tenants/{sites['server']}/projects").status_code == 404
