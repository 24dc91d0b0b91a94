"""Commands: imperative, one handler each."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from migrator_contracts.base import Message
from migrator_contracts.enums import JobAction, JobType


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


class CreateJobBatch(Message):
    """Create several jobs at once, all or none (``migrator.cmd.job.batch``), in declaration order."""

    batch_id: str
    org_id: str
    jobs: list[CreateJob] = Field(min_length=1)


class ControlJob(Message):
    """Pause, resume or delete a job (``migrator.cmd.job.control``).

    ``request_id`` is recorded on the job with the outcome, so the caller can tell its own answer
    apart from anyone else's and a redelivery is applied once.
    """

    job_id: str
    org_id: str
    action: JobAction
    request_id: str


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
    # Read every item again, not only what changed since the last pass to the same destination.
    full_pass: bool = False
    # Bring each file's earlier versions too (AMR IncludeVersions), not only its current one.
    include_versions: bool = False
    # Bring items' unique permissions too (AMR IncludeSecurity), each user mapped to the
    # destination by ``user_mappings`` (source UPN -> destination UPN) or, failing that, the
    # same name at the destination's domain.
    include_permissions: bool = False
    user_mappings: dict[str, str] = Field(default_factory=dict)
    job_version: int = 0


class DiscoverTenant(Message):
    """Discover a connected tenant's users, sites and teams (``migrator.cmd.tenant.discover``)."""

    tenant_id: str
    org_id: str
    discovery_job_id: str


class MigrateMailbox(Message):
    """Migrate one mailbox of an EMAIL job (``migrator.cmd.mailbox.migrate``).

    ``job_version`` is the job's version when the unit was dispatched: a JobPaused or JobDeleted
    of a later version stops the unit between two batches of items (an older one does not)."""

    job_id: str
    unit_id: str
    org_id: str
    source_tenant_id: str
    dest_tenant_id: str
    source_mailbox: str
    # None: the user of the same name (local part) in the destination tenant.
    dest_mailbox: str | None = None
    # EmailScope's keys: {"email": true, "calendar": true, "contacts": true}; empty: all three.
    scope: dict[str, Any] = Field(default_factory=dict)
    job_version: int = 0


class MigrateTeam(Message):
    """Migrate one team of a TEAMS job (``migrator.cmd.team.migrate``): its channels, their
    messages and replies (imported in migration mode) and, with ``files`` in scope, its channel
    files through the SharePoint path (a ``MigrateSite`` of its own)."""

    job_id: str
    unit_id: str
    org_id: str
    source_tenant_id: str
    dest_tenant_id: str
    source_team_id: str
    # None: a team of the same name at the destination, created if there is none.
    dest_team_id: str | None = None
    # TeamsScope's keys: {"messages": true, "files": true}; empty: both.
    scope: dict[str, Any] = Field(default_factory=dict)
    # Message authors: source UPN -> destination UPN (lower-case keys); failing that, the user
    # of the same name at the destination; failing that, ``fallback_user`` (a WARN line says so).
    user_mappings: dict[str, str] = Field(default_factory=dict)
    fallback_user: str | None = None
    job_version: int = 0


class DeleteTenant(Message):
    """Disconnect a tenant (``migrator.cmd.tenant.delete``), handled by the scheduler first:
    it pauses the tenant's unfinished jobs, then asks the tenant's connector to revoke it."""

    tenant_id: str
    org_id: str
    request_id: str


class RevokeTenant(Message):
    """Forget a tenant's credentials and discovery data (``migrator.cmd.tenant.revoke``)."""

    tenant_id: str
    org_id: str
    request_id: str


class QueueDeviceCommand(Message):
    """Queue a command for a device (``migrator.cmd.device.command``). ``command_id`` makes a
    redelivery or a retried publish queue it once; an operator may leave it out, and device-hub
    then derives it from the message's stream sequence. The payload is checked against the
    type's schema (``migrator_contracts.devices``) before it is queued."""

    org_id: str
    device_id: str
    type: str
    payload: dict[str, Any] = Field(default_factory=dict)
    command_id: str | None = None


class AtlassianUnit(Message):
    """One project (JIRA) or space (CONFLUENCE) of a job, and its size as discovered."""

    unit_id: str
    key: str
    total_items: int = 0


class MigrateAtlassianScope(Message):
    """Migrate every project or space of a JIRA / CONFLUENCE job as one Atlassian migration
    (``migrator.cmd.atlassian.migrate``): Atlassian runs a whole scope per migration job, and
    its 5-creates-a-minute budget makes one migration per project far too slow for a wave."""

    job_id: str
    org_id: str
    job_type: JobType
    source_tenant_id: str
    dest_tenant_id: str
    units: list[AtlassianUnit]
    name: str | None = None
    # Stop after the pre-migration checks: report them, migrate nothing.
    dry_run: bool = False
    # FAILED checks the operator chose to skip (only those Atlassian marks excludable).
    override_checks: list[str] = Field(default_factory=list)
