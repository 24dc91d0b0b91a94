"""Deleting a tenant pauses the jobs that use it, revokes it, and removes it from every read."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from migrator_devstack.stack import Stack
from support import TENANT_DELETE_KEY, connect_tenant, discovered, wait_until

pytestmark = pytest.mark.e2e

SITES = ["https://contoso.sharepoint.com/sites/finance", "https://contoso.sharepoint.com/sites/engineering"]


@pytest.fixture(scope="module")
def org_api(stack: Stack) -> Iterator[httpx.Client]:
    """An organisation of its own: its tenants disappear during this module."""
    headers = {"Authorization": f"Bearer {TENANT_DELETE_KEY}"}
    with httpx.Client(base_url=stack.api_url, headers=headers, timeout=30) as client:
        yield client


def test_deleting_a_tenant_pauses_its_jobs_then_removes_it(
    org_api: httpx.Client, other_org_api: httpx.Client
) -> None:
    source = connect_tenant(org_api, "contoso.com", "source")
    dest = connect_tenant(org_api, "fabrikam.com", "destination")
    discovered(org_api, source)
    discovered(org_api, dest)
    pair = {"sourceTenantId": source, "destTenantId": dest, "type": "SHAREPOINT"}
    running = org_api.post("/v1/jobs", json=pair | {"options": {"sites": SITES}}).json()["job"]
    parked = org_api.post(
        "/v1/jobs", json=pair | {"scheduledAt": "2099-01-01T00:00:00Z", "options": {"sites": SITES[:1]}}
    ).json()["job"]
    assert org_api.get(f"/v1/jobs/{running['id']}").json()["job"]["status"] == "RUNNING"

    refused = other_org_api.delete(f"/v1/tenants/{source}")
    assert refused.status_code == 404 and refused.json()["code"] == "TENANT_NOT_FOUND"

    deleted = org_api.delete(f"/v1/tenants/{source}")
    assert deleted.status_code == 200 and deleted.json() == {"deleted": True}
    for path in (f"/v1/tenants/{source}", f"/v1/tenants/{source}/sites", f"/v1/tenants/{source}/users"):
        gone = org_api.get(path)
        assert gone.status_code == 404 and gone.json()["code"] == "TENANT_NOT_FOUND"
    assert [t["id"] for t in org_api.get("/v1/tenants").json()["tenants"]] == [dest]
    for job in (running, parked):
        assert org_api.get(f"/v1/jobs/{job['id']}").json()["job"]["status"] == "PAUSED"
    stuck = org_api.patch(f"/v1/jobs/{running['id']}/resume")
    assert stuck.status_code == 409 and stuck.json()["code"] == "TENANT_NOT_CONNECTED"
    assert org_api.delete(f"/v1/tenants/{source}").status_code == 404

    # The domain can be connected again: a new tenant, discovered afresh.
    again = connect_tenant(org_api, "contoso.com", "source")
    assert again != source
    assert discovered(org_api, again)["siteCount"] >= 3
    wait_until(lambda: org_api.get(f"/v1/tenants/{again}/sites").json()["sites"], timeout=30, what="sites")
