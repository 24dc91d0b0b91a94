"""device-hub's two collections, read and written as their models: devices and their commands.

Every change that decides something is a compare-and-set named for what it decides (claim a
device for a command, hand a command out, record a result, cancel), so two replicas deciding at
once cannot both win; and every change an event must follow marks the document ``unannounced``
in the same write (the announcer's outbox).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from migrator_contracts import readmodels
from migrator_contracts.devices import CommandStatus
from migrator_contracts.readmodels import DeviceCommandDoc, DeviceDoc, DeviceEnrollmentDoc
from migrator_readstore import ReadStore


class Devices:
    def __init__(self, store: ReadStore) -> None:
        self._devices = store.collection(readmodels.DEVICES)

    async def get(self, device_id: str) -> DeviceDoc | None:
        doc = await self._devices.get(device_id) if device_id else None
        return DeviceDoc.model_validate(doc) if doc is not None else None

    async def add(self, device: DeviceDoc) -> None:
        await self._devices.insert(device.id, device.to_doc())

    async def page(
        self, org_id: str, *, where: Mapping[str, Any], after: str | None, limit: int
    ) -> list[DeviceDoc]:
        """The organisation's devices in registration order (ids are time-ordered), after the
        device ``after``, also matching ``where``."""
        conditions: dict[str, Any] = {"orgId": org_id, "deleted": None, **where}
        if after:
            conditions["_id"] = {"$gt": after}
        docs = await self._devices.find(conditions, sort=[("_id", 1)], limit=limit)
        return [DeviceDoc.model_validate(d) for d in docs]

    async def seen(self, device: DeviceDoc, at: str, agent_version: str | None) -> None:
        """The device checked in (and may run a newer agent)."""
        fields: dict[str, Any] = {"last_seen_at": at}
        if agent_version and agent_version != device.agent_version:
            fields["agent_version"] = agent_version
        await self._devices.update(device.id, device.changed(**fields)[1], where={"deleted": None})

    async def claim(self, device_id: str, command_id: str) -> bool:
        """The device takes this command, if it holds none: one command at a time."""
        return await self._devices.update(
            device_id, {"activeCommandId": command_id}, where={"activeCommandId": None, "deleted": None}
        )

    async def release(self, device_id: str, command_id: str) -> None:
        """The device no longer holds this command (if it still did)."""
        await self._devices.update(
            device_id, {"activeCommandId": None}, where={"activeCommandId": command_id}
        )

    async def mark_deleted(self, device: DeviceDoc, at: str) -> DeviceDoc | None:
        """Deleted from now on (its removal follows its event); None if already deleted."""
        deleted, fields = device.changed(deleted=True, deleted_at=at, unannounced=True)
        return deleted if await self._devices.update(device.id, fields, where={"deleted": None}) else None

    async def announced(self, device_id: str) -> None:
        await self._devices.update(device_id, {"unannounced": None}, where={"deleted": None})

    async def remove(self, device_id: str) -> None:
        await self._devices.delete(device_id)

    async def unannounced(self, limit: int) -> list[DeviceDoc]:
        return [
            DeviceDoc.model_validate(d) for d in await self._devices.find({"unannounced": True}, limit=limit)
        ]


class Commands:
    def __init__(self, store: ReadStore) -> None:
        self._commands = store.collection(readmodels.DEVICE_COMMANDS)

    async def get(self, command_id: str) -> DeviceCommandDoc | None:
        doc = await self._commands.get(command_id) if command_id else None
        return DeviceCommandDoc.model_validate(doc) if doc is not None else None

    async def add(self, command: DeviceCommandDoc) -> bool:
        """Queued; False (nothing written) if its id is taken."""
        return await self._commands.insert(command.id, command.to_doc())

    async def next_pending(self, device_id: str) -> DeviceCommandDoc | None:
        """The device's oldest PENDING command: a queue runs in order."""
        pending = await self._commands.find(
            {"deviceId": device_id, "status": CommandStatus.PENDING.value}, sort=[("_id", 1)], limit=1
        )
        return DeviceCommandDoc.model_validate(pending[0]) if pending else None

    async def change(
        self, command: DeviceCommandDoc, *, status_was: CommandStatus, **fields: Any
    ) -> DeviceCommandDoc | None:
        """The command with ``fields`` changed, if it is still as read (its status and version);
        None if another change came first. Each change is a new version, to be announced."""
        changed, written = command.changed(**fields, version=command.version + 1, unannounced=True)
        where = {"status": status_was.value, "version": command.version}
        return changed if await self._commands.update(command.id, written, where=where) else None

    async def announced(self, command: DeviceCommandDoc) -> None:
        """Its event is out, unless it changed again since (then that change's event follows)."""
        await self._commands.update(command.id, {"unannounced": None}, where={"version": command.version})

    async def remove_of_device(self, device_id: str) -> None:
        await self._commands.delete_many({"deviceId": device_id})

    async def unannounced(self, limit: int) -> list[DeviceCommandDoc]:
        docs = await self._commands.find({"unannounced": True}, limit=limit)
        return [DeviceCommandDoc.model_validate(d) for d in docs]


class Enrollment:
    def __init__(self, store: ReadStore) -> None:
        self._enrollment = store.collection(readmodels.DEVICE_ENROLLMENT)

    async def get(self, org_id: str) -> DeviceEnrollmentDoc | None:
        doc = await self._enrollment.get(org_id)
        return DeviceEnrollmentDoc.model_validate(doc) if doc is not None else None

    async def require(self, rule: DeviceEnrollmentDoc) -> None:
        await self._enrollment.upsert(rule.org_id, rule.to_doc())

    async def drop(self, org_id: str) -> None:
        await self._enrollment.delete(org_id)
