"""Helpers the end-to-end tests share: polling with a deadline, the consent flow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import nats
from migrator_devstack.secrets import new_api_key
from migrator_devstack.stack import Stack

# Keys of the organisations the suite bootstraps besides its own (one module instance, one value).
OTHER_KEY = new_api_key()  # an organisation that only ever tries to see the suite's data
RATE_KEY = new_api_key()  # an organisation that only the rate-limit test spends
TENANT_DELETE_KEY = new_api_key()  # an organisation whose tenants the tenant-deletion test removes
SEED_KEY = new_api_key()  # an organisation of its own for the walk through the API reference
CONSENT_TTL_SECONDS = 6  # how long an admin-consent link stays valid in the suite
FUZZ_KEY = new_api_key()  # the schema fuzzer's organisation (it spends its own rate budget)


@dataclass(frozen=True)
class Organisation:
    """An organisation of its own for one test: its id and its API key."""

    id: str
    key: str


# Bootstrapped with the stack, handed out one per test (the `organisation` fixture): what a test
# creates, its jobs and tenants, no other test sees, counts or leaves running.
ORGANISATIONS = [Organisation(f"org_T{i:03d}", new_api_key()) for i in range(160)]


def discovered(api: httpx.Client, tenant_id: str) -> dict[str, Any]:
    """Wait for the tenant's discovery to complete; the tenant."""
    return dict(
        wait_until(
            lambda: (t := api.get(f"/v1/tenants/{tenant_id}").json()["tenant"])["discoveredAt"] and t,
            timeout=60,
            what=f"discovery of {tenant_id}",
            interval=0.05,  # every test connects its tenants: this wait is paid per test
        )
    )


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.25) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def connect_tenant(api: httpx.Client, domain: str, role: str) -> str:
    """Run the admin-consent flow as a Global Admin's browser would; the tenant's id."""
    started = api.post("/v1/tenants/connect", json={"domain": domain, "role": role})
    assert started.status_code == 200, started.text
    body = started.json()
    assert set(body) == {"authUrl", "state"}
    # The browser visits authUrl; the identity provider redirects back to our callback.
    landed = httpx.get(body["authUrl"], follow_redirects=True, timeout=30)
    assert landed.status_code == 200, landed.text
    return str(landed.json()["tenantId"])


def connect_contoso_and_fabrikam(
    source: httpx.Client, destination: httpx.Client | None = None
) -> dict[str, str]:
    """contoso.com connected as the source and fabrikam.com as the destination, both discovered;
    their ids by domain. ``destination`` may be another gateway replica's client."""
    ids = {
        "contoso.com": connect_tenant(source, "contoso.com", "source"),
        "fabrikam.com": connect_tenant(destination or source, "fabrikam.com", "destination"),
    }
    for tenant_id in ids.values():
        discovered(source, tenant_id)
    return ids


def rediscover(api: httpx.Client, tenant_id: str, *, until: Callable[[], Any] | None = None) -> None:
    """Run a discovery of the tenant now and wait for it to complete (and for ``until``)."""
    started = api.post(f"/v1/tenants/{tenant_id}/discover")
    assert started.status_code == 202, started.text
    discovery = started.json()["latestJob"]["id"]

    def done() -> bool:
        latest = api.get(f"/v1/tenants/{tenant_id}/sites").json()["latestJob"]
        return bool(latest["id"] == discovery and latest["status"] == "DONE" and (until is None or until()))

    wait_until(done, timeout=60, what=f"the rediscovery of {tenant_id}")


def new_site(
    simulator: httpx.Client, name: str, items: int, *, api: httpx.Client, tenants: dict[str, str]
) -> str:
    """A source site of its own (``items`` seeded items) for a test whose job must not change
    what another test's first pass over a shared site finds; its URL. contoso.com is discovered
    again until the site is listed: a job may only name sites discovery found."""
    url = f"https://contoso.sharepoint.com/sites/{name}"
    made = simulator.post("/_sim/sites", json={"url": url, "items": items, "seed": 7})
    assert made.json()["ok"], made.text
    source = tenants["contoso.com"]

    def listed() -> bool:
        return url in {s["url"] for s in api.get(f"/v1/tenants/{source}/sites").json()["sites"]}

    rediscover(api, source, until=listed)
    return url


def post_job(
    api: httpx.Client, tenants: dict[str, str], *, headers: dict[str, str] | None = None, **fields: Any
) -> httpx.Response:
    """POST /v1/jobs for a job from contoso.com to fabrikam.com, whatever the answer."""
    body = {"sourceTenantId": tenants["contoso.com"], "destTenantId": tenants["fabrikam.com"]} | fields
    return api.post("/v1/jobs", json=body, headers=headers)


def create_job(api: httpx.Client, tenants: dict[str, str], **fields: Any) -> dict[str, Any]:
    """Create a job from contoso.com to fabrikam.com (201 expected); the job as answered."""
    response = post_job(api, tenants, **fields)
    assert response.status_code == 201, response.text
    return dict(response.json()["job"])


UNFINISHED = ("QUEUED", "RUNNING", "PAUSED")


def delete_unfinished_jobs(api: httpx.Client) -> None:
    """Delete every job of the client's organisation that has not finished (a test's leftovers).
    A gateway the test left stopped deletes nothing: that test fails on its own account."""
    try:
        for status in UNFINISHED:
            page = api.get("/v1/jobs", params={"status": status, "limit": 100}).json()
            for job in page.get("jobs", []):
                api.delete(f"/v1/jobs/{job['id']}")
    except httpx.TransportError:
        return


EVENTS = "MIGRATOR_EVT"


def consumer_settled(stack: Stack, stream: str, durable: str) -> bool:
    """Whether the durable has handled every message of its stream so far (none pending, none
    awaiting its ack): what a test waits on instead of sleeping while a service catches up."""

    async def ask() -> bool:
        nc = await nats.connect(stack.env["MIGRATOR_NATS_URL"])
        try:
            info = await nc.jetstream().consumer_info(stream, durable)
            return info.num_pending == 0 and info.num_ack_pending == 0
        finally:
            await nc.close()

    return asyncio.run(ask())
