"""The one place that builds device-hub's clients and wires them together."""

from __future__ import annotations

from migrator_contracts import readmodels
from migrator_contracts.base import utcnow
from migrator_platform.service import Runtime, build_runtime, run_service

from migrator_device_hub.config import DeviceHubSettings
from migrator_device_hub.entrypoints.app import wire


async def ensure_indexes(runtime: Runtime) -> None:
    """The queries device-hub and the gateway make: listings by organisation (and status),
    a device's queue in order, and the announcement sweep."""
    devices = runtime.store.collection(readmodels.DEVICES)
    commands = runtime.store.collection(readmodels.DEVICE_COMMANDS)
    await devices.ensure_index(["orgId", "deleted"])
    await devices.ensure_index(["orgId", "activeCommandId", "lastSeenAt"])
    await devices.ensure_index(["unannounced"])
    await commands.ensure_index(["deviceId", "status"])
    await commands.ensure_index(["unannounced"])


async def main(settings: DeviceHubSettings | None = None) -> None:
    """Run device-hub until SIGTERM / SIGINT."""
    settings = settings or DeviceHubSettings()
    runtime = build_runtime("device-hub", settings)
    announcer = wire(runtime, settings, utcnow)

    async def on_ready(rt: Runtime) -> None:
        await ensure_indexes(rt)
        # Events the bus did not confirm when their change was written (see ``announcer``).
        rt.every(settings.device_announce_interval_seconds, announcer.sweep, name="announce-sweep")

    await run_service(runtime, on_ready=on_ready)
