"""device-hub settings (``MIGRATOR_*``)."""

from __future__ import annotations

from migrator_platform.settings import ServiceSettings
from pydantic import Field


class DeviceHubSettings(ServiceSettings):
    """How many agent requests one replica serves at once, and how often events the bus did
    not confirm are published again."""

    # Check-ins and results in flight per replica: each mostly waits on the store.
    device_rpc_workers: int = Field(default=64, ge=1)
    device_announce_interval_seconds: float = Field(default=5.0, gt=0)
