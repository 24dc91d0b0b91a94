"""The per-organisation budget of agents' calls. An agent has no API key: its organisation is
the one it registers into, or the one its device belongs to (remembered, as a device never
changes organisation). A device id nobody registered shares one budget with every other such
id, so a flood of made-up ids is counted too, without touching any organisation's budget."""

from __future__ import annotations

import hashlib

from fastapi import Request
from migrator_contracts import readmodels
from migrator_readstore import ReadStore

from migrator_gateway.api.deps import spend
from migrator_gateway.rate_limit import RateLimiter

UNKNOWN = "unregistered"
MAX_REMEMBERED = 200_000  # device ids → organisation: a few tens of MB at most


class DeviceOrgs:
    """Which organisation a device belongs to, read once per device and replica."""

    def __init__(self, store: ReadStore) -> None:
        self._devices = store.collection(readmodels.DEVICES)
        self._orgs: dict[str, str] = {}

    async def org_of(self, device_id: str) -> str | None:
        org = self._orgs.get(device_id)
        if org is None:
            doc = await self._devices.get(device_id)
            if doc is None or not doc.get("orgId"):
                return None  # unknown: not remembered, it may register yet
            if len(self._orgs) >= MAX_REMEMBERED:
                self._orgs.clear()
            org = self._orgs[device_id] = str(doc["orgId"])
        return org


async def spend_for_org(request: Request, org_id: str | None) -> None:
    """Count an agent's call against its organisation's device budget (429 when spent)."""
    limiter: RateLimiter = request.app.state.device_rate_limiter
    # By hash: a registering agent names its organisation, and a key of the counters' bucket
    # takes only some characters.
    digest = hashlib.sha256((org_id or UNKNOWN).encode()).hexdigest()[:32]
    await spend(request, f"devices_{digest}", limiter=limiter)


async def spend_for_device(request: Request, device_id: str) -> None:
    orgs: DeviceOrgs = request.app.state.device_orgs
    await spend_for_org(request, await orgs.org_of(device_id))
