"""The agent's side: check in (and receive the next command), report a command's result.

Commands run one at a time per device. The device's ``activeCommandId`` is the lock: a
check-in claims it with a compare-and-set before it moves the command PENDING → RUNNING with
another, so two check-ins of one device at once (an agent retrying, two replicas) hand a
command out exactly once, and never a second command while one runs. Each step is safe to
repeat: a replica that dies between the two writes leaves a state the next check-in repairs.
"""

from __future__ import annotations

from typing import Any

from migrator_contracts.base import iso
from migrator_contracts.devices import REPORTED_STATUSES, CommandStatus
from migrator_contracts.readmodels import DeviceCommandDoc, DeviceDoc
from migrator_contracts.rpc import DeviceCheckin, DeviceResult
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

from migrator_device_hub.adapters.announcer import Announcer
from migrator_device_hub.adapters.device_store import Commands, Devices
from migrator_device_hub.domain.commands import HeldStep, check_result, held_step
from migrator_device_hub.domain.refusals import Refused, command_not_found
from migrator_device_hub.handlers.registry import Registry, checked_text
from migrator_device_hub.ports import Clock

log = get_logger(__name__)

RESULT_LIMIT = 4000  # characters of an agent's result message
RUNNING, PENDING = CommandStatus.RUNNING, CommandStatus.PENDING


def _handed(command: DeviceCommandDoc) -> dict[str, Any]:
    """A command as the agent receives it."""
    return {"id": command.id, "type": command.type.value, "payload": command.payload}


class Checkins:
    def __init__(self, store: ReadStore, registry: Registry, announcer: Announcer, clock: Clock) -> None:
        self._devices, self._commands = Devices(store), Commands(store)
        self._registry, self._announcer, self._clock = registry, announcer, clock

    async def checkin(self, request: DeviceCheckin) -> dict[str, Any]:
        """Record that the device is alive; hand it its next command, if it may run one now."""
        device = await self._registry.authenticated(request.device_id, request.secret)
        agent_version = checked_text("agentVersion", request.agent_version, required=False)
        commands = await self._next_command(device, request.checkin_id)
        await self._devices.seen(device, iso(self._clock()), agent_version)
        return {"commands": [_handed(c) for c in commands]}

    async def _next_command(self, device: DeviceDoc, checkin_id: str | None) -> list[DeviceCommandDoc]:
        active = device.active_command_id
        if active:
            current = await self._commands.get(active)
            step = held_step(current, checkin_id)
            if step is HeldStep.HAND_AGAIN and current is not None:
                return [current]
            if step is HeldStep.WAIT:
                return []
            if step is HeldStep.FINISH_HANDING and current is not None:
                delivered = await self._deliver(current, checkin_id)
                return [delivered] if delivered else []
            await self._devices.release(device.id, active)
        for _ in range(8):  # a command cancelled while we claim it gives way to the next
            command = await self._commands.next_pending(device.id)
            if command is None:
                return []
            # One command at a time: the device is claimed only while it holds none.
            if not await self._devices.claim(device.id, command.id):
                return []  # another check-in of this device is handing a command out right now
            delivered = await self._deliver(command, checkin_id)
            if delivered is not None:
                return [delivered]
            await self._devices.release(device.id, command.id)
        return []

    async def _deliver(self, command: DeviceCommandDoc, checkin_id: str | None) -> DeviceCommandDoc | None:
        """PENDING → RUNNING, if nobody cancelled or delivered it first. The check-in's id is
        kept with it, so a retry of that check-in (its reply lost) receives it again."""
        now = iso(self._clock())
        delivered = await self._commands.change(
            command,
            status_was=PENDING,
            status=RUNNING,
            checkin_id=checkin_id,
            delivered_at=now,
            updated_at=now,
        )
        if delivered is None:
            return None
        log.info("device command handed out", command_id=delivered.id, device_id=delivered.device_id)
        await self._announcer.command_changed(delivered)
        return delivered

    async def result(self, request: DeviceResult) -> dict[str, Any]:
        """RUNNING (phase 1 done, rebooting), DONE or ERROR for a command this device was handed.
        Reporting the same outcome twice, or after the end, is refused and changes nothing."""
        device = await self._registry.authenticated(request.device_id, request.secret)
        try:
            status = CommandStatus(request.status)
        except ValueError:
            status = CommandStatus.PENDING
        if status not in REPORTED_STATUSES:
            raise Refused(400, "VALIDATION_ERROR", "status: must be one of RUNNING, DONE, ERROR")
        if len(request.result) > RESULT_LIMIT:
            raise Refused(400, "VALIDATION_ERROR", f"result: at most {RESULT_LIMIT} characters")
        command = await self._commands.get(request.command_id)
        if command is None or command.device_id != device.id:
            raise command_not_found()
        check_result(command, status)
        now = iso(self._clock())
        ended = "phase1_completed_at" if status is CommandStatus.RUNNING else "completed_at"
        fields: dict[str, Any] = {"status": status, "result": request.result, "updated_at": now, ended: now}
        reported = await self._commands.change(command, status_was=RUNNING, **fields)
        if reported is None:
            # The same report arrived twice at once, and the other copy won.
            raise Refused(409, "RESULT_ALREADY_RECORDED", "This command's result is already recorded")
        if status is not CommandStatus.RUNNING:
            await self._devices.release(device.id, command.id)  # the next queued command may go now
        log.info("device command reported", command_id=command.id, device_id=device.id, status=status)
        await self._announcer.command_changed(reported)
        return {"ok": True}
