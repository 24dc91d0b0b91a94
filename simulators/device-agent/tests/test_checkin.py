"""Registering and checking in: identity kept on disk, retries that keep their checkinId, 404s."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING

import httpx
import pytest
from migrator_device_agent import Agent, AgentConfig, ApiError, DeviceGone, Fleet, load_state
from migrator_device_agent.log_format import JsonFormatter

if TYPE_CHECKING:
    from conftest import FakeHub

pytestmark = pytest.mark.unit

REGISTER, CHECKIN = "/v1/devices/register", "/v1/devices/checkin"


def _error(status: int, code: str, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after else None
    return httpx.Response(status, json={"error": code, "code": code, "status": status}, headers=headers)


async def test_an_agent_registers_then_checks_in_and_receives_its_command(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(config, client=client)
    device_id = await agent.register()
    payload = {"uploadUrl": "https://blob.test/logs?sig=x"}
    command_id = hub.queue(device_id, "COLLECT_LOGS", payload)

    commands = await agent.checkin_once()

    assert commands == [{"id": command_id, "type": "COLLECT_LOGS", "payload": payload}]
    registration = hub.bodies(REGISTER)[0]
    assert registration["hostname"] == config.hostname and registration["agentVersion"] == "0.7.0"
    assert "enrollmentToken" not in registration
    saved = load_state(config.state_file)
    assert (saved.device_id, saved.secret) == (device_id, hub.devices[device_id]["secret"])


async def test_the_enrollment_token_is_sent_only_when_configured(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    hub.enrollment_token = "enrol-123"
    with pytest.raises(ApiError) as refused:
        await Agent(config, client=client).register()
    assert refused.value.code == "ENROLLMENT_TOKEN_INVALID"

    agent = Agent(dataclasses.replace(config, enrollment_token="enrol-123"), client=client)
    await agent.register()
    assert hub.bodies(REGISTER)[-1]["enrollmentToken"] == "enrol-123"


async def test_a_checkin_whose_reply_was_lost_is_retried_with_the_same_checkin_id(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(config, client=client)
    command_id = hub.queue(await agent.register(), "ENTRA_JOIN", {"ppkgUrl": "u", "destTenantId": "t"})
    hub.lose_replies(CHECKIN)

    commands = await agent.checkin_once()

    assert [c["id"] for c in commands] == [command_id]
    first, retry = hub.bodies(CHECKIN)
    assert first["checkinId"] == retry["checkinId"]


async def test_a_checkin_that_gave_up_is_asked_again_with_its_id_at_the_next_interval(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(dataclasses.replace(config, max_attempts=2), client=client)
    command_id = hub.queue(await agent.register(), "COLLECT_LOGS", {"uploadUrl": "u"})
    hub.lose_replies(CHECKIN, times=2)
    with pytest.raises(ApiError):
        await agent.checkin_once()

    commands = await agent.checkin_once()

    assert [c["id"] for c in commands] == [command_id]
    assert len({body["checkinId"] for body in hub.bodies(CHECKIN)}) == 1
    assert agent.stats.checkins_failed == 1 and agent.stats.checkins_ok == 1
    fresh = await agent.checkin_once()
    assert fresh == [] and hub.bodies(CHECKIN)[-1]["checkinId"] != hub.bodies(CHECKIN)[0]["checkinId"]


async def test_retry_after_sets_the_wait_before_the_next_attempt(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig, caplog: pytest.LogCaptureFixture
) -> None:
    agent = Agent(config, client=client)
    await agent.register()
    hub.refuse(CHECKIN, _error(429, "RATE_LIMITED", retry_after="0.02"))
    hub.refuse(CHECKIN, _error(503, "UNAVAILABLE", retry_after="0.01"))

    with caplog.at_level(logging.INFO, logger="migrator_device_agent"):
        assert await agent.checkin_once() == []

    waits = [r.__dict__["waitSeconds"] for r in caplog.records if r.getMessage() == "retrying request"]
    assert waits == [0.02, 0.01]
    assert len(hub.bodies(CHECKIN)) == 3


async def test_a_device_the_hub_deleted_stops_checking_in_for_good(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(config, client=client)
    hub.delete(await agent.register())

    await asyncio.wait_for(agent.run(asyncio.Event()), timeout=3)

    assert load_state(config.state_file).retired
    calls = len(hub.calls)
    with pytest.raises(DeviceGone):
        await Agent(config, client=client).checkin_once()
    await asyncio.wait_for(Agent(config, client=client).run(asyncio.Event()), timeout=3)
    assert len(hub.calls) == calls


async def test_a_deleted_device_registers_again_when_configured_to(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(dataclasses.replace(config, reregister_when_deleted=True), client=client)
    old = await agent.register()
    hub.delete(old)

    assert await agent.checkin_once() == []
    assert agent.device_id not in (None, old)
    assert await agent.checkin_once() == []


async def test_a_wrong_secret_is_refused_without_retrying(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(config, client=client)
    await agent.register()
    agent.state.secret = "not-the-secret"

    with pytest.raises(ApiError) as refused:
        await agent.checkin_once()

    assert refused.value.code == "DEVICE_UNAUTHORIZED" and len(hub.bodies(CHECKIN)) == 1


async def test_no_log_line_carries_the_secret(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig, caplog: pytest.LogCaptureFixture
) -> None:
    agent = Agent(config, client=client)
    with caplog.at_level(logging.DEBUG):
        device_id = await agent.register()
        hub.queue(device_id, "PROFILE_MIGRATION", {"destTenantId": "t", "userMappings": []})
        hub.lose_replies("/v1/devices/result")
        for command in await agent.checkin_once():
            await agent.execute(command)
    lines = [JsonFormatter().format(record) for record in caplog.records]
    assert lines and not any(hub.devices[device_id]["secret"] in line for line in lines)


async def test_a_fleet_runs_distinct_agents_over_one_client_and_counts_their_checkins(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    fleet = Fleet(config, 3, client=client)
    stop = asyncio.Event()
    running = asyncio.create_task(fleet.run(stop))

    await hub.wait_until(lambda: fleet.stats.checkins_ok >= 6)
    stop.set()
    await running

    assert sorted(d["hostname"] for d in hub.devices.values()) == [
        "DESKTOP-00001",
        "DESKTOP-00002",
        "DESKTOP-00003",
    ]
    assert len({d["ip"] for d in hub.devices.values()}) == 3
    assert fleet.stats.registrations == 3 and fleet.stats.checkin_latency.count >= 6
    assert fleet.stats.snapshot()["checkin_p50_ms"] is not None
