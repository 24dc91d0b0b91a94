"""Another organisation gets 404 from every endpoint that names one of our tenants, jobs, devices,
commands or API keys.

The endpoints come from the OpenAPI document, so a new endpoint is covered when it appears.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from migrator_devstack.stack import Stack
from support import Organisation

pytestmark = pytest.mark.e2e

PARKED = {"type": "SHAREPOINT", "scheduledAt": "2099-01-01T00:00:00Z"}
NOT_FOUND = {
    "tenant_id": "TENANT_NOT_FOUND",
    "job_id": "JOB_NOT_FOUND",
    "device_id": "DEVICE_NOT_FOUND",
    "command_id": "COMMAND_NOT_FOUND",
    "key_id": "KEY_NOT_FOUND",
}
# Endpoints that need a valid body to get as far as looking the resource up.
BODIES = {("POST", "/v1/devices/{device_id}/commands"): {"type": "ROLLBACK", "payload": {}}}


def test_every_endpoint_naming_our_resources_is_404_for_another_organisation(
    stack: Stack,
    api: httpx.Client,
    organisation: Organisation,
    other_org_api: httpx.Client,
    tenants: dict[str, str],
) -> None:
    source, dest = tenants["contoso.com"], tenants["fabrikam.com"]
    job = api.post("/v1/jobs", json={"sourceTenantId": source, "destTenantId": dest, **PARKED}).json()["job"]
    device = {"orgId": organisation.id, "hostname": "ISO-1", "ipAddress": "10.2.2.2", "domain": "c.local"}
    device_id = httpx.post(f"{stack.api_url}/v1/devices/register", json=device).json()["deviceId"]
    command = api.post(f"/v1/devices/{device_id}/commands", json={"type": "ROLLBACK", "payload": {}})
    key = api.post("/v1/keys", json={"name": "isolation"}).json()["key"]
    ours = {
        "tenant_id": source,
        "job_id": job["id"],
        "device_id": device_id,
        "command_id": command.json()["command"]["id"],
        "key_id": key["id"],
    }
    document = httpx.get(f"{stack.api_url}/openapi.json").json()
    checked = []
    for template, operations in document["paths"].items():
        names = [n for n in NOT_FOUND if "{" + n + "}" in template]
        if not names:
            continue
        path = template.format(**{n: ours[n] for n in names})
        for method in operations:
            response = other_org_api.request(
                method.upper(), path, json=BODIES.get((method.upper(), template))
            )
            assert response.status_code == 404, f"{method.upper()} {path}: {response.text}"
            assert response.json()["code"] == NOT_FOUND[names[0]]
            checked.append(f"{method.upper()} {template}")
    assert len(checked) >= 10, checked
    # Bodies that name our tenants are refused the same way, dry runs and batches included.
    pair: dict[str, Any] = {"sourceTenantId": source, "destTenantId": dest, **PARKED}
    for path, body in (
        ("/v1/jobs", pair | {"dryRun": True}),
        ("/v1/jobs/batch", {k: v for k, v in pair.items() if k != "scheduledAt"} | {"batches": [{}]}),
    ):
        response = other_org_api.post(path, json=body)
        assert response.status_code == 404 and response.json()["code"] == "TENANT_NOT_FOUND", path
    # And nothing of theirs happened to ours.
    assert api.get(f"/v1/jobs/{job['id']}").json()["job"]["status"] == "QUEUED"
    assert api.get(f"/v1/tenants/{source}").status_code == 200
    assert next(k for k in api.get("/v1/keys").json()["keys"] if k["id"] == key["id"])["revokedAt"] is None
