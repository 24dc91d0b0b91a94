"""1,000 requests per minute per organisation, held across two gateway processes (with compose,
two replicas of the gateway's service)."""

from __future__ import annotations

import time

import httpx
import pytest
from migrator_devstack import infra
from migrator_devstack.stack import Stack
from support import RATE_KEY

pytestmark = pytest.mark.e2e
LIMIT = 1000  # the default, as the embedded default runs


def test_the_rate_limit_holds_across_two_gateway_processes(stack: Stack, api: httpx.Client) -> None:
    second = stack.start_extra_gateway(port=infra.free_port())
    headers = {"Authorization": f"Bearer {RATE_KEY}"}
    with (
        httpx.Client(base_url=stack.api_url, headers=headers, timeout=30) as a,
        httpx.Client(base_url=second, headers=headers, timeout=30) as b,
    ):
        if time.time() % 60 > 40:  # the windows are whole minutes: send every request inside one
            time.sleep(60 - time.time() % 60 + 0.5)
        window = int(time.time() // 60)
        assert b.get("/v1/tenants").status_code == 200  # the replica is up (and spends one request)
        allowed, refused = 1, None
        for i in range(LIMIT + 50):
            response = (a, b)[i % 2].get("/v1/tenants")
            if response.status_code == 429:
                refused = response
                break
            assert response.status_code == 200, response.text
            allowed += 1
        assert int(time.time() // 60) == window, "the test must run inside one window"
    assert allowed == LIMIT
    assert refused is not None
    assert refused.json() == {"error": refused.json()["error"], "code": "RATE_LIMITED", "status": 429}
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Another organisation is not limited by this one's traffic.
    assert api.get("/v1/tenants").status_code == 200
