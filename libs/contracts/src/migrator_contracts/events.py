"""Domain events: past tense, published on ``migrator.evt.<aggregate>.<id>.<EventName>``.

Each event carries ``event_id`` (used as ``Nats-Msg-Id``) and ``seq``, a per-aggregate
sequence: a projection applies an event only if its ``seq`` is newer than the last it applied.
"""

from __future__ import annotations

from datetime import datetime

from migrator_contracts.base import Message
from migrator_contracts.enums import JobStatus, UnitStatus


class Event(Message):
    event_id: str
    seq: int
    occurred_at: datetime


class JobQueued(Event):
    job_id: str
    org_id: str
    scheduled_at: datetime | None = None


class JobStarted(Event):
    job_id: str
    org_id: str
    total_units: int


class JobCompleted(Event):
    """The job reached a terminal status (DONE or ERROR)."""

    job_id: str
    org_id: str
    status: JobStatus
    total_items: int
    done_items: int
    error_items: int
    skipped_items: int


class JobPaused(Event):
    """No new units are dispatched; those in flight finish their current batch."""

    job_id: str
    org_id: str


class JobResumed(Event):
    """A paused job is queued again; already-migrated items are skipped."""

    job_id: str
    org_id: str


class JobDeleted(Event):
    """The job is cancelled (if it had not finished) and removed from the API."""

    job_id: str
    org_id: str
    status: JobStatus


class UnitProgressed(Event):
    """Absolute progress of one unit (site) of a job, as last reported by the external system.

    Counters are absolute, not deltas: a redelivered or late event can never count twice,
    and ``seq`` (per unit) keeps an old report from overwriting a newer one.
    """

    job_id: str
    unit_id: str
    status: UnitStatus
    total_items: int = 0
    done_items: int = 0
    error_items: int = 0
    skipped_items: int = 0
    bytes_transferred: int = 0
    message: str | None = None
    # Why the skipped items were left, when that is news (Atlassian's reason for a project it
    # SKIPPED); None for items skipped because they already moved (an incremental pass).
    skipped_reason: str | None = None
    # What the unit is, for a reader who does not know it (a mailbox's UPN, a team's name, a
    # site's URL, a project's key): every connector sets it, and the job's log names the unit
    # by it. ``dest`` is where it went when the connector chose (a team it created).
    source: str | None = None
    dest: str | None = None


class ItemFailed(Event):
    """One item of a unit failed (a JobError from SharePoint)."""

    job_id: str
    unit_id: str
    item_url: str
    error_code: str
    message: str


class ApiKeyRevoked(Event):
    """An organisation's API key was revoked: every gateway forgets it at once (they cache keys)."""

    key_id: str
    org_id: str


class TenantConnected(Event):
    tenant_id: str
    org_id: str
    domain: str
    # The tenant's directory (Entra tenant GUID), for every service that calls Microsoft for it.
    external_tenant_id: str | None = None


class TenantDiscovered(Event):
    tenant_id: str
    org_id: str
    discovery_job_id: str
    status: JobStatus


class TenantRemoved(Event):
    """A tenant's credentials and discovery data are gone; it no longer appears in the API."""

    tenant_id: str
    org_id: str


class TenantConsentLost(Event):
    """A connector was refused a token because the tenant's directory withdrew the app's consent
    (AADSTS65001): nothing works there until the tenant is connected again."""

    tenant_id: str
    message: str  # what to do, in the words the job's log uses


class DeviceRegistered(Event):
    device_id: str
    org_id: str
    hostname: str
    domain: str


class DeviceDeleted(Event):
    """The registration is gone: the agent's check-ins are refused from now on."""

    device_id: str
    org_id: str


class DeviceCommandChanged(Event):
    """A device command was queued, handed to its agent, reported on, or cancelled: its state
    now (``seq`` is the command's version, so a late duplicate is recognisable)."""

    command_id: str
    device_id: str
    org_id: str
    type: str
    status: str
    result: str | None = None
