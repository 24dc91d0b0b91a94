"""Domain events for device changes, with the change itself as the outbox.

Each write that changes a device or a command marks the document ``unannounced`` in that same
write. The event is published right after, and the mark cleared only if the document has not
changed since; a sweep publishes whatever is still marked (the bus was down, or the replica
died between the two). An event is therefore never lost, and its ``Nats-Msg-Id`` (the
document's id and version) keeps a republished one from being stored twice.
"""

from __future__ import annotations

from migrator_contracts import subjects
from migrator_contracts.events import DeviceCommandChanged, DeviceDeleted, DeviceRegistered, Event
from migrator_contracts.readmodels import DeviceCommandDoc, DeviceDoc
from migrator_platform.bus import BusUnavailable, Publisher
from migrator_platform.structured_logs import get_logger

from migrator_device_hub.adapters.device_store import Commands, Devices
from migrator_device_hub.ports import Clock

log = get_logger(__name__)

SWEEP_BATCH = 500


class Announcer:
    def __init__(
        self,
        *,
        devices: Devices,
        commands: Commands,
        publisher: Publisher,
        clock: Clock,
    ) -> None:
        self._devices, self._commands, self._publisher, self._clock = devices, commands, publisher, clock

    async def command_changed(self, command: DeviceCommandDoc) -> None:
        """Publish the command's state now; on failure the sweep tries again."""
        event = DeviceCommandChanged(
            event_id=f"{command.id}:{command.version}",
            seq=command.version,
            occurred_at=self._clock(),
            command_id=command.id,
            device_id=command.device_id,
            org_id=command.org_id,
            type=command.type.value,
            status=command.status.value,
            result=command.result,
        )
        if await self._publish(subjects.device_event(command.device_id, "DeviceCommandChanged"), event):
            await self._commands.announced(command)

    async def device_changed(self, device: DeviceDoc) -> None:
        """DeviceRegistered, or DeviceDeleted and then the registration and its commands removed."""
        device_id, org_id = device.id, device.org_id
        event: Event
        if device.deleted:
            event = DeviceDeleted(
                event_id=f"{device_id}:deleted",
                seq=2,
                occurred_at=self._clock(),
                device_id=device_id,
                org_id=org_id,
            )
        else:
            event = DeviceRegistered(
                event_id=f"{device_id}:registered",
                seq=1,
                occurred_at=self._clock(),
                device_id=device_id,
                org_id=org_id,
                hostname=device.hostname,
                domain=device.domain,
            )
        name = type(event).__name__
        if not await self._publish(subjects.device_event(device_id, name), event):
            return
        if device.deleted:
            await self._commands.remove_of_device(device_id)
            await self._devices.remove(device_id)
        else:
            await self._devices.announced(device_id)

    async def sweep(self) -> int:
        """Announce every change still marked; how many."""
        done = 0
        for command in await self._commands.unannounced(SWEEP_BATCH):
            await self.command_changed(command)
            done += 1
        for device in await self._devices.unannounced(SWEEP_BATCH):
            await self.device_changed(device)
            done += 1
        return done

    async def _publish(self, subject: str, event: Event) -> bool:
        try:
            await self._publisher.publish(subject, event, msg_id=event.event_id)
        except BusUnavailable as exc:
            log.warning("event not published yet; the sweep will retry", subject=subject, error=str(exc))
            return False
        return True
