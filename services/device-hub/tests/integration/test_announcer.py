"""An event the bus did not confirm is published by the sweep later, once, and a deleted device
is removed only after its DeviceDeleted went out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from migrator_contracts import readmodels
from migrator_contracts.base import Message
from migrator_contracts.commands import QueueDeviceCommand
from migrator_contracts.rpc import DeleteDevice, RegisterDevice
from migrator_device_hub.adapters.announcer import Announcer
from migrator_device_hub.adapters.device_store import Commands, Devices
from migrator_device_hub.handlers.command_queue import CommandQueue
from migrator_device_hub.handlers.registry import Registry
from migrator_platform.bus import BusUnavailable
from migrator_readstore.sqlite import SqliteReadStore

pytestmark = pytest.mark.integration


class FlakyBus:
    """Records what was published; refuses everything while ``down``."""

    def __init__(self) -> None:
        self.down = False
        self.published: list[tuple[str, str]] = []

    async def publish(self, subject: str, message: Message, *, msg_id: str) -> None:
        if self.down:
            raise BusUnavailable("down")
        self.published.append((subject.rsplit(".", 1)[1], msg_id))


def clock() -> datetime:
    return datetime(2026, 5, 13, 9, 0, tzinfo=UTC)


async def test_unconfirmed_changes_are_announced_by_the_sweep(tmp_path: Path) -> None:
    store = SqliteReadStore(tmp_path / "store.sqlite3")
    try:
        await store.collection(readmodels.ORGS).insert("org_A", {"id": "org_A"})
        bus = FlakyBus()
        devices, commands = Devices(store), Commands(store)
        announcer = Announcer(devices=devices, commands=commands, publisher=bus, clock=clock)
        registry, queue = Registry(store, announcer, clock), CommandQueue(store, announcer, clock)

        bus.down = True
        device = await registry.register(
            RegisterDevice(org_id="org_A", hostname="H", ip_address="10.0.0.1", domain="d.local")
        )
        device_id = device["deviceId"]
        queued: dict[str, Any] = await queue.queue(
            QueueDeviceCommand(org_id="org_A", device_id=device_id, type="ROLLBACK", payload={})
        )
        await registry.delete(DeleteDevice(org_id="org_A", device_id=device_id))
        assert bus.published == []
        assert await devices.get(device_id) is not None  # kept until its deletion is announced

        bus.down = False
        assert await announcer.sweep() == 2  # the command, then the device (its deletion)
        command_id = queued["command"]["id"]
        assert bus.published == [
            ("DeviceCommandChanged", f"{command_id}:1"),
            ("DeviceDeleted", f"{device_id}:deleted"),
        ]
        assert await devices.get(device_id) is None and await commands.get(command_id) is None
        assert await announcer.sweep() == 0  # nothing twice
    finally:
        await store.close()
