"""A device's status, worked out when it is read: a device that stops checking in goes OFFLINE
with nothing written anywhere, so the status is a rule over what is stored, never a field.
The rule and the store filter that selects by it live side by side, so they cannot drift."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from migrator_contracts.base import iso
from migrator_contracts.devices import DeviceStatus

ONLINE_WINDOW = timedelta(minutes=10)


def device_status(last_seen_at: str | None, active_command_id: str | None, now: datetime) -> DeviceStatus:
    """MIGRATING while a command is in progress (even through the reboot between its phases),
    ONLINE if seen within the last 10 minutes, otherwise OFFLINE."""
    if active_command_id:
        return DeviceStatus.MIGRATING
    if last_seen_at is not None and last_seen_at >= online_since(now):
        return DeviceStatus.ONLINE
    return DeviceStatus.OFFLINE


def online_since(now: datetime) -> str:
    """The oldest ``lastSeenAt`` that still counts as ONLINE (timestamps compare as strings)."""
    return iso(now - ONLINE_WINDOW)


def in_status(status: DeviceStatus, now: datetime) -> dict[str, Any]:
    """The store conditions of :func:`device_status` giving ``status``. Every device has a
    ``lastSeenAt`` (registering is its first contact): OFFLINE's ``$lt`` relies on it."""
    if status is DeviceStatus.MIGRATING:
        return {"activeCommandId": {"$gt": ""}}
    seen = {"$gte": online_since(now)} if status is DeviceStatus.ONLINE else {"$lt": online_since(now)}
    return {"activeCommandId": None, "lastSeenAt": seen}
