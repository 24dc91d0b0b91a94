"""Domain events for device changes, with the change itself as the outbox.

Each write that changes a device or a command marks the document ``unannounced`` in that same
write. The event is published right after, and the mark cleared only if the document has not
changed since; a sweep publishes whatever is still marked (the bus was down, or the replica
died between the two). An event is therefore never lost, and its ``Nats-Msg-Id`` (the
document's id and version) keeps a republished one from being stored twice.
"""

from __future__ import annotations

from typing import Any

from migrator_contracts import subjects
from migrator_contracts.events import DeviceCommandChanged, DeviceDeleted, DeviceRegistered, Event
from migrator_platform.bus import BusUnavailable, Publisher
from migrator_platform.structured_logs import get_logger
from migrator_readstore import Collection

from migrator_device_hub.ports import Clock

log = get_logger(__name__)

SWEEP_BATCH = 500


class Announcer:
    def __init__(
        self,
        *,
        devices: Collection,
        commands: Collection,
        publisher: Publisher,
        clock: Clock,
    ) -> None:
        self._devices, self._commands, self._publisher, self._clock = devices, commands, publisher, clock

    async def command_changed(self, doc: dict[str, Any]) -> None:
        """Publish the command's state now; on failure the sweep tries again."""
        version = int(doc["version"])
        event = DeviceCommandChanged(
            event_id=f"{doc['id']}:{version}",
            seq=version,
            occurred_at=self._clock(),
            command_id=doc["id"],
            device_id=doc["deviceId"],
            org_id=doc["orgId"],
            type=doc["type"],
            status=doc["status"],
            result=doc.get("result"),
        )
        if await self._publish(subjects.device_event(doc["deviceId"], "DeviceCommandChanged"), event):
            await self._commands.update(doc["id"], {"unannounced": None}, where={"version": version})

    async def device_changed(self, doc: dict[str, Any]) -> None:
        """DeviceRegistered, or DeviceDeleted and then the registration and its commands removed."""
        device_id, org_id = doc["id"], doc["orgId"]
        event: Event
        if doc.get("deleted"):
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
                hostname=doc["hostname"],
                domain=doc["domain"],
            )
        name = type(event).__name__
        if not await self._publish(subjects.device_event(device_id, name), event):
            return
        if doc.get("deleted"):
            await self._commands.delete_many({"deviceId": device_id})
            await self._devices.delete(device_id)
        else:
            await self._devices.update(device_id, {"unannounced": None}, where={"deleted": None})

    async def sweep(self) -> int:
        """Announce every change still marked; how many."""
        done = 0
        for doc in await self._commands.find({"unannounced": True}, limit=SWEEP_BATCH):
            await self.command_changed(doc)
            done += 1
        for doc in await self._devices.find({"unannounced": True}, limit=SWEEP_BATCH):
            await self.device_changed(doc)
            done += 1
        return done

    async def _publish(self, subject: str, event: Event) -> bool:
        try:
            await self._publisher.publish(subject, event, msg_id=event.event_id)
        except BusUnavailable as exc:
            log.warning("event not published yet; the sweep will retry", subject=subject, error=str(exc))
            return False
        return True
