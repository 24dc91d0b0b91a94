"""An in-memory stand-in for the gateway's three device endpoints, with faults a test can inject."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from migrator_device_agent import AgentConfig

ORG = "org_1"
BASE_URL = "http://gateway.test"


@dataclass
class FakeCommand:
    id: str
    device_id: str
    type: str
    payload: dict[str, Any]
    status: str = "PENDING"
    phase1_done: bool = False


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"error": code.lower(), "code": code, "status": status}, headers=headers
    )


class FakeHub:
    def __init__(self) -> None:
        self.devices: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, FakeCommand] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []  # every request, faults included
        self.results: list[tuple[str, str, str]] = []  # (commandId, status, result) as recorded
        self.enrollment_token: str | None = None
        self._refusals: dict[str, deque[httpx.Response]] = defaultdict(deque)
        self._losses: dict[str, int] = defaultdict(int)
        self._last_checkin: dict[str, tuple[str, list[str]]] = {}
        self._requested = asyncio.Event()

    # What a test arranges.
    def queue(self, device_id: str, type_: str, payload: dict[str, Any] | None = None) -> str:
        command = FakeCommand(f"cmd_{len(self.commands) + 1}", device_id, type_, payload or {})
        self.commands[command.id] = command
        return command.id

    def delete(self, device_id: str) -> None:
        self.devices[device_id]["deleted"] = True

    def lose_replies(self, path: str, times: int = 1) -> None:
        """Do the work, then answer 503 as if the reply never reached the agent."""
        self._losses[path] += times

    def refuse(self, path: str, response: httpx.Response, times: int = 1) -> None:
        """Answer with ``response`` without doing anything."""
        self._refusals[path].extend([response] * times)

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in self.calls if p == path]

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Re-check ``condition`` after every request; the generous deadline only catches a hang."""
        async with asyncio.timeout(3.0):
            while not condition():
                self._requested.clear()
                await self._requested.wait()

    # The endpoints.
    def handle(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._handle(request)
        finally:
            self._requested.set()

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path, body = request.url.path, json.loads(request.content)
        self.calls.append((path, body))
        if self._refusals[path]:
            return self._refusals[path].popleft()
        route = {
            "/v1/devices/register": self._register,
            "/v1/devices/checkin": self._checkin,
            "/v1/devices/result": self._result,
        }[path]
        response = route(body)
        if self._losses[path]:
            self._losses[path] -= 1
            return _error(503, "UNAVAILABLE")
        return response

    def _register(self, body: dict[str, Any]) -> httpx.Response:
        if body["orgId"] != ORG:
            return _error(404, "ORG_NOT_FOUND")
        if self.enrollment_token and body.get("enrollmentToken") != self.enrollment_token:
            return _error(403, "ENROLLMENT_TOKEN_INVALID")
        device_id, secret = f"dev_{len(self.devices) + 1}", secrets.token_urlsafe(16)
        self.devices[device_id] = {"secret": secret, "hostname": body["hostname"], "ip": body["ipAddress"]}
        return httpx.Response(201, json={"deviceId": device_id, "secret": secret})

    def _device(self, body: dict[str, Any]) -> httpx.Response | dict[str, Any]:
        device = self.devices.get(body["deviceId"])
        if device is None or device.get("deleted"):
            return _error(404, "DEVICE_NOT_FOUND")
        if device["secret"] != body["secret"]:
            return _error(401, "DEVICE_UNAUTHORIZED")
        return device

    def _checkin(self, body: dict[str, Any]) -> httpx.Response:
        device = self._device(body)
        if isinstance(device, httpx.Response):
            return device
        device_id, checkin_id = body["deviceId"], body["checkinId"]
        last = self._last_checkin.get(device_id)
        if last and last[0] == checkin_id:
            handed = [self.commands[c] for c in last[1] if self.commands[c].status == "RUNNING"]
        elif any(c.device_id == device_id and c.status == "RUNNING" for c in self.commands.values()):
            handed = []
        else:
            pending = [
                c for c in self.commands.values() if c.device_id == device_id and c.status == "PENDING"
            ]
            handed = pending[:1]
            for command in handed:
                command.status = "RUNNING"
        self._last_checkin[device_id] = (checkin_id, [c.id for c in handed])
        commands = [{"id": c.id, "type": c.type, "payload": c.payload} for c in handed]
        return httpx.Response(200, json={"commands": commands})

    def _result(self, body: dict[str, Any]) -> httpx.Response:
        device = self._device(body)
        if isinstance(device, httpx.Response):
            return device
        command = self.commands.get(body["commandId"])
        if command is None or command.device_id != body["deviceId"]:
            return _error(404, "COMMAND_NOT_FOUND")
        if command.status in ("DONE", "ERROR") or (body["status"] == "RUNNING" and command.phase1_done):
            return _error(409, "RESULT_ALREADY_RECORDED")
        if command.status != "RUNNING":
            return _error(409, "COMMAND_NOT_RUNNING")
        command.status = body["status"]
        command.phase1_done = command.phase1_done or body["status"] == "RUNNING"
        self.results.append((command.id, body["status"], body["result"]))
        return httpx.Response(200, json={"ok": True})


@pytest.fixture
def hub() -> FakeHub:
    return FakeHub()


@pytest.fixture
async def client(hub: FakeHub) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(hub.handle)) as client:
        yield client


@pytest.fixture
def config(tmp_path: Path) -> AgentConfig:
    """Everything instant: no phase or reboot time, millisecond backoff, check-ins every 10 ms."""
    return AgentConfig(
        base_url=BASE_URL,
        org_id=ORG,
        state_dir=tmp_path / "agents",
        checkin_interval=0.01,
        immediate_first_checkin=True,
        phase_seconds=0.0,
        reboot_seconds=0.0,
        backoff_initial=0.001,
        backoff_max=0.002,
    )
