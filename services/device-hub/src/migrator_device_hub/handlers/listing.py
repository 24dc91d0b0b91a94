"""An organisation's devices, a page at a time, for operators on the bus (the gateway reads the
same documents with the same query from ``migrator_contracts.devices``)."""

from __future__ import annotations

from typing import Any

from migrator_contracts import readmodels
from migrator_contracts.devices import DeviceStatus, device_page, device_query
from migrator_contracts.rpc import ListDevices
from migrator_readstore import ReadStore

from migrator_device_hub.domain.refusals import Refused
from migrator_device_hub.ports import Clock

MAX_PAGE = 1000


async def list_devices(store: ReadStore, request: ListDevices, clock: Clock) -> dict[str, Any]:
    """In registration order; ``nextCursor`` continues after the last device of this page."""
    try:
        status = DeviceStatus(request.status) if request.status else None
    except ValueError:
        raise Refused(400, "VALIDATION_ERROR", "status: must be one of ONLINE, MIGRATING, OFFLINE") from None
    if not 1 <= request.limit <= MAX_PAGE:
        raise Refused(400, "VALIDATION_ERROR", f"limit: must be from 1 to {MAX_PAGE}")
    now = clock()
    where = device_query(request.org_id, status, now, after=request.cursor)
    docs = await store.collection(readmodels.DEVICES).find(where, sort=[("_id", 1)], limit=request.limit + 1)
    return device_page(docs, request.limit, now)
