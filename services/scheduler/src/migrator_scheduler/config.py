"""Scheduler settings (``MIGRATOR_*``)."""

from __future__ import annotations

from migrator_platform.settings import ServiceSettings
from pydantic import Field

from migrator_scheduler.domain.dispatch_plan import Limits


class SchedulerSettings(ServiceSettings):
    """How often due jobs are looked for, and how many units (sites, mailboxes, teams) may run
    at once: per job, per destination tenant, and per job type across all organisations."""

    dispatch_interval_seconds: float = 1.0
    # A pause lets a job's units in flight finish; no more start until it resumes.
    units_in_flight_per_job: int = Field(default=4, ge=1)
    # What one destination tenant's throttling can take, across all the jobs writing to it.
    units_in_flight_per_tenant: int = Field(default=16, ge=1)
    # "SHAREPOINT=32,EMAIL=64": what the connectors can take, shared fairly by organisations.
    units_in_flight_per_type: str = ""
    # A unit still unstarted this long after it was sent, while no running service consumes its
    # command subject, is sent again; after this many sends it ends ERROR (UNIT_NOT_STARTED).
    unit_start_timeout_seconds: float = Field(default=300.0, gt=0)
    unit_dispatch_attempts: int = Field(default=2, ge=1)
    # Most unit progress events applied together (each job they touch is refreshed once).
    progress_batch: int = Field(default=100, ge=1)

    def limits(self) -> Limits:
        return Limits(
            per_job=self.units_in_flight_per_job,
            per_tenant=self.units_in_flight_per_tenant,
            per_type=Limits.parse_per_type(self.units_in_flight_per_type),
        )
