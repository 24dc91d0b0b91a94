"""Commands: imperative, one handler each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from migrator_contracts.base import Message
from migrator_contracts.enums import JobType


class CreateJob(Message):
    """Create a migration job and queue it (``migrator.cmd.job.create``)."""

    job_id: str = Field(pattern=r"^job_[A-Za-z0-9]+$")
    org_id: str
    type: JobType
    source_tenant_id: str
    dest_tenant_id: str
    scope: dict[str, Any] = Field(default_factory=dict)
    options: dict[str, Any] = Field(default_factory=dict)
    dry_run: bool = False
    name: str | None = None
    scheduled_at: datetime | None = None
    created_at: datetime | None = None


class MigrateSite(Message):
    """Migrate one SharePoint site (a unit of a job) (``migrator.cmd.site.migrate``)."""

    job_id: str
    unit_id: str
    org_id: str
    source_tenant_id: str
    dest_tenant_id: str
    source_site_url: str
    # None: the same site path in the destination tenant (the connector knows its host).
    dest_site_url: str | None = None


class DiscoverTenant(Message):
    """Discover a connected tenant's users, sites and teams (``migrator.cmd.tenant.discover``)."""

    tenant_id: str
    org_id: str
    discovery_job_id: str
