"""What operators read about devices, through the gateway or on the bus: a page of an
organisation's devices, or one device, each with its computed status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from migrator_contracts import readmodels
from migrator_contracts.devices import DeviceStatus
from migrator_contracts.rpc import GetDevice, ListDevices
from migrator_readstore import ReadStore

from migrator_device_hub.domain.commands import visible_to
from migrator_device_hub.domain.presence import device_status, in_status
from migrator_device_hub.domain.refusals import Refused, device_not_found
from migrator_device_hub.ports import Clock

MAX_PAGE = 1000
DEVICE_FIELDS = ("id", "hostname", "ipAddress", "domain", "lastSeenAt", "agentVersion", "createdAt")


def device_view(doc: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A device as operators see it: never its secret's hash, always its computed status."""
    view = {f: doc.get(f) for f in DEVICE_FIELDS}
    view["status"] = device_status(doc.get("lastSeenAt"), doc.get("activeCommandId"), now).value
    return view


class Listing:
    """Answers operators' reads (the gateway's ``GET /v1/devices`` and ``GET /v1/devices/{id}``)."""

    def __init__(self, store: ReadStore, clock: Clock) -> None:
        self._devices, self._clock = store.collection(readmodels.DEVICES), clock

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
        where: dict[str, Any] = {"orgId": request.org_id, "deleted": None}
        if request.cursor:
            where["_id"] = {"$gt": request.cursor}
        if status is not None:
            where |= in_status(status, now)
        docs = await self._devices.find(where, sort=[("_id", 1)], limit=request.limit + 1)
        page = docs[: request.limit]
        cursor = page[-1]["_id"] if len(docs) > request.limit and page else None
        return {
            "devices": [device_view(d, now) for d in page],
            "nextCursor": cursor,
            "hasMore": cursor is not None,
        }

    async def get(self, request: GetDevice) -> dict[str, Any]:
        doc = await self._devices.get(request.device_id)
        if not visible_to(doc, request.org_id):
            raise device_not_found()
        return {"device": device_view(doc, self._clock())}
