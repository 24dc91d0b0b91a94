"""What operators read about devices, through the gateway or on the bus: a page of an
organisation's devices, or one device, each with its computed status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from migrator_contracts.devices import DeviceStatus
from migrator_contracts.readmodels import DeviceDoc
from migrator_contracts.rpc import GetDevice, ListDevices
from migrator_readstore import ReadStore

from migrator_device_hub.adapters.device_store import Devices
from migrator_device_hub.domain.commands import visible_to
from migrator_device_hub.domain.presence import device_status, in_status
from migrator_device_hub.domain.refusals import Refused, device_not_found
from migrator_device_hub.ports import Clock

MAX_PAGE = 1000


def device_view(device: DeviceDoc, now: datetime) -> dict[str, Any]:
    """A device as operators see it: never its secret's hash, always its computed status."""
    return {
        "id": device.id,
        "hostname": device.hostname,
        "ipAddress": device.ip_address,
        "domain": device.domain,
        "lastSeenAt": device.last_seen_at,
        "agentVersion": device.agent_version,
        "createdAt": device.created_at,
        "status": device_status(device.last_seen_at, device.active_command_id, now).value,
    }


class Listing:
    """Answers operators' reads (the gateway's ``GET /v1/devices`` and ``GET /v1/devices/{id}``)."""

    def __init__(self, store: ReadStore, clock: Clock) -> None:
        self._devices, self._clock = Devices(store), clock

    async def list(self, request: ListDevices) -> dict[str, Any]:
        """In registration order (keyset-paged on ids); ``nextCursor`` continues after the
        last device of this page."""
        try:
            status = DeviceStatus(request.status) if request.status else None
        except ValueError:
            raise Refused(
                400, "VALIDATION_ERROR", "status: must be one of ONLINE, MIGRATING, OFFLINE"
            ) from None
        if not 1 <= request.limit <= MAX_PAGE:
            raise Refused(400, "VALIDATION_ERROR", f"limit: must be from 1 to {MAX_PAGE}")
        now = self._clock()
        where = in_status(status, now) if status is not None else {}
        found = await self._devices.page(
            request.org_id, where=where, after=request.cursor, limit=request.limit + 1
        )
        page = found[: request.limit]
        cursor = page[-1].id if len(found) > request.limit and page else None
        return {
            "devices": [device_view(d, now) for d in page],
            "nextCursor": cursor,
            "hasMore": cursor is not None,
        }

    async def get(self, request: GetDevice) -> dict[str, Any]:
        device = await self._devices.get(request.device_id)
        if not visible_to(device, request.org_id):
            raise device_not_found()
        return {"device": device_view(device, self._clock())}
