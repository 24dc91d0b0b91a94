"""Running commands: phases around a reboot, restarts at any point, results that must not be lost."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from migrator_device_agent import Agent, AgentConfig, load_state

if TYPE_CHECKING:
    from conftest import FakeHub

pytestmark = pytest.mark.unit

REGISTER, RESULT = "/v1/devices/register", "/v1/devices/result"
MIGRATION = {"ppkgUrl": "https://blob.test/join.ppkg", "destTenantId": "tenant-b", "rebootDelaySeconds": 0}


def _error(status: int, code: str) -> httpx.Response:
    return httpx.Response(status, json={"error": code, "code": code, "status": status})


async def _run_handed_command(agent: Agent) -> None:
    for command in await agent.checkin_once():
        await agent.execute(command)


async def _run_until(agent: Agent, hub: FakeHub, done: Any) -> None:
    stop = asyncio.Event()
    running = asyncio.create_task(agent.run(stop))
    try:
        await hub.wait_until(done)
    finally:
        stop.set()
        await running


async def test_a_full_migration_reports_running_then_done_across_the_reboot(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(config, client=client)
    command_id = hub.queue(await agent.register(), "FULL_MIGRATION", MIGRATION)

    await _run_handed_command(agent)

    assert hub.results == [
        (command_id, "RUNNING", "Phase 1: left source directory, profiles staged; rebooting"),
        (command_id, "DONE", "Phase 2: Entra join and Intune enrollment completed via provisioning package"),
    ]
    saved = load_state(config.state_file)
    assert saved.command is None and saved.unreported == []
    assert agent.stats.commands_done == 1


async def test_an_agent_restarted_during_the_reboot_runs_phase_two_without_registering_again(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    before = Agent(dataclasses.replace(config, reboot_seconds=60), client=client)
    command_id = hub.queue(await before.register(), "ROLLBACK", {"commandId": "cmd_0"})
    await _run_until(before, hub, lambda: len(hub.results) == 1)
    assert load_state(config.state_file).command is not None

    after = Agent(config, client=client)
    await _run_until(after, hub, lambda: len(hub.results) == 2)

    assert [(c, s) for c, s, _ in hub.results] == [(command_id, "RUNNING"), (command_id, "DONE")]
    assert hub.results[1][2] == "Rollback: source join and profiles restored"
    assert [body["status"] for body in hub.bodies(RESULT)] == ["RUNNING", "DONE"]  # phase 1 not run again
    assert len(hub.bodies(REGISTER)) == 1 and after.stats.registrations == 0


async def test_a_result_not_delivered_before_a_restart_is_sent_after_it(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    mappings = [{"sourceUser": f"CORP\\u{i}", "destUpn": f"u{i}@b.test"} for i in range(2)]
    before = Agent(dataclasses.replace(config, max_attempts=2), client=client)
    command_id = hub.queue(
        await before.register(), "PROFILE_MIGRATION", {"destTenantId": "t", "userMappings": mappings}
    )
    hub.refuse(RESULT, _error(503, "UNAVAILABLE"), times=2)
    await _run_handed_command(before)
    assert hub.results == [] and len(load_state(config.state_file).unreported) == 1

    after = Agent(config, client=client)
    await _run_until(after, hub, lambda: len(hub.results) == 1)

    assert hub.results == [(command_id, "DONE", "Profiles remapped: 2")]
    assert load_state(config.state_file).unreported == []


async def test_a_result_the_hub_already_recorded_counts_as_delivered(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(config, client=client)
    hub.queue(await agent.register(), "COLLECT_LOGS", {"uploadUrl": "https://blob.test/logs"})
    hub.lose_replies(RESULT)

    await _run_handed_command(agent)

    assert [s for _, s, _ in hub.results] == ["DONE"] and len(hub.bodies(RESULT)) == 2
    assert load_state(config.state_file).unreported == []
    assert (agent.stats.commands_done, agent.stats.commands_dropped) == (1, 0)


async def test_a_command_the_hub_no_longer_runs_is_dropped_without_rebooting(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(config, client=client)
    hub.queue(await agent.register(), "FULL_MIGRATION", MIGRATION)
    hub.refuse(RESULT, _error(409, "COMMAND_NOT_RUNNING"))

    await _run_handed_command(agent)

    assert len(hub.bodies(RESULT)) == 1 and agent.stats.commands_dropped == 1
    saved = load_state(config.state_file)
    assert saved.command is None and saved.unreported == []


@pytest.mark.parametrize(
    ("type_", "payload", "reports"),
    [
        ("FULL_MIGRATION", MIGRATION | {"ppkgUrl": "https://blob.test/fail-phase1.ppkg"}, ["ERROR"]),
        (
            "FULL_MIGRATION",
            MIGRATION | {"userMappings": [{"sourceUser": "CORP\\fail-phase2", "destUpn": "a@b.test"}]},
            ["RUNNING", "ERROR"],
        ),
        ("PROFILE_MIGRATION", {"destTenantId": "fail-phase1", "userMappings": []}, ["ERROR"]),
    ],
)
async def test_a_fail_marker_in_the_payload_ends_the_command_in_error_in_that_phase(
    hub: FakeHub,
    client: httpx.AsyncClient,
    config: AgentConfig,
    type_: str,
    payload: dict[str, Any],
    reports: list[str],
) -> None:
    agent = Agent(config, client=client)
    hub.queue(await agent.register(), type_, payload)

    await _run_handed_command(agent)

    assert [s for _, s, _ in hub.results] == reports
    assert hub.results[-1][2].startswith(f"Phase {len(reports)} failed: ")
    assert agent.stats.commands_error == 1


async def test_an_unknown_command_type_is_reported_unsupported(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(config, client=client)
    hub.queue(await agent.register(), "REIMAGE", {})

    await _run_handed_command(agent)

    assert [(s, m) for _, s, m in hub.results] == [
        ("ERROR", "Unsupported command type REIMAGE (agent version 0.7.0)")
    ]


async def test_an_error_rate_of_one_fails_every_command(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(dataclasses.replace(config, error_rate=1.0, seed=7), client=client)
    hub.queue(await agent.register(), "ENTRA_JOIN", {"ppkgUrl": "u", "destTenantId": "t"})

    await _run_handed_command(agent)

    assert hub.results[-1][1] == "ERROR" and agent.stats.commands_error == 1


async def test_after_a_command_the_agent_checks_in_at_once_for_the_next(
    hub: FakeHub, client: httpx.AsyncClient, config: AgentConfig
) -> None:
    agent = Agent(dataclasses.replace(config, checkin_interval=600), client=client)
    device_id = await agent.register()
    hub.queue(device_id, "COLLECT_LOGS", {"uploadUrl": "u"})
    hub.queue(device_id, "ENTRA_JOIN", {"ppkgUrl": "u", "destTenantId": "t"})

    await _run_until(agent, hub, lambda: [s for _, s, _ in hub.results] == ["DONE", "RUNNING", "DONE"])
