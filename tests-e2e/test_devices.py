"""Devices through the running system: reference agents (the simulated MigratorAgent) register,
check in, run their commands across a reboot and report; device-hub can die at any point
without a command being lost or run twice; every device example of the API reference works."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from migrator_device_agent import AgentConfig, Fleet
from migrator_devstack.stack import Stack
from seed_examples import load_examples
from support import SEED_KEY, Organisation
from test_seed_walkthrough import NULLABLE, shape_errors

pytestmark = pytest.mark.e2e

DEST_TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TERMINAL = {"DONE", "ERROR", "CANCELLED"}


def fleet_config(stack: Stack, org: Organisation, state_dir: Path, **overrides: Any) -> AgentConfig:
    settings: dict[str, Any] = {
        "base_url": stack.api_url,
        "org_id": org.id,
        "state_dir": state_dir,
        "checkin_interval": 0.5,
        "immediate_first_checkin": True,
        "phase_seconds": 0.2,
        "reboot_seconds": 0.5,
        "backoff_initial": 0.2,
        "backoff_max": 1.0,
        "max_attempts": 3,
        "seed": 11,
    }
    return AgentConfig(**(settings | overrides))


async def eventually(check: Callable[[], Awaitable[bool]], *, within: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def full_migration(ppkg: str = "https://storage.example/enroll.ppkg") -> dict[str, Any]:
    return {"type": "FULL_MIGRATION", "payload": {"ppkgUrl": ppkg, "destTenantId": DEST_TENANT}}


async def device_ids(api: httpx.AsyncClient, hostnames: set[str]) -> dict[str, str]:
    devices = (await api.get("/v1/devices", params={"limit": 1000})).json()["devices"]
    return {d["hostname"]: d["id"] for d in devices if d["hostname"] in hostnames}


async def history(api: httpx.AsyncClient, device_id: str) -> list[dict[str, Any]]:
    return list((await api.get(f"/v1/devices/{device_id}/commands")).json()["commands"])


@pytest.fixture
async def api(stack: Stack, organisation: Organisation) -> Any:
    async with httpx.AsyncClient(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {organisation.key}"}, timeout=30
    ) as client:
        yield client


async def test_a_fleet_runs_its_commands_across_the_reboot(
    stack: Stack, api: httpx.AsyncClient, organisation: Organisation, tmp_path: Path
) -> None:
    stop = asyncio.Event()
    async with Fleet(fleet_config(stack, organisation, tmp_path), 4, first_index=101) as fleet:
        running = asyncio.create_task(fleet.run(stop))
        names = {a.config.hostname for a in fleet.agents}
        await eventually(lambda: _all_known(api, names), within=30, what="the agents to register")
        ids = await device_ids(api, names)
        hosts = sorted(ids)
        queued: dict[str, list[str]] = {}
        for host in hosts:
            ppkg = (
                "https://storage.example/fail-phase2.ppkg"
                if host == hosts[-1]
                else "https://storage.example/ok.ppkg"
            )
            response = await api.post(f"/v1/devices/{ids[host]}/commands", json=full_migration(ppkg))
            assert response.status_code == 201 and response.json()["command"]["status"] == "PENDING"
            queued[host] = [response.json()["command"]["id"]]
        # A second command waits behind the first on one device.
        second = await api.post(
            f"/v1/devices/{ids[hosts[0]]}/commands",
            json={"type": "COLLECT_LOGS", "payload": {"uploadUrl": "https://blob.example/logs?sig=x"}},
        )
        queued[hosts[0]].append(second.json()["command"]["id"])

        seen_migrating: set[str] = set()

        async def all_finished() -> bool:
            for device in (await api.get("/v1/devices", params={"status": "MIGRATING"})).json()["devices"]:
                seen_migrating.add(device["hostname"])
            histories = [await history(api, ids[host]) for host in hosts]
            statuses = [c["status"] for h in histories for c in h]
            return len(statuses) == 5 and set(statuses) <= TERMINAL

        await eventually(all_finished, within=60, what="every command to finish")
        stop.set()
        await running

    assert seen_migrating  # at least one device was seen mid-migration (through its reboot)
    for host in hosts:
        commands = await history(api, ids[host])
        assert [c["id"] for c in commands] == queued[host][::-1]  # newest first
        first = commands[-1]
        if host == hosts[-1]:
            assert first["status"] == "ERROR" and "Phase 2 failed" in first["result"]
        else:
            assert first["status"] == "DONE" and first["result"].startswith("Phase 2")
    assert [c["status"] for c in await history(api, ids[hosts[0]])] == ["DONE", "DONE"]
    assert fleet.stats.commands_received == 5  # each handed out once
    after = (await api.get(f"/v1/devices/{ids[hosts[0]]}")).json()["device"]
    assert after["status"] == "ONLINE" and after["agentVersion"] == "0.7.0"


async def _all_known(api: httpx.AsyncClient, names: set[str]) -> bool:
    return len(await device_ids(api, names)) == len(names)


async def test_device_hub_dying_loses_no_command_and_runs_none_twice(
    stack: Stack, api: httpx.AsyncClient, organisation: Organisation, tmp_path: Path
) -> None:
    stop = asyncio.Event()
    config = fleet_config(stack, organisation, tmp_path, reboot_seconds=1.5)
    async with Fleet(config, 3, first_index=201) as fleet:
        running = asyncio.create_task(fleet.run(stop))
        names = {a.config.hostname for a in fleet.agents}
        await eventually(lambda: _all_known(api, names), within=30, what="the agents to register")
        ids = await device_ids(api, names)

        stack.kill_service("device-hub")  # queued while it is down: the command stream keeps them
        for device_id in ids.values():
            response = await api.post(f"/v1/devices/{device_id}/commands", json=full_migration())
            assert response.status_code == 201 and response.json()["command"]["status"] == "PENDING"
        refused = await api.delete(f"/v1/devices/{next(iter(ids.values()))}")
        assert refused.status_code == 503 and refused.json()["code"] == "SERVICE_UNAVAILABLE"
        stack.start_service("device-hub")

        async def one_in_progress() -> bool:
            histories = [await history(api, d) for d in ids.values()]
            return any(c["status"] == "RUNNING" for h in histories for c in h)

        await eventually(one_in_progress, within=60, what="a command to be in progress")
        retries = fleet.stats.retries
        stack.kill_service("device-hub")  # again, mid-command: results wait for it

        async def refused_while_down() -> bool:
            return fleet.stats.retries > retries

        await eventually(
            refused_while_down, within=30, what="an agent's call to fail while device-hub is down"
        )
        stack.start_service("device-hub")

        async def all_done() -> bool:
            histories = [await history(api, d) for d in ids.values()]
            # The agent's view counts too: a result the hub recorded while its reply was lost
            # is done for the agent only once a retry hears ALREADY_RECORDED.
            statuses = [c["status"] for h in histories for c in h]
            return statuses == ["DONE"] * 3 and fleet.stats.commands_done == 3

        await eventually(all_done, within=90, what="every command to finish after the restarts")
        stop.set()
        await running
    assert fleet.stats.commands_received == 3 and fleet.stats.commands_done == 3


async def test_every_device_example_of_the_reference(stack: Stack) -> None:
    examples = {
        (e.method, e.path.split("?")[0].rsplit("/", 1)[-1]): e
        for e in load_examples()
        if "/v1/devices" in e.path
    }
    headers = {"Authorization": f"Bearer {SEED_KEY}"}
    async with httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=30) as seed:
        ids: dict[str, str] = {"org_01HXKP3A": "org_SEED"}

        async def send(key: tuple[str, str], expected: int = 200) -> Any:
            example = examples[key]
            path, body = example.path, example.body
            for placeholder, real in ids.items():
                path = path.replace(placeholder, real)
                if body is not None:
                    body = {k: real if v == placeholder else v for k, v in body.items()}
            response = await seed.request(example.method, path, json=body)
            assert response.status_code == expected, f"{example.method} {path}: {response.text}"
            # The reference's agent sends no version, so the device has none yet.
            errors = shape_errors(example.response, response.json(), nullable=NULLABLE | {"agentVersion"})
            assert not errors, (path, errors)
            return response.json()

        registered = await send(("POST", "register"), 201)
        ids["dev_01HXKP9A"], ids["a3f8c2d1e7b6..."] = registered["deviceId"], registered["secret"]
        queued = await send(("POST", "commands"), 201)
        ids["cmd_01HY4PQR"] = queued["command"]["id"]
        handed = await send(("POST", "checkin"))
        assert [c["id"] for c in handed["commands"]] == [ids["cmd_01HY4PQR"]]
        assert await send(("POST", "result")) == {"ok": True}
        listed = await send(("GET", "devices"))
        assert [d["id"] for d in listed["devices"]] == [ids["dev_01HXKP9A"]]
        done = await send(("GET", "commands"))
        assert [c["status"] for c in done["commands"]] == ["DONE"]
        ids["cmd_01HY4PQR"] = (await send(("POST", "commands"), 201))["command"]["id"]
        assert await send(("PATCH", "cancel")) == {"status": "CANCELLED"}
        assert await send(("DELETE", "dev_01HXKP9A")) == {"deleted": True}
        gone = await seed.post(
            "/v1/devices/checkin", json={"deviceId": ids["dev_01HXKP9A"], "secret": registered["secret"]}
        )
        assert gone.status_code == 404
