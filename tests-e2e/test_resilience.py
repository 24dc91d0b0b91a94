"""Nothing is lost: a killed service resumes, a bare NATS command runs, poison is dead-lettered."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import nats
import pytest
from migrator_devstack.stack import Stack
from support import Organisation, new_site, wait_until

pytestmark = pytest.mark.e2e


def job_state(api: httpx.Client, job_id: str) -> dict[str, Any] | None:
    response = api.get(f"/v1/jobs/{job_id}")
    return dict(response.json()["job"]) if response.status_code == 200 else None


def expected_counts(simulator: httpx.Client, site: str) -> tuple[int, int]:
    items = simulator.get("/_sim/sites", params={"url": site}).json()["items"]
    return len(items), sum(1 for i in items if i["path"].endswith(".tmp"))


def test_services_killed_mid_job_resume_without_loss_or_double_counting(
    stack: Stack, api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    site = "https://contoso.sharepoint.com/sites/engineering"
    total, failed = expected_counts(simulator, site)
    # Slow the import down so the kill lands in the middle of it.
    simulator.post("/_sim/faults", json={"objectDelayMs": 250}).raise_for_status()
    created = api.post(
        "/v1/jobs",
        json={
            "sourceTenantId": tenants["contoso.com"],
            "destTenantId": tenants["fabrikam.com"],
            "type": "SHAREPOINT",
            # A full pass: the site was migrated before, and the kills must land mid-copy.
            "options": {"sites": [site], "fullPass": True},
        },
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["job"]["id"]
    wait_until(
        lambda: (job_state(api, job_id) or {}).get("doneItems", 0) > 0,
        timeout=120,
        what="the job to make progress",
    )
    stack.kill_service("sp-connector")
    stack.kill_service("scheduler")
    assert (job_state(api, job_id) or {})["status"] == "RUNNING", "the kill must land mid-job"
    simulator.delete("/_sim/faults").raise_for_status()
    stack.start_service("scheduler")
    stack.start_service("sp-connector")
    final = wait_until(
        lambda: (s := job_state(api, job_id)) and s["status"] in ("DONE", "ERROR") and s,
        timeout=240,
        what="the job to finish after the restart",
    )
    assert final["status"] == "DONE"
    assert final["totalItems"] == total
    assert final["errorItems"] == failed
    assert final["doneItems"] == total - failed
    assert final["skippedItems"] == 0


async def _publish(stack: Stack, subject: str, payload: bytes, msg_id: str | None = None) -> None:
    nc = await nats.connect(stack.env["MIGRATOR_NATS_URL"])
    try:
        await nc.jetstream().publish(subject, payload, headers={"Nats-Msg-Id": msg_id} if msg_id else None)
    finally:
        await nc.close()


async def _dead_letters(stack: Stack) -> list[bytes]:
    nc = await nats.connect(stack.env["MIGRATOR_NATS_URL"])
    try:
        js = nc.jetstream()
        sub = await js.subscribe("migrator.dlq.migrator.cmd.job.create", ordered_consumer=True)
        out = []
        try:
            while True:
                out.append((await sub.next_msg(timeout=1)).data)
        except nats.errors.TimeoutError:
            return out
    finally:
        await nc.close()


def test_a_hand_written_json_command_from_a_bare_nats_client_is_executed(
    stack: Stack, api: httpx.Client, organisation: Organisation, tenants: dict[str, str]
) -> None:
    # What an operator types with `nats pub migrator.cmd.job.create '{...}'`: plain JSON, no FastStream.
    body = {
        "jobId": "job_OPERATOR01",
        "orgId": organisation.id,
        "type": "SHAREPOINT",
        "sourceTenantId": tenants["contoso.com"],
        "destTenantId": tenants["fabrikam.com"],
        "options": {"sites": ["https://contoso.sharepoint.com/sites/finance"]},
    }
    asyncio.run(_publish(stack, "migrator.cmd.job.create", json.dumps(body).encode()))
    final = wait_until(
        lambda: (s := job_state(api, "job_OPERATOR01")) and s["status"] in ("DONE", "ERROR") and s,
        timeout=180,
        what="the operator's job to finish",
    )
    assert final["status"] == "DONE" and final["totalItems"] > 0


def test_malformed_messages_are_dead_lettered_and_the_consumer_goes_on(
    stack: Stack, api: httpx.Client, organisation: Organisation, tenants: dict[str, str]
) -> None:
    asyncio.run(_publish(stack, "migrator.cmd.job.create", b"{not json", msg_id="poison-1"))
    asyncio.run(
        _publish(stack, "migrator.cmd.job.create", b'{"jobId": "job_BAD", "type": "FAX"}', msg_id="poison-2")
    )
    good = {
        "jobId": "job_AFTERPOISON",
        "orgId": organisation.id,
        "type": "EMAIL",
        "sourceTenantId": tenants["contoso.com"],
        "destTenantId": tenants["fabrikam.com"],
    }
    asyncio.run(_publish(stack, "migrator.cmd.job.create", json.dumps(good).encode()))
    # A job naming no mailbox has no unit: it is recorded, starts, and ends ERROR rather than hanging.
    after = wait_until(
        lambda: (s := job_state(api, "job_AFTERPOISON")) and s["status"] == "ERROR" and s,
        timeout=30,
        what="the command after the poison to be processed",
    )
    assert after["completedAt"]
    dead = wait_until(
        lambda: len(d := asyncio.run(_dead_letters(stack))) >= 2 and d,
        timeout=30,
        what="both poison messages in the dead-letter stream",
    )
    assert b"{not json" in dead and b'{"jobId": "job_BAD", "type": "FAX"}' in dead
    assert stack.procs["scheduler"].popen.poll() is None, "a poison message must not crash the service"


def test_a_site_that_cannot_be_migrated_ends_the_job_error_instead_of_hanging(
    api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    # Discovered, then gone from SharePoint before the job reaches it.
    site = new_site(simulator, "short-lived", 5, api=api, tenants=tenants)
    simulator.delete("/_sim/sites", params={"url": site}).raise_for_status()
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
    job_id = created.json()["job"]["id"]
    final = wait_until(
        lambda: (s := job_state(api, job_id)) and s["status"] in ("DONE", "ERROR") and s,
        timeout=60,
        what="the job to give up",
    )
    assert final["status"] == "ERROR" and final["completedAt"]


def test_a_site_discovery_never_saw_is_refused_when_the_job_is_created(
    api: httpx.Client, tenants: dict[str, str]
) -> None:
    unknown = "https://contoso.sharepoint.com/sites/no-such-site"
    refused = api.post(
        "/v1/jobs",
        json={
            "sourceTenantId": tenants["contoso.com"],
            "destTenantId": tenants["fabrikam.com"],
            "type": "SHAREPOINT",
            "options": {"sites": ["https://contoso.sharepoint.com/sites/finance", unknown]},
        },
    )
    assert refused.status_code == 422 and refused.json()["code"] == "PREFLIGHT_SCOPE", refused.text
    assert (
        f"options.sites: 1 not found by the discovery of contoso.com: {unknown} " in refused.json()["error"]
    )
