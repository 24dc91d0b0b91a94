"""A device's status rule and the store filter listings select by it, on every store backend:
filtering by a status returns exactly the devices the rule gives that status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from migrator_contracts.base import iso
from migrator_contracts.devices import DeviceStatus
from migrator_device_hub.domain.presence import ONLINE_WINDOW, device_status, in_status
from migrator_readstore import ReadStore

pytestmark = pytest.mark.integration

NOW = datetime(2026, 5, 13, 9, 0, tzinfo=UTC)


def seen(ago: timedelta, command: str | None = None) -> dict[str, str | None]:
    return {"lastSeenAt": iso(NOW - ago), "activeCommandId": command}


DEVICES = {
    "dev_now": seen(timedelta(0)),
    "dev_just_inside": seen(ONLINE_WINDOW - timedelta(seconds=1)),
    "dev_at_the_edge": seen(ONLINE_WINDOW),
    "dev_just_outside": seen(ONLINE_WINDOW + timedelta(seconds=1)),
    "dev_long_gone": seen(timedelta(days=30)),
    "dev_migrating": seen(timedelta(minutes=1), "cmd_1"),
    "dev_rebooting": seen(timedelta(hours=2), "cmd_2"),  # between a command's phases: still MIGRATING
}


async def test_each_status_filter_selects_exactly_the_devices_the_rule_gives_that_status(
    store: ReadStore,
) -> None:
    devices = store.collection("devices")
    for device_id, doc in DEVICES.items():
        await devices.insert(device_id, doc)
    by_rule = {
        device_id: device_status(doc["lastSeenAt"], doc["activeCommandId"], NOW)
        for device_id, doc in DEVICES.items()
    }
    assert by_rule["dev_at_the_edge"] is DeviceStatus.ONLINE
    for status in DeviceStatus:
        found = {doc["_id"] for doc in await devices.find(in_status(status, NOW))}
        assert found == {d for d, s in by_rule.items() if s is status}, status
