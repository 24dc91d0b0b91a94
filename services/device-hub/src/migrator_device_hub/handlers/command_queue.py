"""Each device's command queue, as operators see it: queue a command, cancel one still PENDING."""

from __future__ import annotations

from typing import Any

from migrator_contracts import ids
from migrator_contracts.base import iso
from migrator_contracts.commands import QueueDeviceCommand
from migrator_contracts.devices import CommandStatus, PayloadError, checked_payload
from migrator_contracts.readmodels import DeviceCommandDoc
from migrator_contracts.rpc import CancelDeviceCommand
from migrator_platform.ids import new_id
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

from migrator_device_hub.adapters.announcer import Announcer
from migrator_device_hub.adapters.device_store import Commands, Devices
from migrator_device_hub.domain.commands import cancel_needed, command_view, visible_to
from migrator_device_hub.domain.refusals import Refused, command_not_found, device_not_found
from migrator_device_hub.ports import Clock

log = get_logger(__name__)


class CommandQueue:
    def __init__(self, store: ReadStore, announcer: Announcer, clock: Clock) -> None:
        self._devices, self._commands = Devices(store), Commands(store)
        self._announcer, self._clock = announcer, clock

    async def queue(self, request: QueueDeviceCommand, *, derived_id: str | None = None) -> dict[str, Any]:
        """Queue the command PENDING; the device's next check-in picks it up once the command
        before it has finished. Queuing the same ``command_id`` again changes nothing."""
        device = await self._devices.get(request.device_id)
        if not visible_to(device, request.org_id):
            raise device_not_found()
        try:
            kind, payload = checked_payload(request.type, request.payload)
        except PayloadError as exc:
            raise Refused(400, "VALIDATION_ERROR", str(exc)) from None
        command_id = request.command_id or derived_id or new_id(ids.DEVICE_COMMAND)
        now = iso(self._clock())
        command = DeviceCommandDoc(
            id=command_id,
            device_id=request.device_id,
            org_id=request.org_id,
            type=kind,
            payload=payload,
            status=CommandStatus.PENDING,
            created_at=now,
            updated_at=now,
            unannounced=True,
        )
        if not await self._commands.add(command):
            existing = await self._commands.get(command_id)
            if existing is None or existing.device_id != request.device_id:
                raise Refused(409, "COMMAND_ID_CONFLICT", f"Command id {command_id} is already in use")
            return {"command": command_view(existing)}  # a redelivery or a retry: queued once
        log.info("device command queued", command_id=command_id, device_id=request.device_id, type=kind)
        await self._announcer.command_changed(command)
        return {"command": command_view(command)}

    async def cancel(self, request: CancelDeviceCommand) -> dict[str, Any]:
        """PENDING → CANCELLED. A command already handed to its agent runs to its end: 409."""
        device = await self._devices.get(request.device_id)
        if not visible_to(device, request.org_id):
            raise device_not_found()
        while True:
            command = await self._commands.get(request.command_id)
            if command is None or command.device_id != request.device_id:
                raise command_not_found()
            if not cancel_needed(command.status):
                return {"status": command.status.value}  # cancelling twice is not an error
            # Compare-and-set: a check-in handing this command out at the same moment wins or loses whole.
            cancelled = await self._commands.change(
                command,
                status_was=CommandStatus.PENDING,
                status=CommandStatus.CANCELLED,
                updated_at=iso(self._clock()),
            )
            if cancelled is not None:
                log.info("device command cancelled", command_id=command.id, device_id=request.device_id)
                await self._announcer.command_changed(cancelled)
                return {"status": CommandStatus.CANCELLED.value}
