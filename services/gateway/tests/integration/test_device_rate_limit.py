"""Agents' calls (register, check-in, result) are counted per organisation in a budget of their
own: a fleet that spends it gets 429, while the organisation's API calls, another
organisation's devices and ids nobody registered keep their own budgets."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from migrator_contracts import readmodels
from migrator_gateway.app import create_app

from .conftest import KEY, ORG, Gateway

pytestmark = pytest.mark.integration

LIMIT = 4
DEVICE = "dev_RATELIMITED1"


@pytest.fixture
async def agents(gateway: Gateway) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway whose device budget is tiny, beside the module's (same NATS, same store)."""
    await gateway.store.collection(readmodels.DEVICES).upsert(DEVICE, {"id": DEVICE, "orgId": ORG})
    app = create_app(gateway.settings.model_copy(update={"device_rate_limit_per_minute": LIMIT}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
    ):
        yield client


async def spend_until_refused(call: object) -> httpx.Response:
    """Call until 429; within two budgets (a minute may turn over once while this runs)."""
    for _ in range(2 * LIMIT + 1):
        response = await call()  # type: ignore[operator]
        if response.status_code == 429:
            return response
        assert response.status_code in (401, 503), response.text  # no device-hub here: 503
    raise AssertionError(f"no 429 after {2 * LIMIT + 1} calls")


async def test_a_fleet_that_spends_its_budget_is_refused_and_nothing_else_is(
    gateway: Gateway, agents: httpx.AsyncClient
) -> None:
    def checkin(device: str) -> object:
        return lambda: agents.post("/v1/devices/checkin", json={"deviceId": device, "secret": "s"})

    refused = await spend_until_refused(checkin(DEVICE))
    gateway.error(refused, 429, "RATE_LIMITED")
    assert int(refused.headers["Retry-After"]) >= 1
    # The same organisation's results are counted in the same budget.
    result = {"deviceId": DEVICE, "secret": "s", "commandId": "cmd_X", "status": "DONE"}
    gateway.error(await agents.post("/v1/devices/result", json=result), 429, "RATE_LIMITED")
    # Its API calls are not: they have a budget of their own.
    api = await agents.get("/v1/tenants", headers={"Authorization": f"Bearer {KEY}"})
    assert api.status_code == 200
    # Another organisation's devices register; a device id nobody registered is counted apart.
    other = {"orgId": "org_OTHER", "hostname": "PC", "ipAddress": "10.0.0.1", "domain": "x.local"}
    assert (await agents.post("/v1/devices/register", json=other)).status_code != 429
    assert (await checkin("dev_NOBODYREGISTERED")()).status_code != 429  # type: ignore[operator]


async def test_ids_nobody_registered_share_one_budget_of_their_own(
    gateway: Gateway, agents: httpx.AsyncClient
) -> None:
    async def made_up(n: list[int] = [0]) -> httpx.Response:  # noqa: B006  # a new id each call
        n[0] += 1
        return await agents.post("/v1/devices/checkin", json={"deviceId": f"dev_MADEUP{n[0]}", "secret": "s"})

    gateway.error(await spend_until_refused(made_up), 429, "RATE_LIMITED")
    body = {"orgId": "org_THIRD", "hostname": "PC", "ipAddress": "10.0.0.1", "domain": "x.local"}
    assert (await agents.post("/v1/devices/register", json=body)).status_code != 429  # a budget apart


async def test_any_organisation_an_agent_names_is_counted_without_error(agents: httpx.AsyncClient) -> None:
    for org in ("org.with.dots", "ä b*>", "x" * 64):
        body = {"orgId": org, "hostname": "PC", "ipAddress": "10.0.0.1", "domain": "x.local"}
        assert (await agents.post("/v1/devices/register", json=body)).status_code in (400, 404, 503)
