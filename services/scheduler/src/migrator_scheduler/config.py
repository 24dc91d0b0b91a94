"""Scheduler settings (``MIGRATOR_*``)."""

from __future__ import annotations

from migrator_platform.settings import ServiceSettings


class SchedulerSettings(ServiceSettings):
    """How often due jobs are looked for, and how often unfinished dispatches are repaired."""

    dispatch_interval_seconds: float = 1.0
    repair_every_ticks: int = 15
