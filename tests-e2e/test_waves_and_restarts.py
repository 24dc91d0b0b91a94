"""Waves start on time and in order; a scheduler killed before a job's time starts it once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest
from migrator_devstack.stack import Stack
from support import create_job, wait_until

pytestmark = pytest.mark.e2e

FINANCE = "https://contoso.sharepoint.com/sites/finance"


def at(seconds: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def finished(api: httpx.Client, job_id: str) -> dict[str, Any] | None:
    job = api.get(f"/v1/jobs/{job_id}").json()["job"]
    return dict(job) if job["status"] in ("DONE", "ERROR") else None


async def _events(stack: Stack, subject: str) -> list[bytes]:
    """Every message stored on ``subject`` (read from the start, without a durable consumer)."""
    nc = await nats.connect(stack.env["MIGRATOR_NATS_URL"])
    try:
        sub = await nc.jetstream().subscribe(subject, ordered_consumer=True)
        out = []
        try:
            while True:
                out.append((await sub.next_msg(timeout=1)).data)
        except nats.errors.TimeoutError:
            return out
    finally:
        await nc.close()


def test_a_wave_of_jobs_starts_each_on_time_and_in_order(api: httpx.Client, tenants: dict[str, str]) -> None:
    times = [at(4), at(7), at(10)]
    created = api.post(
        "/v1/jobs/batch",
        json={
            "sourceTenantId": tenants["contoso.com"],
            "destTenantId": tenants["fabrikam.com"],
            "type": "SHAREPOINT",
            "batches": [
                {"name": f"Wave {n}", "scheduledAt": stamp(t), "options": {"sites": [FINANCE]}}
                for n, t in enumerate(times, 1)
            ],
        },
    )
    assert created.status_code == 201, created.text
    ids = created.json()["jobIds"]
    jobs = [wait_until(lambda j=j: finished(api, j), timeout=120, what=f"wave {j}") for j in ids]
    started = [parse(j["startedAt"]) for j in jobs]
    assert started == sorted(started)
    for due, began in zip(times, started, strict=True):
        # Never before its time; late by at most the dispatch tick and a second of rounding.
        assert due <= began <= due + timedelta(seconds=3), (due, began)
    assert all(j["status"] == "DONE" for j in jobs)


def test_a_job_scheduled_in_the_past_starts_at_once(api: httpx.Client, tenants: dict[str, str]) -> None:
    job_id = create_job(
        api, tenants, type="SHAREPOINT", scheduledAt=stamp(at(-3600)), options={"sites": [FINANCE]}
    )["id"]
    # Started within a tick, not held for a time already gone (the create answers as soon as
    # the job is recorded, which can be just before it starts).
    started = wait_until(
        lambda: (j := api.get(f"/v1/jobs/{job_id}").json()["job"])["startedAt"] and j,
        timeout=5,
        what="a start",
    )
    assert started["status"] in ("RUNNING", "DONE")


def test_a_scheduler_killed_before_a_jobs_time_starts_it_once_when_back(
    stack: Stack, api: httpx.Client, tenants: dict[str, str]
) -> None:
    due = at(4)
    job_id = create_job(
        api, tenants, type="SHAREPOINT", scheduledAt=stamp(due), options={"sites": [FINANCE]}
    )["id"]
    stack.kill_service("scheduler")
    try:
        wait_until(lambda: datetime.now(UTC) > due + timedelta(seconds=2), timeout=30, what="the job's time")
        assert api.get(f"/v1/jobs/{job_id}").json()["job"]["status"] == "QUEUED", "nobody started it"
    finally:
        stack.start_service("scheduler")
    final = wait_until(lambda: finished(api, job_id), timeout=120, what="the job to run after the restart")
    assert final["status"] == "DONE" and parse(final["startedAt"]) >= due
    started = asyncio.run(_events(stack, f"migrator.evt.job.{job_id}.JobStarted"))
    assert len(started) == 1, "started exactly once"


def test_a_scheduler_killed_between_a_jobs_units_dispatches_the_rest_once(
    stack: Stack, api: httpx.Client, simulator: httpx.Client, tenants: dict[str, str]
) -> None:
    # The suite runs one unit of a job at a time, so a three-site job is dispatched in three steps.
    sites = [
        f"https://contoso.sharepoint.com/sites/{name}" for name in ("finance", "engineering", "marketing")
    ]
    expected = sum(len(simulator.get("/_sim/sites", params={"url": s}).json()["items"]) for s in sites)
    # A full pass, so every site's count is its whole content (they were all migrated before).
    job_id = create_job(api, tenants, type="SHAREPOINT", options={"sites": sites, "fullPass": True})["id"]
    wait_until(
        lambda: api.get(f"/v1/jobs/{job_id}").json()["job"]["totalItems"] > 0,
        timeout=60,
        what="the first site",
    )
    stack.kill_service("scheduler")  # SIGKILL with the job part-dispatched
    try:
        pending = [s for s in api.get(f"/v1/jobs/{job_id}/sites").json()["sites"] if s["startedAt"] is None]
        assert pending, "the kill must land before every site was dispatched"
        time.sleep(2)  # the first site goes on finishing; its progress waits on the bus
    finally:
        stack.start_service("scheduler")
    final = wait_until(lambda: finished(api, job_id), timeout=240, what="the job to finish after the restart")
    assert final["status"] == "DONE"
    assert final["totalItems"] == expected, "every site ran, none twice"
    assert final["doneItems"] + final["errorItems"] + final["skippedItems"] == expected
    per_site = api.get(f"/v1/jobs/{job_id}/sites").json()["sites"]
    assert [s["status"] for s in per_site] == ["DONE"] * 3


def _job_due_across_an_outage(
    stack: Stack, api: httpx.Client, tenants: dict[str, str], name: str, while_down: Callable[[str], None]
) -> None:
    """A job due while ``name`` is down (SIGKILL: no chance to flush, then back on its data)
    starts exactly once, after it is back; ``while_down(job_id)`` checks the API meanwhile."""
    due = at(3)
    job_id = create_job(
        api, tenants, type="SHAREPOINT", scheduledAt=stamp(due), options={"sites": [FINANCE]}
    )["id"]
    wait_until(
        lambda: datetime.now(UTC) > due - timedelta(seconds=1), timeout=30, what="just before the time"
    )
    with stack.outage(name):
        while_down(job_id)
        wait_until(lambda: datetime.now(UTC) > due + timedelta(seconds=2), timeout=30, what="past the time")
    stack.wait_ready(timeout=60)
    final = wait_until(lambda: finished(api, job_id), timeout=120, what=f"the job to run once {name} is back")
    assert final["status"] == "DONE" and parse(final["startedAt"]) >= due
    started = asyncio.run(_events(stack, f"migrator.evt.job.{job_id}.JobStarted"))
    assert len(started) == 1, "started exactly once"


def test_a_job_due_while_nats_is_down_starts_once_when_the_bus_is_back(
    stack: Stack, api: httpx.Client, tenants: dict[str, str]
) -> None:
    def while_down(job_id: str) -> None:
        # Reads come from the store and keep working; a command is refused clearly, not lost silently.
        assert api.get(f"/v1/jobs/{job_id}").status_code == 200
        refused = api.patch(f"/v1/jobs/{job_id}/pause")
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "SERVICE_UNAVAILABLE" and refused.headers["Retry-After"]

    _job_due_across_an_outage(stack, api, tenants, "nats", while_down)


def test_a_job_due_while_the_database_is_down_starts_once_when_it_is_back(
    stack: Stack, api: httpx.Client, tenants: dict[str, str]
) -> None:
    if "mongo" not in stack.procs:
        pytest.skip(
            "the SQLite store is a file in the services' own processes: there is no server to restart"
        )

    def while_down(job_id: str) -> None:
        down = api.get(f"/v1/jobs/{job_id}")
        assert down.status_code == 503, down.text
        assert down.json()["code"] == "SERVICE_UNAVAILABLE"

    _job_due_across_an_outage(stack, api, tenants, "mongo", while_down)
