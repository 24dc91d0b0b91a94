"""Organisations never see each other; a scheduled job starts at its time, not before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from support import wait_until

pytestmark = pytest.mark.e2e

# A job that exists but will not start during the test run.
PARKED = {
    "type": "SHAREPOINT",
    "scheduledAt": "2099-01-01T00:00:00Z",
    "options": {"sites": ["https://contoso.sharepoint.com/sites/finance"]},
}


def test_another_organisation_sees_404_for_our_tenants_and_jobs(
    api: httpx.Client, other_org_api: httpx.Client, tenants: dict[str, str]
) -> None:
    tenant_id = tenants["contoso.com"]
    assert other_org_api.get("/v1/tenants").json() == {"tenants": []}
    for path in (f"/v1/tenants/{tenant_id}", f"/v1/tenants/{tenant_id}/sites"):
        response = other_org_api.get(path)
        assert response.status_code == 404 and response.json()["code"] == "TENANT_NOT_FOUND"
    # Nor can it start a job between our tenants.
    job = other_org_api.post(
        "/v1/jobs",
        json={"sourceTenantId": tenant_id, "destTenantId": tenants["fabrikam.com"], **PARKED},
    )
    assert job.status_code == 404 and job.json()["code"] == "TENANT_NOT_FOUND"
    ours = api.post(
        "/v1/jobs",
        json={"sourceTenantId": tenant_id, "destTenantId": tenants["fabrikam.com"], **PARKED},
    )
    assert ours.status_code == 201
    theirs = other_org_api.get(f"/v1/jobs/{ours.json()['job']['id']}")
    assert theirs.status_code == 404 and theirs.json()["code"] == "JOB_NOT_FOUND"
    assert other_org_api.get("/v1/jobs").json()["jobs"] == []


def test_a_scheduled_job_waits_for_its_time_then_runs(api: httpx.Client, tenants: dict[str, str]) -> None:
    start_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    created = api.post(
        "/v1/jobs",
        json={
            "sourceTenantId": tenants["contoso.com"],
            "destTenantId": tenants["fabrikam.com"],
            "type": "SHAREPOINT",
            "scheduledAt": start_at.isoformat().replace("+00:00", "Z"),
            "options": {"sites": ["https://contoso.sharepoint.com/sites/finance"]},
        },
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["id"]
    assert created.json()["job"]["status"] == "QUEUED"
    started = wait_until(
        lambda: (j := api.get(f"/v1/jobs/{job_id}").json()["job"])["startedAt"] and j,
        timeout=60,
        what="the scheduled job to start",
    )
    assert datetime.fromisoformat(started["startedAt"].replace("Z", "+00:00")) >= start_at
    final = wait_until(
        lambda: (j := api.get(f"/v1/jobs/{job_id}").json()["job"])["status"] == "DONE" and j,
        timeout=120,
        what="the scheduled job to finish",
    )
    assert final["doneItems"] + final["errorItems"] + final["skippedItems"] == final["totalItems"] > 0


def test_job_listing_pages_newest_first_without_gaps_or_repeats(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    for _ in range(5):
        response = api.post(
            "/v1/jobs",
            json={
                "sourceTenantId": tenants["contoso.com"],
                "destTenantId": tenants["fabrikam.com"],
                **PARKED,
            },
        )
        assert response.status_code == 201
    everything = api.get("/v1/jobs", params={"limit": 100}).json()
    assert not everything["hasMore"] and everything["nextCursor"] is None
    seen: list[str] = []
    cursor = None
    while True:
        page = api.get("/v1/jobs", params={"limit": 2} | ({"cursor": cursor} if cursor else {})).json()
        seen += [j["id"] for j in page["jobs"]]
        if not page["hasMore"]:
            break
        cursor = page["nextCursor"]
    assert seen == [j["id"] for j in everything["jobs"]] and len(seen) == len(set(seen)) >= 5
    keys = [(j["createdAt"], j["id"]) for j in everything["jobs"]]
    assert keys == sorted(keys, reverse=True)
    bad = api.get("/v1/jobs", params={"cursor": "cur_garbage"})
    assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"
