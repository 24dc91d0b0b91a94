"""Scheduler settings (``MIGRATOR_*``)."""

from __future__ import annotations

from migrator_platform.settings import ServiceSettings
from pydantic import Field


class SchedulerSettings(ServiceSettings):
    """How often due jobs are looked for, how often unfinished dispatches are repaired, and how
    many units (sites, mailboxes, teams) of one job run at once."""

    dispatch_interval_seconds: float = 1.0
    repair_every_ticks: int = 15
    # A pause lets these finish; no more are started until the job resumes.
    units_in_flight_per_job: int = Field(default=4, ge=1)
