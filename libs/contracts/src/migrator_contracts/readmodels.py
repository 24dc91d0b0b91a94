"""Read-model collections: their names, owners and document shapes.

Documents are stored in the public API's field names (camelCase) plus ``orgId`` for
scoping; each collection has exactly one writing service, and the gateway only reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from migrator_contracts.devices import CommandStatus, CommandType
from migrator_contracts.enums import JobStatus, TenantStatus

# collection name -> owning (writing) service
ORGS = "orgs"  # gateway bootstrap / admin (identity is the gateway's own concern)
API_KEYS = "api_keys"  # gateway bootstrap / admin; stores hashes only
TENANTS = "tenants"  # sp-connector writes M365 tenants, atlassian-connector Atlassian ones (type)
TENANT_SECRETS = "tenant_secrets"  # sp-connector; encrypted tokens, never read by the gateway
CONSENTS = "consents"  # sp-connector; pending admin-consent states
DISCOVERED_USERS = "discovered_users"  # sp-connector
DISCOVERED_SITES = "discovered_sites"  # sp-connector
DISCOVERED_TEAMS = "discovered_teams"  # sp-connector
DISCOVERY_JOBS = "discovery_jobs"  # the connector of the tenant discovered
JOBS = "jobs"  # scheduler
JOB_UNITS = "job_units"  # scheduler
JOB_LOGS = "job_logs"  # log-stream; one document per log line, ordered by its stream sequence
LOG_JOBS = "log_jobs"  # log-stream; each job's organisation, from its events (whose retention its lines get)
SP_TASKS = "sp_tasks"  # sp-connector; its own work state (SharePoint job ids, queue progress)
SP_SYNC = "sp_sync"  # sp-connector; per (source site, destination site): the change token of the last pass
SP_STAGED = "sp_staged"  # sp-connector; per site unit and file: already in its staging container
DEVICES = "devices"  # device-hub; secrets as hashes only
DEVICE_COMMANDS = "device_commands"  # device-hub; each device's command queue and history
DEVICE_ENROLLMENT = "device_enrollment"  # device-hub; per organisation: enrolment token hash, if required
DISCOVERED_PROJECTS = "discovered_projects"  # atlassian-connector; Jira projects of an Atlassian tenant
DISCOVERED_SPACES = "discovered_spaces"  # atlassian-connector; Confluence spaces of an Atlassian tenant
ATLASSIAN_SECRETS = "atlassian_secrets"  # atlassian-connector; encrypted OAuth tokens and server PATs
ATLASSIAN_CONSENTS = "atlassian_consents"  # atlassian-connector; pending OAuth consent states
ATLASSIAN_TASKS = "atlassian_tasks"  # atlassian-connector; its work state (migration job and task ids)
JOB_CHECKS = "job_checks"  # atlassian-connector; a job's pre-migration check results
# mail-teams-connector's own work state (read by no other service):
GRAPH_TENANTS = "graph_tenants"  # M365 tenants it may call (from TenantConnected / TenantRemoved)
JOB_CONTROLS = "job_controls"  # the last pause / resume / delete of each job, from the job events
MAILBOX_TASKS = "mailbox_tasks"  # per mailbox unit: phase, counters, position, progress sequence
MAILBOX_SYNC = "mailbox_sync"  # per (source, destination) mailbox pair: folders, delta links
MAILBOX_ITEMS = "mailbox_items"  # per pair and source item: the destination item it became
TEAM_TASKS = "team_tasks"  # per team unit: destination team, channels, counters, channel files
TEAM_MESSAGES = "team_messages"  # per pair and source message: the destination message


class Doc(BaseModel):
    """A read-model document (camelCase on disk and on the wire)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_doc(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")

    @classmethod
    def undeclared(cls, stored: Mapping[str, Any]) -> set[str]:
        """The fields of a stored document this model does not declare (``_id`` is the store's):
        what its writer wrote outside the model, which no reader can rely on."""
        declared = {field.alias or name for name, field in cls.model_fields.items()}
        return set(stored) - declared - {"_id"}

    def changed(self, **fields: Any) -> tuple[Self, dict[str, Any]]:
        """This document with ``fields`` changed, and those fields as they are stored: what an
        update writes, and the document it leaves behind."""
        return self.model_copy(update=fields), self.as_stored(**fields)

    @classmethod
    def as_stored(cls, **fields: Any) -> dict[str, Any]:
        """``fields`` (by their Python names) as a partial update writes them: stored names, JSON."""
        return cls.model_construct(**fields).model_dump(by_alias=True, mode="json", include=set(fields))


class LastControl(Doc):
    """The job's last pause / resume / delete request and what came of it (a redelivered
    request is recognised by its id and announced again, never applied twice)."""

    request_id: str
    action: str
    outcome: str  # APPLIED | REJECTED
    code: str | None = None  # why it was rejected
    status: str  # the job's status after it


class JobDoc(Doc):
    """A job as the scheduler writes it: the API's fields, then its own bookkeeping."""

    id: str
    org_id: str
    type: str
    status: str
    source_tenant_id: str
    dest_tenant_id: str
    scope: dict[str, Any]
    options: dict[str, Any]
    total_items: int = 0
    done_items: int = 0
    error_items: int = 0
    skipped_items: int = 0
    bytes_transferred: int = 0
    dry_run: bool = False
    name: str | None = None
    scheduled_at: str | None = None
    created_at: str
    started_at: str | None = None
    completed_at: str | None = None
    version: int = 0  # optimistic concurrency: every change is conditional on it
    # The scheduler's bookkeeping, never shown by the API.
    due_at: float = 0.0  # epoch seconds from which it may start (its scheduledAt, else created)
    dispatch_complete: bool = False  # every unit's command is on the bus
    trace_context: dict[str, str] | None = None  # W3C context of the request that created it
    start_to_announce: int | None = None  # the version whose JobStarted is not yet published
    waiting_since: str | None = None  # when it began waiting for a destination slot, if it is
    last_control: LastControl | None = None
    paused_at: str | None = None
    deleted: bool | None = None  # True once deleted; null (not False) until then: listings match null


class JobUnitDoc(Doc):
    id: str
    job_id: str
    org_id: str
    kind: str  # "site" | "mailbox" | "team" | "project" | "space"
    source: str
    dest: str
    status: str
    total_items: int = 0
    done_items: int = 0
    error_items: int = 0
    skipped_items: int = 0
    bytes_transferred: int = 0
    seq: int = 0
    message: str | None = None
    dest_tenant_id: str | None = None
    job_type: str | None = None
    # Dispatch: whether its command is on the bus, when, and how many times it was sent (a unit
    # no connector started is sent again, then failed); ``started_at`` is the connector's start.
    dispatched: bool = False
    dispatched_at: float | None = None
    dispatch_count: int = 0  # sends in all (each its own Nats-Msg-Id)
    sends_unstarted: int = 0  # sends since a connector last had it
    started_at: str | None = None
    completed_at: str | None = None


class TenantDoc(Doc):
    """A connected tenant: sp-connector writes M365 ones, atlassian-connector Atlassian cloud
    sites and Server / Data Center sources (``type``); discovery fills the counts."""

    id: str
    org_id: str
    domain: str  # an Atlassian server's id, for a server
    type: str = "M365"
    role: str
    mailbox_count: int | None = None
    site_count: int | None = None
    total_size_bytes: int | None = None
    sharepoint_quota_bytes: int | None = None
    sharepoint_used_bytes: int | None = None
    onedrive_quota_per_user_bytes: int | None = None
    project_count: int | None = None  # Atlassian: Jira projects discovered
    space_count: int | None = None  # Atlassian: Confluence spaces discovered
    user_count: int | None = None  # Atlassian servers: users discovered
    workloads: list[str] = []
    discovered_at: str | None = None
    connected_at: str
    external_tenant_id: str | None = None  # the directory's tenant id, a site's cloud id, a server's id
    site_url: str | None = None  # Atlassian cloud sites
    server_base_url: str | None = None  # Atlassian servers
    latest_discovery_job_id: str | None = None
    # CONNECTED, or RECONNECT_REQUIRED once its directory withdrew consent (sp-connector sets it
    # when a token is refused for that reason; connecting the tenant again sets it back).
    status: str = TenantStatus.CONNECTED.value
    status_message: str | None = None


class DeviceDoc(Doc):
    """A registered device (device-hub). Its status is never stored: it is worked out on read."""

    id: str
    org_id: str
    hostname: str
    ip_address: str
    domain: str
    agent_version: str | None = None
    secret_hash: str
    created_at: str
    last_seen_at: str  # registering is the first contact, so never null (the OFFLINE filter relies on it)
    active_command_id: str | None = None  # the command it holds: one at a time (see device-hub's checkins)
    deleted: bool | None = None  # True once deleted; null until then: listings match null
    deleted_at: str | None = None
    unannounced: bool | None = None  # changed, its event not yet confirmed by the bus (the outbox mark)


class DeviceCommandDoc(Doc):
    """One command in a device's queue and history (device-hub)."""

    id: str
    device_id: str
    org_id: str
    type: CommandType
    payload: dict[str, Any] = {}
    status: CommandStatus
    result: str | None = None
    created_at: str
    updated_at: str
    version: int = 1  # every change is conditional on it, and names its event
    checkin_id: str | None = None  # the check-in it was handed to: a retry of that one gets it again
    delivered_at: str | None = None
    phase1_completed_at: str | None = None  # a two-phase command reported its first phase (rebooting)
    completed_at: str | None = None
    unannounced: bool | None = None


class DeviceEnrollmentDoc(Doc):
    """An organisation's enrolment rule (device-hub): present only while a token is required."""

    org_id: str
    token_hash: str
    created_at: str


class CheckRow(Doc):
    """One of Atlassian's pre-migration checks, as it last read."""

    name: str
    status: str
    outcome: str | None = None
    message: str | None = None
    overridden: bool = False  # the job asked to go ahead despite it (``overrideChecks``)


class JobChecksDoc(Doc):
    """A JIRA / CONFLUENCE job's pre-migration checks (atlassian-connector, by job id); a job
    whose checks have not run has none, and reads as PENDING."""

    job_id: str
    org_id: str
    status: str = "PENDING"
    outcome: str | None = None
    message: str | None = None
    checks: list[CheckRow] = []
    checked_at: str | None = None


class DiscoveryJobDoc(Doc):
    """One discovery of a tenant (``discovery_jobs``), kept by the connector that discovers it."""

    id: str
    tenant_id: str
    org_id: str
    status: JobStatus
    started_at: str | None = None
    completed_at: str | None = None


class DiscoveredDoc(Doc):
    """What every discovered thing carries: whose it is, and the discovery that last saw it."""

    id: str
    tenant_id: str
    org_id: str
    discovery_job_id: str


class DiscoveredUserDoc(DiscoveredDoc):
    upn: str
    display_name: str | None = None
    source_size_bytes: int = 0  # the mailbox's


class DiscoveredSiteDoc(DiscoveredDoc):
    site_id: str
    name: str | None = None
    url: str
    size_bytes: str  # a decimal string, as the public API shows it


class DiscoveredTeamDoc(DiscoveredDoc):
    team_id: str
    name: str | None = None
    description: str = ""
    member_count: int = 0


class DiscoveredProjectDoc(DiscoveredDoc):
    key: str
    name: str | None = None
    issue_count: int = 0
    size_bytes: int = 0


class DiscoveredSpaceDoc(DiscoveredDoc):
    key: str
    name: str | None = None
    page_count: int = 0
    size_bytes: int = 0


class OrgDoc(Doc):
    """An organisation (the gateway's; device-hub reads only whether one exists)."""

    id: str
    name: str
    created_at: str


class JobLogDoc(Doc):
    """One line of a job's log (log-stream, by line id), ordered by ``seq``, its stream sequence."""

    job_id: str
    org_id: str | None = None  # null while the job's first event has not been seen
    seq: int
    level: str
    message: str
    ts: str
    fields: dict[str, Any] = {}
    final: bool = False  # the job's last line: a live tail ends after it
    expires_at: float  # epoch seconds: the organisation's retention after it was written


class LogJobDoc(Doc):
    """A job as log-stream knows it (by job id): whose it is, so its lines get that retention."""

    org_id: str
