"""The first slice through the public API: connect, discover, migrate a site, end DONE."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support import wait_until

pytestmark = pytest.mark.e2e

JOB_FIELDS = {
    "id",
    "type",
    "status",
    "sourceTenantId",
    "destTenantId",
    "scope",
    "totalItems",
    "doneItems",
    "errorItems",
    "skippedItems",
    "bytesTransferred",
    "dryRun",
    "name",  # given at creation (a batch's name), else null
    "scheduledAt",
    "createdAt",
    "startedAt",
    "completedAt",
}


def site_content(simulator: httpx.Client, url: str) -> dict[str, str]:
    """path -> sha256 (files) / "folder" of a site, as the simulator holds it."""
    body = simulator.get("/_sim/sites", params={"url": url}).json()
    return {i["path"]: i.get("sha256") or "folder" for i in body["items"]}


def run_job(api: httpx.Client, tenants: dict[str, str], site: str) -> dict[str, Any]:
    created = api.post(
        "/v1/jobs",
        json={
            "sourceTenantId": tenants["contoso.com"],
            "destTenantId": tenants["fabrikam.com"],
            "type": "SHAREPOINT",
            "options": {"sites": [site]},
        },
    )
    assert created.status_code == 201, created.text
    job = created.json()["job"]
    assert set(job) == JOB_FIELDS
    assert job["id"].startswith("job_") and job["status"] in ("QUEUED", "RUNNING")
    return dict(job)


def test_tenants_are_discovered_with_users_sites_and_teams(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    tenant = api.get(f"/v1/tenants/{tenants['contoso.com']}").json()["tenant"]
    assert (
        tenant["id"].startswith("ten_") and tenant["domain"] == "contoso.com" and tenant["role"] == "source"
    )
    assert tenant["mailboxCount"] > 0 and tenant["siteCount"] >= 3 and tenant["totalSizeBytes"] > 0
    for kind, prefix in (("users", "dbu_"), ("sites", "dbs_"), ("teams", "dbt_")):
        listing = api.get(f"/v1/tenants/{tenants['contoso.com']}/{kind}").json()
        assert listing[kind] and all(item["id"].startswith(prefix) for item in listing[kind])
        assert listing["latestJob"]["status"] == "DONE" and listing["latestJob"]["id"].startswith("dis_")
    listed = api.get("/v1/tenants").json()["tenants"]
    assert {t["domain"] for t in listed} == {"contoso.com", "fabrikam.com"}


def test_sharepoint_job_runs_to_done_and_the_destination_holds_the_source(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    sites = api.get(f"/v1/tenants/{tenants['contoso.com']}/sites").json()["sites"]
    site = next(s["url"] for s in sites if s["url"].endswith("/sites/marketing"))
    source = site_content(simulator, site)
    job = run_job(api, tenants, site)

    seen_done: list[int] = []

    def finished() -> dict[str, Any] | None:
        current = api.get(f"/v1/jobs/{job['id']}").json()["job"]
        seen_done.append(current["doneItems"])
        return current if current["status"] in ("DONE", "ERROR") else None

    final = wait_until(finished, timeout=180, what="the SharePoint job to finish")
    assert final["status"] == "DONE"
    assert seen_done == sorted(seen_done), "doneItems must never go backwards"
    failed = [p for p in source if p.endswith(".tmp")]
    assert final["totalItems"] == len(source)
    assert final["errorItems"] == len(failed) > 0
    assert final["doneItems"] + final["errorItems"] + final["skippedItems"] == final["totalItems"]
    assert final["startedAt"] and final["completedAt"]
    dest = site_content(simulator, site.replace("contoso.sharepoint.com", "fabrikam.sharepoint.com"))
    assert dest == {p: h for p, h in source.items() if p not in failed}
