"""No API key, tenant token, encryption key, device secret or enrolment token ever reaches a log
line of any service."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from migrator_devstack.stack import Stack
from support import (
    FUZZ_KEY,
    ORGANISATIONS,
    OTHER_KEY,
    RATE_KEY,
    SEED_KEY,
    TENANT_DELETE_KEY,
    Organisation,
)

pytestmark = pytest.mark.e2e


def test_no_secret_reaches_a_service_log(
    stack: Stack,
    api: httpx.Client,
    organisation: Organisation,
    simulator: httpx.Client,
    tenants: dict[str, str],
) -> None:
    # Something that logs at every step: a bad key, a job through every service.
    assert httpx.get(f"{stack.api_url}/v1/jobs", headers={"Authorization": f"Bearer {OTHER_KEY}x"}).is_error
    # A device registers with an enrolment token, checks in, is refused with a wrong secret.
    enrollment = api.post("/v1/devices/enrollment-token").json()["enrollmentToken"]
    device = {"orgId": organisation.id, "hostname": "LOG-1", "ipAddress": "10.1.1.1", "domain": "c.local"}
    registered = httpx.post(
        f"{stack.api_url}/v1/devices/register", json=device | {"enrollmentToken": enrollment}
    )
    device_id, device_secret = registered.json()["deviceId"], registered.json()["secret"]
    checkin = {"deviceId": device_id, "secret": device_secret}
    assert httpx.post(f"{stack.api_url}/v1/devices/checkin", json=checkin).status_code == 200
    assert httpx.post(
        f"{stack.api_url}/v1/devices/checkin", json=checkin | {"secret": "x" + device_secret}
    ).is_error
    api.delete("/v1/devices/enrollment-token")
    tokens = simulator.get("/_sim/tokens").json()["tokens"]
    # Atlassian OAuth tokens and server access tokens (issued if the Atlassian tests ran first).
    atlassian = httpx.get(f"{stack.procs['atlassian-simulator'].urls['base']}/_sim/tokens").json()["tokens"]
    assert tokens, "consent issued tokens"
    secrets = {
        "API keys": [
            stack.api_key,
            OTHER_KEY,
            RATE_KEY,
            SEED_KEY,
            TENANT_DELETE_KEY,
            FUZZ_KEY,
            *(org.key for org in ORGANISATIONS),
        ],
        "tenant tokens": tokens,
        "the secrets key": [stack.env["MIGRATOR_SECRETS_KEY"]],
        "device secrets and enrolment tokens": [device_secret, "x" + device_secret, enrollment],
        "Atlassian tokens": atlassian,
        "the Atlassian app secret": [stack.env["MIGRATOR_ATLASSIAN_CLIENT_SECRET"]],
    }
    logs = [p for p in Path(stack.log_dir).glob("*.log") if not p.name.startswith("m365-simulator")]
    assert {p.stem for p in logs} >= {"gateway", "scheduler", "sp-connector", "device-hub"}
    text = b"".join(p.read_bytes() for p in logs)
    assert len(text) > 1000, "the services did log"
    for kind, values in secrets.items():
        leaked = [v[:12] + "…" for v in values if v.encode() in text]
        assert not leaked, f"{kind} found in the logs: {leaked}"
