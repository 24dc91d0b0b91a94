"""Every device endpoint and rule, through the real gateway app, real NATS and the real store.

device-hub runs in-process: two replicas share the request/reply queue group, as two processes
would, and measure time (a device's status) with one injectable clock."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats
import pytest
from migrator_contracts import readmodels, subjects
from migrator_device_hub.bootstrap import ensure_indexes
from migrator_device_hub.config import DeviceHubSettings
from migrator_device_hub.entrypoints.app import wire
from migrator_gateway.app import create_app
from migrator_gateway.config import GatewaySettings
from migrator_platform.bus import create_broker, provision_streams
from migrator_platform.service import Runtime
from migrator_readstore.sqlite import SqliteReadStore

pytestmark = pytest.mark.integration

KEY_A = "tmk_test_" + "a" * 32
KEY_B = "tmk_test_" + "b" * 32


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2026, 5, 13, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Hub:
    api: httpx.AsyncClient  # the gateway, as org_A
    other: httpx.AsyncClient  # the gateway, as org_B
    agent: httpx.AsyncClient  # the gateway, no API key
    clock: Clock
    nats_url: str
    store: SqliteReadStore
    runtimes: list[Runtime]

    async def register(self, org: str = "org_A", hostname: str = "DESKTOP-ABC123") -> tuple[str, str]:
        body = {"orgId": org, "hostname": hostname, "ipAddress": "192.168.1.42", "domain": "contoso.local"}
        response = await self.agent.post("/v1/devices/register", json=body)
        assert response.status_code == 201, response.text
        return response.json()["deviceId"], response.json()["secret"]

    async def checkin(self, device_id: str, secret: str, **extra: str) -> httpx.Response:
        return await self.agent.post(
            "/v1/devices/checkin", json={"deviceId": device_id, "secret": secret, **extra}
        )

    async def report(
        self, device_id: str, secret: str, command_id: str, status: str, result: str = ""
    ) -> httpx.Response:
        body = {
            "deviceId": device_id,
            "secret": secret,
            "commandId": command_id,
            "status": status,
            "result": result,
        }
        return await self.agent.post("/v1/devices/result", json=body)

    async def queue(self, device_id: str, ppkg: str = "https://storage.example/enroll.ppkg") -> str:
        body = {
            "type": "FULL_MIGRATION",
            "payload": {"ppkgUrl": ppkg, "destTenantId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},
        }
        response = await self.api.post(f"/v1/devices/{device_id}/commands", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["command"]["id"])

    async def status_of(self, device_id: str) -> str:
        response = await self.api.get(f"/v1/devices/{device_id}")
        assert response.status_code == 200, response.text
        return str(response.json()["device"]["status"])


@pytest.fixture
async def hub(nats_url: str, tmp_path: Path) -> AsyncIterator[Hub]:
    clock = Clock()
    store = SqliteReadStore(tmp_path / "readstore.sqlite3")
    settings = DeviceHubSettings(nats_url=nats_url, data_dir=tmp_path, device_announce_interval_seconds=0.2)
    runtimes = []
    for _ in range(2):
        broker = create_broker(nats_url=nats_url, service="device-hub")
        runtime = Runtime(name="device-hub", settings=settings, broker=broker, store=store)
        wire(runtime, settings, clock)
        runtimes.append(runtime)
    await runtimes[0].broker.connect()
    await provision_streams(runtimes[0].broker.connection.jetstream())
    for runtime in runtimes:
        await runtime.broker.start()
        await runtime.start_responders()
    await ensure_indexes(runtimes[0])
    gateway_settings = GatewaySettings(
        nats_url=nats_url,
        data_dir=tmp_path,
        bootstrap_keys=f"org_A:{KEY_A},org_B:{KEY_B}",
        rpc_timeout_seconds=5,
    )
    app = create_app(gateway_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        url = "http://gateway"
        async with (
            httpx.AsyncClient(
                transport=transport, base_url=url, headers={"Authorization": f"Bearer {KEY_A}"}
            ) as api,
            httpx.AsyncClient(
                transport=transport, base_url=url, headers={"Authorization": f"Bearer {KEY_B}"}
            ) as other,
            httpx.AsyncClient(transport=transport, base_url=url) as agent,
        ):
            yield Hub(api, other, agent, clock, nats_url, store, runtimes)
    for runtime in runtimes:
        await runtime.stop_responders()
        await runtime.broker.stop()
    await store.close()


async def test_register_check_in_and_list(hub: Hub) -> None:
    device_id, secret = await hub.register()
    assert device_id.startswith("dev_") and len(secret) == 64
    stored = await hub.store.collection(readmodels.DEVICES).get(device_id)
    assert stored is not None and secret not in json.dumps(stored)  # only its hash is kept

    hub.clock.advance(minutes=3)
    response = await hub.checkin(device_id, secret, agentVersion="0.7.1")
    assert response.status_code == 200 and response.json() == {"commands": []}
    listing = (await hub.api.get("/v1/devices")).json()
    assert listing["hasMore"] is False and listing["nextCursor"] is None
    assert listing["devices"] == [
        {
            "id": device_id,
            "hostname": "DESKTOP-ABC123",
            "ipAddress": "192.168.1.42",
            "domain": "contoso.local",
            "lastSeenAt": "2026-05-13T09:03:00Z",
            "agentVersion": "0.7.1",
            "createdAt": "2026-05-13T09:00:00Z",
            "status": "ONLINE",
        }
    ]


async def test_bad_credentials_and_malformed_bodies_are_refused_clearly(hub: Hub) -> None:
    device_id, secret = await hub.register()
    wrong = await hub.checkin(device_id, "0" * 64)
    assert wrong.status_code == 401 and wrong.json()["code"] == "DEVICE_UNAUTHORIZED"
    unknown = await hub.checkin("dev_01NOSUCHDEVICE0000000000", secret)
    assert unknown.status_code == 404 and unknown.json() == {
        "error": "Device not found",
        "code": "DEVICE_NOT_FOUND",
        "status": 404,
    }
    not_json = await hub.agent.post(
        "/v1/devices/checkin", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400 and not_json.json()["code"] == "INVALID_JSON"
    missing = await hub.agent.post("/v1/devices/checkin", json={"deviceId": device_id})
    assert missing.status_code == 400 and "secret" in missing.json()["error"]
    bad_ip = await hub.agent.post(
        "/v1/devices/register",
        json={"orgId": "org_A", "hostname": "H", "ipAddress": "999.1.1.1", "domain": "d.local"},
    )
    assert bad_ip.status_code == 400 and "ipAddress" in bad_ip.json()["error"]
    no_org = await hub.agent.post(
        "/v1/devices/register",
        json={"orgId": "org_NOPE", "hostname": "H", "ipAddress": "10.0.0.1", "domain": "d.local"},
    )
    assert no_org.status_code == 404 and no_org.json()["code"] == "ORG_NOT_FOUND"
    bad_status = await hub.report(device_id, secret, "cmd_X", "FINISHED")
    assert bad_status.status_code == 400 and "status" in bad_status.json()["error"]
    # Nothing above changed the device.
    assert (await hub.checkin(device_id, secret)).json() == {"commands": []}


async def test_a_command_is_handed_out_once_even_to_concurrent_check_ins(hub: Hub) -> None:
    device_id, secret = await hub.register()
    command_id = await hub.queue(device_id)
    # Ten check-ins at once (a retrying agent; two device-hub replicas answer them).
    replies = await asyncio.gather(*(hub.checkin(device_id, secret) for _ in range(10)))
    handed = [c for r in replies for c in r.json()["commands"]]
    assert [c["id"] for c in handed] == [command_id]
    assert handed[0]["type"] == "FULL_MIGRATION" and handed[0]["payload"]["ppkgUrl"].startswith("https://")
    assert (await hub.checkin(device_id, secret)).json() == {"commands": []}


async def test_a_retried_check_in_whose_reply_was_lost_gets_the_same_command(hub: Hub) -> None:
    device_id, secret = await hub.register()
    command_id = await hub.queue(device_id)
    first = await hub.checkin(device_id, secret, checkinId="chk-1")
    retry = await hub.checkin(device_id, secret, checkinId="chk-1")
    assert [c["id"] for c in first.json()["commands"]] == [command_id]
    assert retry.json() == first.json()
    assert (await hub.checkin(device_id, secret, checkinId="chk-2")).json() == {"commands": []}
    await hub.report(device_id, secret, command_id, "RUNNING", "Phase 1 done")
    assert (await hub.checkin(device_id, secret, checkinId="chk-1")).json() == {"commands": []}  # it got it


async def test_commands_run_one_at_a_time_in_order(hub: Hub) -> None:
    device_id, secret = await hub.register()
    first, second = await hub.queue(device_id), await hub.queue(device_id)
    assert [c["id"] for c in (await hub.checkin(device_id, secret)).json()["commands"]] == [first]
    assert (await hub.report(device_id, secret, first, "RUNNING", "Phase 1 done")).json() == {"ok": True}
    assert (await hub.checkin(device_id, secret)).json() == {"commands": []}  # waits for the reboot
    assert (await hub.report(device_id, secret, first, "DONE", "Phase 2 done")).status_code == 200
    assert [c["id"] for c in (await hub.checkin(device_id, secret)).json()["commands"]] == [second]


async def test_results_for_foreign_unstarted_or_finished_commands_change_nothing(hub: Hub) -> None:
    device_id, secret = await hub.register()
    other_id, other_secret = await hub.register(hostname="DESKTOP-OTHER")
    command_id = await hub.queue(device_id)
    not_started = await hub.report(device_id, secret, command_id, "DONE")
    assert not_started.status_code == 409 and not_started.json()["code"] == "COMMAND_NOT_RUNNING"
    await hub.checkin(device_id, secret)
    foreign = await hub.report(other_id, other_secret, command_id, "DONE", "not mine")
    assert foreign.status_code == 404 and foreign.json()["code"] == "COMMAND_NOT_FOUND"
    assert (
        await hub.report(device_id, secret, command_id, "ERROR", "Phase 1 failed: disk full")
    ).status_code == 200
    again = await hub.report(device_id, secret, command_id, "DONE", "second opinion")
    assert again.status_code == 409 and again.json()["code"] == "RESULT_ALREADY_RECORDED"
    history = (await hub.api.get(f"/v1/devices/{device_id}/commands")).json()["commands"]
    assert [(c["status"], c["result"]) for c in history] == [("ERROR", "Phase 1 failed: disk full")]
    twice = await hub.report(device_id, secret, command_id, "ERROR", "Phase 1 failed: disk full")
    assert twice.status_code == 409


async def test_cancel_only_while_pending(hub: Hub) -> None:
    device_id, secret = await hub.register()
    running, pending = await hub.queue(device_id), await hub.queue(device_id)
    await hub.checkin(device_id, secret)
    refused = await hub.api.patch(f"/v1/devices/{device_id}/commands/{running}/cancel")
    assert refused.status_code == 409 and refused.json()["code"] == "COMMAND_NOT_PENDING"
    assert "RUNNING" in refused.json()["error"]
    cancelled = await hub.api.patch(f"/v1/devices/{device_id}/commands/{pending}/cancel")
    assert cancelled.status_code == 200 and cancelled.json() == {"status": "CANCELLED"}
    again = await hub.api.patch(f"/v1/devices/{device_id}/commands/{pending}/cancel")
    assert again.json() == {"status": "CANCELLED"}
    await hub.report(device_id, secret, running, "DONE", "ok")
    assert (await hub.checkin(device_id, secret)).json() == {"commands": []}  # the cancelled one never runs
    missing = await hub.api.patch(f"/v1/devices/{device_id}/commands/cmd_NOPE/cancel")
    assert missing.status_code == 404 and missing.json()["code"] == "COMMAND_NOT_FOUND"


async def test_history_is_newest_first_and_filters_by_status(hub: Hub) -> None:
    device_id, secret = await hub.register()
    ids = [await hub.queue(device_id) for _ in range(3)]
    await hub.checkin(device_id, secret)
    await hub.report(device_id, secret, ids[0], "DONE", "Phase 2: Entra join completed")
    history = (await hub.api.get(f"/v1/devices/{device_id}/commands")).json()
    assert [c["id"] for c in history["commands"]] == ids[::-1]
    done = (await hub.api.get(f"/v1/devices/{device_id}/commands", params={"status": "DONE"})).json()
    assert [(c["id"], c["result"]) for c in done["commands"]] == [(ids[0], "Phase 2: Entra join completed")]
    page = (await hub.api.get(f"/v1/devices/{device_id}/commands", params={"limit": 2})).json()
    assert page["hasMore"] and [c["id"] for c in page["commands"]] == ids[:0:-1]
    rest = (
        await hub.api.get(
            f"/v1/devices/{device_id}/commands", params={"limit": 2, "cursor": page["nextCursor"]}
        )
    ).json()
    assert [c["id"] for c in rest["commands"]] == ids[:1] and not rest["hasMore"]
    bad = await hub.api.get(f"/v1/devices/{device_id}/commands", params={"status": "LOST"})
    assert bad.status_code == 400


async def test_status_moves_online_migrating_online_offline_as_time_passes(hub: Hub) -> None:
    device_id, secret = await hub.register()
    assert await hub.status_of(device_id) == "ONLINE"
    command_id = await hub.queue(device_id)
    assert await hub.status_of(device_id) == "ONLINE"  # queued is not in progress yet
    hub.clock.advance(minutes=3)
    await hub.checkin(device_id, secret)
    assert await hub.status_of(device_id) == "MIGRATING"
    await hub.report(device_id, secret, command_id, "RUNNING", "Phase 1 done; rebooting")
    hub.clock.advance(minutes=30)  # the reboot takes long: still migrating, not offline
    assert await hub.status_of(device_id) == "MIGRATING"
    await hub.report(device_id, secret, command_id, "DONE", "Phase 2 done")
    await hub.checkin(device_id, secret)
    assert await hub.status_of(device_id) == "ONLINE"
    hub.clock.advance(minutes=9, seconds=59)
    assert await hub.status_of(device_id) == "ONLINE"
    hub.clock.advance(seconds=2)
    assert await hub.status_of(device_id) == "OFFLINE"
    offline = (await hub.api.get("/v1/devices", params={"status": "OFFLINE"})).json()["devices"]
    assert [d["id"] for d in offline] == [device_id]
    assert (await hub.api.get("/v1/devices", params={"status": "ONLINE"})).json()["devices"] == []
    await hub.checkin(device_id, secret)
    assert await hub.status_of(device_id) == "ONLINE"


async def test_listing_pages_through_a_fleet_and_filters_by_status(hub: Hub) -> None:
    ids = [(await hub.register(hostname=f"DESKTOP-{i:03d}"))[0] for i in range(5)]
    first = (await hub.api.get("/v1/devices", params={"limit": 3})).json()
    second = (await hub.api.get("/v1/devices", params={"limit": 3, "cursor": first["nextCursor"]})).json()
    assert [d["id"] for d in first["devices"] + second["devices"]] == ids
    assert first["hasMore"] and not second["hasMore"]
    await hub.queue(ids[1])
    secret = None  # the device that takes the command needs its secret: register one more
    device_id, secret = await hub.register(hostname="DESKTOP-MIG")
    await hub.queue(device_id)
    await hub.checkin(device_id, secret)
    migrating = (await hub.api.get("/v1/devices", params={"status": "MIGRATING"})).json()["devices"]
    assert [d["id"] for d in migrating] == [device_id]
    bad = await hub.api.get("/v1/devices", params={"status": "ASLEEP"})
    assert bad.status_code == 400 and bad.json()["code"] == "VALIDATION_ERROR"


async def test_a_deleted_device_is_refused_and_gone(hub: Hub) -> None:
    device_id, secret = await hub.register()
    await hub.queue(device_id)
    deleted = await hub.api.delete(f"/v1/devices/{device_id}")
    assert deleted.status_code == 200 and deleted.json() == {"deleted": True}
    later = await hub.checkin(device_id, secret)
    assert later.status_code == 404 and later.json()["code"] == "DEVICE_NOT_FOUND"
    assert (await hub.api.get("/v1/devices")).json()["devices"] == []
    assert (await hub.api.get(f"/v1/devices/{device_id}/commands")).status_code == 404
    assert (await hub.api.delete(f"/v1/devices/{device_id}")).status_code == 404
    queued = await hub.api.post(f"/v1/devices/{device_id}/commands", json={"type": "ROLLBACK", "payload": {}})
    assert queued.status_code == 404


async def test_another_organisation_sees_and_touches_nothing(hub: Hub) -> None:
    device_id, secret = await hub.register()
    command_id = await hub.queue(device_id)
    assert (await hub.other.get("/v1/devices")).json()["devices"] == []
    for call in (
        hub.other.get(f"/v1/devices/{device_id}"),
        hub.other.delete(f"/v1/devices/{device_id}"),
        hub.other.get(f"/v1/devices/{device_id}/commands"),
        hub.other.post(f"/v1/devices/{device_id}/commands", json={"type": "ROLLBACK", "payload": {}}),
        hub.other.patch(f"/v1/devices/{device_id}/commands/{command_id}/cancel"),
    ):
        response = await call
        assert response.status_code == 404 and response.json()["code"] == "DEVICE_NOT_FOUND"
    assert [c["id"] for c in (await hub.checkin(device_id, secret)).json()["commands"]] == [command_id]
    assert (await hub.agent.get("/v1/devices")).status_code == 401


async def test_payloads_are_checked_against_their_command_type(hub: Hub) -> None:
    device_id, _ = await hub.register()
    cases = {
        "FULL_MIGRATION": ({"ppkgUrl": "http://insecure/x.ppkg", "destTenantId": "x"}, "payload.ppkgUrl"),
        "PROFILE_MIGRATION": (
            {"destTenantId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"},
            "payload.userMappings",
        ),
        "COLLECT_LOGS": ({"uploadUrl": "https://blob.example/logs?sig=1", "extra": 1}, "payload.extra"),
        "ROLLBACK": ({"commandId": "job_1"}, "payload.commandId"),
    }
    for kind, (payload, named) in cases.items():
        response = await hub.api.post(
            f"/v1/devices/{device_id}/commands", json={"type": kind, "payload": payload}
        )
        assert response.status_code == 400 and named in response.json()["error"], (kind, response.text)
    unknown = await hub.api.post(
        f"/v1/devices/{device_id}/commands", json={"type": "FORMAT_C", "payload": {}}
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "VALIDATION_ERROR"
    ok = await hub.api.post(
        f"/v1/devices/{device_id}/commands",
        json={
            "type": "PROFILE_MIGRATION",
            "payload": {
                "destTenantId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "userMappings": [{"sourceUser": "CONTOSO\\jdoe", "destUpn": "jdoe@fabrikam.com"}],
            },
        },
    )
    assert ok.status_code == 201 and ok.json()["command"]["status"] == "PENDING"
    assert (await hub.api.get(f"/v1/devices/{device_id}/commands")).json()["commands"][0]["id"] == ok.json()[
        "command"
    ]["id"]


async def test_an_organisation_can_require_an_enrolment_token(hub: Hub) -> None:
    required = await hub.api.post("/v1/devices/enrollment-token")
    token = required.json()["enrollmentToken"]
    assert required.status_code == 200 and required.json()["required"] is True
    body = {"orgId": "org_A", "hostname": "H", "ipAddress": "10.0.0.1", "domain": "d.local"}
    refused = await hub.agent.post("/v1/devices/register", json=body)
    assert refused.status_code == 403 and refused.json()["code"] == "ENROLLMENT_TOKEN_INVALID"
    wrong = await hub.agent.post("/v1/devices/register", json=body | {"enrollmentToken": "tme_wrong"})
    assert wrong.status_code == 403
    assert (
        await hub.agent.post("/v1/devices/register", json=body | {"enrollmentToken": token})
    ).status_code == 201
    other_org = {**body, "orgId": "org_B"}
    assert (
        await hub.agent.post("/v1/devices/register", json=other_org)
    ).status_code == 201  # B did not opt in
    await hub.api.delete("/v1/devices/enrollment-token")
    assert (await hub.agent.post("/v1/devices/register", json=body)).status_code == 201


async def test_every_field_device_hub_stores_is_declared_by_its_model(hub: Hub) -> None:
    """A device and its commands through every change device-hub makes: what is stored is what
    the models declare, so a reader (device-hub's own, the gateway) can rely on all of it."""
    await hub.api.post("/v1/devices/enrollment-token")
    enrollment = await hub.store.collection(readmodels.DEVICE_ENROLLMENT).get("org_A")
    assert enrollment is not None and not readmodels.DeviceEnrollmentDoc.undeclared(enrollment)
    await hub.api.delete("/v1/devices/enrollment-token")
    device_id, secret = await hub.register()
    two_phase, cancelled, last = [await hub.queue(device_id) for _ in range(3)]
    assert (await hub.api.patch(f"/v1/devices/{device_id}/commands/{cancelled}/cancel")).status_code == 200
    await hub.checkin(device_id, secret, agentVersion="0.7.2", checkinId="chk_1")
    await hub.report(device_id, secret, two_phase, "RUNNING", "Phase 1")
    await hub.report(device_id, secret, two_phase, "DONE", "Phase 2")
    await hub.checkin(device_id, secret)
    await hub.report(device_id, secret, last, "ERROR", "0x80070005")
    device = await hub.store.collection(readmodels.DEVICES).get(device_id)
    assert device is not None and device["agentVersion"] == "0.7.2"
    assert not readmodels.DeviceDoc.undeclared(device), readmodels.DeviceDoc.undeclared(device)
    commands = await hub.store.collection(readmodels.DEVICE_COMMANDS).find({"deviceId": device_id})
    assert sorted(c["status"] for c in commands) == ["CANCELLED", "DONE", "ERROR"]
    for command in commands:
        assert not readmodels.DeviceCommandDoc.undeclared(command), readmodels.DeviceCommandDoc.undeclared(
            command
        )
    assert all(readmodels.DeviceCommandDoc.model_validate(c).version > 1 for c in commands)


async def test_operators_list_and_queue_over_nats_alone(hub: Hub) -> None:
    device_id, secret = await hub.register()
    nc = await nats.connect(hub.nats_url)
    try:
        listed = json.loads(
            (await nc.request(subjects.RPC_DEVICE_LIST, b'{"orgId": "org_A"}', timeout=5)).data
        )
        assert listed["status"] == 200 and [d["id"] for d in listed["body"]["devices"]] == [device_id]
        request = {
            "orgId": "org_A",
            "deviceId": device_id,
            "type": "COLLECT_LOGS",
            "payload": {"uploadUrl": "https://x.example/u"},
        }
        queued = json.loads(
            (await nc.request(subjects.RPC_DEVICE_COMMAND, json.dumps(request).encode(), timeout=5)).data
        )
        assert queued["status"] == 201 and queued["body"]["command"]["status"] == "PENDING"
        bad = json.loads(
            (
                await nc.request(
                    subjects.RPC_DEVICE_COMMAND, json.dumps(request | {"payload": {}}).encode(), timeout=5
                )
            ).data
        )
        assert bad["status"] == 400 and "payload.uploadUrl" in bad["body"]["error"]
        # Fire-and-forget on the command stream, with no id: it is queued once, with a derived id.
        request["type"], request["payload"] = "ROLLBACK", {}
        await nc.jetstream().publish(subjects.CMD_DEVICE_COMMAND, json.dumps(request).encode())
        commands = hub.store.collection(readmodels.DEVICE_COMMANDS)
        for _ in range(100):
            if await commands.count({"deviceId": device_id}) == 2:
                break
            await asyncio.sleep(0.05)
        types = [
            c["type"] for c in (await hub.api.get(f"/v1/devices/{device_id}/commands")).json()["commands"]
        ]
        assert sorted(types) == ["COLLECT_LOGS", "ROLLBACK"]
        # One device-hub refuses (a device that does not exist) is dead-lettered with the reason,
        # where an operator finds it: not retried, not dropped.
        await nc.jetstream().publish(
            subjects.CMD_DEVICE_COMMAND, json.dumps(request | {"deviceId": "dev_NOPE"}).encode()
        )
        dlq = await nc.jetstream().subscribe(
            f"migrator.dlq.{subjects.CMD_DEVICE_COMMAND}", ordered_consumer=True
        )
        dead = await dlq.next_msg(timeout=10)
        assert json.loads(dead.data)["deviceId"] == "dev_NOPE"
        assert dead.headers is not None and "rejected: DEVICE_NOT_FOUND" in dead.headers["Migrator-Reason"]
    finally:
        await nc.close()
    handed = (await hub.checkin(device_id, secret)).json()["commands"]
    assert [c["type"] for c in handed] == ["COLLECT_LOGS"]


async def test_every_change_is_announced_on_the_bus(hub: Hub) -> None:
    nc = await nats.connect(hub.nats_url)
    try:
        device_id, secret = await hub.register()
        command_id = await hub.queue(device_id)
        await hub.checkin(device_id, secret)
        await hub.report(device_id, secret, command_id, "RUNNING", "Phase 1")
        await hub.report(device_id, secret, command_id, "DONE", "Phase 2")
        await hub.api.delete(f"/v1/devices/{device_id}")
        sub = await nc.jetstream().subscribe(f"migrator.evt.device.{device_id}.>", ordered_consumer=True)
        seen = []
        while len(seen) < 6:
            msg = await sub.next_msg(timeout=5)
            body = json.loads(msg.data)
            seen.append((msg.subject.rsplit(".", 1)[1], body.get("status")))
        assert seen == [
            ("DeviceRegistered", None),
            ("DeviceCommandChanged", "PENDING"),
            ("DeviceCommandChanged", "RUNNING"),
            ("DeviceCommandChanged", "RUNNING"),
            ("DeviceCommandChanged", "DONE"),
            ("DeviceDeleted", None),
        ]
    finally:
        await nc.close()
