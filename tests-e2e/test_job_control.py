"""Jobs after creation: pause, resume, delete; batches; dry runs and the quota pre-flight."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from migrator_devstack.stack import Stack
from support import EVENTS, consumer_settled, discovered, wait_until
from support import create_job as create

pytestmark = pytest.mark.e2e

FINANCE = "https://contoso.sharepoint.com/sites/finance"
ENGINEERING = "https://contoso.sharepoint.com/sites/engineering"
PARKED_AT = "2099-01-01T00:00:00Z"


def job(api: httpx.Client, job_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/jobs/{job_id}")
    assert response.status_code == 200, response.text
    return dict(response.json()["job"])


def source_items(simulator: httpx.Client, *sites: str) -> int:
    return sum(len(simulator.get("/_sim/sites", params={"url": s}).json()["items"]) for s in sites)


def test_a_paused_job_finishes_its_current_site_starts_no_other_and_resumes_to_done(
    stack: Stack, api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    # The suite runs one unit (site) of a job at a time: the second waits for the first.
    # fullPass: both sites migrated before; this test needs every item to move again.
    created = create(
        api, tenants, type="SHAREPOINT", options={"sites": [FINANCE, ENGINEERING], "fullPass": True}
    )
    # A site is in flight only once its connector has started it: paused before that, the
    # connector hands the site back untouched (and nothing would finish while paused).
    wait_until(
        lambda: any(
            s["status"] == "RUNNING" for s in api.get(f"/v1/jobs/{created['id']}/sites").json()["sites"]
        ),
        timeout=60,
        interval=0.05,
        what="the first site to be in flight",
    )
    paused = api.patch(f"/v1/jobs/{created['id']}/pause")
    assert paused.status_code == 200 and paused.json() == {"status": "PAUSED"}, paused.text
    assert job(api, created["id"])["status"] == "PAUSED"
    # The site in flight completes its batch and is counted; then nothing more happens.
    first = wait_until(
        lambda: (
            (j := job(api, created["id"]))["totalItems"] > 0
            and j["doneItems"] + j["errorItems"] + j["skippedItems"] == j["totalItems"]
            and j
        ),
        timeout=120,
        what="the in-flight site to finish while paused",
    )
    assert first["totalItems"] == source_items(simulator, FINANCE)

    def sites() -> list[dict[str, Any]]:
        return list(api.get(f"/v1/jobs/{created['id']}/sites").json()["sites"])

    wait_until(lambda: any(s["status"] == "DONE" for s in sites()), timeout=60, what="the first site's end")
    # The scheduler dispatches when it handles a unit's end; once it has handled every unit
    # event, it has had its chance to start the other site, and it did not.
    wait_until(
        lambda: consumer_settled(stack, EVENTS, "scheduler-unit-progress"),
        timeout=30,
        what="the scheduler to handle every unit event",
    )
    held = job(api, created["id"])
    assert held["status"] == "PAUSED" and held["totalItems"] == first["totalItems"]
    assert sorted(s["status"] for s in sites()) == ["DONE", "QUEUED"]
    assert held["completedAt"] is None

    resumed = api.patch(f"/v1/jobs/{created['id']}/resume")
    assert resumed.status_code == 200 and resumed.json() == {"status": "QUEUED"}
    final = wait_until(
        lambda: (j := job(api, created["id"]))["status"] in ("DONE", "ERROR") and j,
        timeout=180,
        what="the resumed job to finish",
    )
    assert final["status"] == "DONE"
    assert final["totalItems"] == source_items(simulator, FINANCE, ENGINEERING)
    assert final["doneItems"] + final["errorItems"] + final["skippedItems"] == final["totalItems"]


def test_pause_and_resume_refuse_jobs_in_the_wrong_status(api: httpx.Client, tenants: dict[str, str]) -> None:
    parked = create(api, tenants, type="SHAREPOINT", scheduledAt=PARKED_AT, options={"sites": [FINANCE]})
    not_paused = api.patch(f"/v1/jobs/{parked['id']}/resume")
    assert not_paused.status_code == 409 and not_paused.json()["code"] == "JOB_NOT_PAUSED"
    assert api.patch(f"/v1/jobs/{parked['id']}/pause").json() == {"status": "PAUSED"}
    assert api.patch(f"/v1/jobs/{parked['id']}/pause").json() == {"status": "PAUSED"}, "pausing is idempotent"
    # Resumed, a scheduled job waits for its time again.
    assert api.patch(f"/v1/jobs/{parked['id']}/resume").json() == {"status": "QUEUED"}
    assert job(api, parked["id"])["status"] == "QUEUED"

    done = create(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE]})
    wait_until(lambda: job(api, done["id"])["status"] == "DONE", timeout=120, what="the job to finish")
    refused = api.patch(f"/v1/jobs/{done['id']}/pause")
    assert refused.status_code == 409 and refused.json()["code"] == "JOB_NOT_PAUSABLE"
    assert set(refused.json()) == {"error", "code", "status"}


def test_a_deleted_job_is_gone_from_every_read(api: httpx.Client, tenants: dict[str, str]) -> None:
    parked = create(api, tenants, type="SHAREPOINT", scheduledAt=PARKED_AT, options={"sites": [FINANCE]})
    running = create(api, tenants, type="SHAREPOINT", options={"sites": [ENGINEERING]})
    for doomed in (parked, running):
        deleted = api.delete(f"/v1/jobs/{doomed['id']}")
        assert deleted.status_code == 200 and deleted.json() == {"deleted": True}
        gone = api.get(f"/v1/jobs/{doomed['id']}")
        assert gone.status_code == 404 and gone.json()["code"] == "JOB_NOT_FOUND"
        assert api.delete(f"/v1/jobs/{doomed['id']}").status_code == 404
    listed = {j["id"] for j in api.get("/v1/jobs", params={"limit": 100}).json()["jobs"]}
    assert not listed & {parked["id"], running["id"]}


def test_another_organisation_cannot_pause_resume_or_delete_our_job(
    api: httpx.Client, other_org_api: httpx.Client, tenants: dict[str, str]
) -> None:
    parked = create(api, tenants, type="SHAREPOINT", scheduledAt=PARKED_AT, options={"sites": [FINANCE]})
    for method, path in (
        ("PATCH", f"/v1/jobs/{parked['id']}/pause"),
        ("PATCH", f"/v1/jobs/{parked['id']}/resume"),
        ("DELETE", f"/v1/jobs/{parked['id']}"),
    ):
        response = other_org_api.request(method, path)
        assert response.status_code == 404 and response.json()["code"] == "JOB_NOT_FOUND"
    assert job(api, parked["id"])["status"] == "QUEUED"


def test_a_batch_creates_one_job_per_item_in_order_and_all_or_nothing(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    users = api.get(f"/v1/tenants/{tenants['contoso.com']}/users").json()["users"]
    upns = [u["upn"] for u in users[:4]]
    body: dict[str, Any] = {
        "sourceTenantId": tenants["contoso.com"],
        "destTenantId": tenants["fabrikam.com"],
        "type": "EMAIL",
        "scope": {"email": True, "calendar": True, "contacts": True},
        "batches": [
            {
                "name": f"Wave {n}",
                "scheduledAt": f"2099-06-0{n}T22:00:00Z",
                "options": {
                    "mailboxes": pair,
                    "mailboxMappings": [
                        {"source": u, "dest": u.replace("contoso", "fabrikam")} for u in pair
                    ],
                },
            }
            for n, pair in ((1, upns[:2]), (2, upns[2:]))
        ],
    }
    before = {j["id"] for j in api.get("/v1/jobs", params={"limit": 100}).json()["jobs"]}
    bad = body | {"batches": [*body["batches"], {"options": {"mailboxes": "not-a-list"}}]}
    bad["batches"][-1] = {"name": "Wave 3", "scheduledAt": "tomorrow"}
    rejected = api.post("/v1/jobs/batch", json=bad)
    assert rejected.status_code == 400 and rejected.json()["code"] == "VALIDATION_ERROR"
    assert "batches" in rejected.json()["error"]
    wrong_roles = body | {"sourceTenantId": body["destTenantId"], "destTenantId": body["sourceTenantId"]}
    assert api.post("/v1/jobs/batch", json=wrong_roles).status_code == 422
    assert {j["id"] for j in api.get("/v1/jobs", params={"limit": 100}).json()["jobs"]} == before

    created = api.post("/v1/jobs/batch", json=body)
    assert created.status_code == 201, created.text
    ids = created.json()["jobIds"]
    assert len(ids) == 2 and set(created.json()) == {"jobIds"}
    first, second = job(api, ids[0]), job(api, ids[1])
    assert first["type"] == second["type"] == "EMAIL"
    assert first["status"] == second["status"] == "QUEUED"
    assert first["scope"] == body["scope"]
    assert first["createdAt"] <= second["createdAt"]
    empty = api.post("/v1/jobs/batch", json=body | {"batches": []})
    assert empty.status_code == 400 and empty.json()["code"] == "VALIDATION_ERROR"


def test_a_dry_run_reports_every_check_and_creates_nothing(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    before = {j["id"] for j in api.get("/v1/jobs", params={"limit": 100}).json()["jobs"]}
    body = {
        "sourceTenantId": tenants["contoso.com"],
        "destTenantId": tenants["fabrikam.com"],
        "type": "SHAREPOINT",
        "dryRun": True,
    }
    response = api.post("/v1/jobs", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["job"]["id"] is None and result["job"]["dryRun"] is True
    checks = {c["check"]: c for c in result["preflight"]}
    assert list(checks) == ["tenants", "roles", "workload", "connector", "scope", "quota"]
    assert all(c["ok"] for c in checks.values())
    site_count = api.get(f"/v1/tenants/{tenants['contoso.com']}").json()["tenant"]["siteCount"]
    assert checks["scope"]["detail"] == f"all {site_count} discovered sites"
    assert {j["id"] for j in api.get("/v1/jobs", params={"limit": 100}).json()["jobs"]} == before


def test_a_destination_without_room_fails_the_quota_check(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    dest = tenants["fabrikam.com"]

    def rediscover() -> None:
        started = api.post(f"/v1/tenants/{dest}/discover")
        assert started.status_code == 202, started.text
        discovery = started.json()["latestJob"]["id"]
        wait_until(
            lambda: (
                (s := api.get(f"/v1/tenants/{dest}/sites").json())["latestJob"]["id"] == discovery
                and s["latestJob"]["status"] == "DONE"
            ),
            timeout=60,
            what="the on-demand discovery to complete",
        )

    used = discovered(api, dest)["sharepointUsedBytes"]
    simulator.patch("/_sim/tenants/fabrikam.com", json={"quotaBytes": used + 1}).raise_for_status()
    try:
        rediscover()
        assert api.get(f"/v1/tenants/{dest}").json()["tenant"]["sharepointQuotaBytes"] == used + 1
        response = api.post(
            "/v1/jobs",
            json={"sourceTenantId": tenants["contoso.com"], "destTenantId": dest, "type": "SHAREPOINT"},
        )
        assert response.status_code == 422 and response.json()["code"] == "PREFLIGHT_QUOTA", response.text
        assert "'quota'" in response.json()["error"]
    finally:
        simulator.patch("/_sim/tenants/fabrikam.com", json={"quotaBytes": 25 * 1024**4}).raise_for_status()
        rediscover()


def test_a_jobs_sites_and_mailboxes_show_each_units_progress(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    done = create(api, tenants, type="SHAREPOINT", options={"sites": [FINANCE, ENGINEERING]})
    final = wait_until(
        lambda: (j := job(api, done["id"]))["status"] == "DONE" and j, timeout=180, what="the job to finish"
    )
    first = api.get(f"/v1/jobs/{done['id']}/sites", params={"limit": 1}).json()
    assert first["hasMore"] and len(first["sites"]) == 1
    rest = api.get(f"/v1/jobs/{done['id']}/sites", params={"cursor": first["nextCursor"]}).json()
    sites = first["sites"] + rest["sites"]
    assert not rest["hasMore"] and [s["url"] for s in sites] == [FINANCE, ENGINEERING]
    assert all(s["status"] == "DONE" and s["startedAt"] and s["completedAt"] for s in sites)
    for counter in ("totalItems", "doneItems", "errorItems"):
        assert sum(s[counter] for s in sites) == final[counter]
    assert api.get(f"/v1/jobs/{done['id']}/sites", params={"status": "ERROR"}).json()["sites"] == []

    upns = [u["upn"] for u in api.get(f"/v1/tenants/{tenants['contoso.com']}/users").json()["users"][:2]]
    mapping = [{"source": upns[0], "dest": upns[0].replace("contoso", "fabrikam")}]
    mail = create(
        api,
        tenants,
        type="EMAIL",
        scheduledAt=PARKED_AT,
        options={"mailboxes": upns, "mailboxMappings": mapping},
    )
    boxes = api.get(f"/v1/jobs/{mail['id']}/mailboxes").json()
    # The unmapped mailbox goes to its namesake at fabrikam.com (found when the job was created).
    assert [(b["email"], b["destEmail"]) for b in boxes["mailboxes"]] == [
        (upns[0], mapping[0]["dest"]),
        (upns[1], upns[1].replace("contoso.com", "fabrikam.com")),
    ]
    assert all(b["status"] == "QUEUED" and b["sizeBytes"] > 0 for b in boxes["mailboxes"])
