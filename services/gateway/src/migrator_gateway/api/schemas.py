"""The public API's response shapes, with the reference's examples.

Each route declares its shape as its ``response_model``: FastAPI checks what the route returns
against it and renders it, and the OpenAPI document shows it, so the payload and the document
come from one type (the two hot reads render through the same models: ``api.hot_reads``).
"""

from __future__ import annotations

from typing import Any

from migrator_contracts.enums import TenantStatus
from pydantic import BaseModel, ConfigDict, Field


def _example(example: dict[str, Any]) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class ErrorBody(BaseModel):
    model_config = _example({"error": "Tenant not found", "code": "TENANT_NOT_FOUND", "status": 404})
    error: str = Field(description="A human-readable message")
    code: str = Field(description="A stable machine-readable code")
    status: int = Field(description="The HTTP status")


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Invalid input (VALIDATION_ERROR, INVALID_JSON, …)"},
    401: {"model": ErrorBody, "description": "Missing or invalid API key or session (UNAUTHORIZED)"},
    403: {
        "model": ErrorBody,
        "description": "A session's change without its X-CSRF-Token header (CSRF_TOKEN_INVALID)",
    },
    404: {"model": ErrorBody, "description": "Not found, or another organisation's"},
    413: {"model": ErrorBody, "description": "The request is too large to carry (REQUEST_TOO_LARGE)"},
    429: {"model": ErrorBody, "description": "Rate limit exceeded (RATE_LIMITED); see Retry-After"},
    500: {"model": ErrorBody, "description": "Unexpected error (INTERNAL_ERROR)"},
    503: {"model": ErrorBody, "description": "A service did not answer in time (SERVICE_UNAVAILABLE)"},
}

JOB_REQUEST_INVALID: dict[str, Any] = {
    "model": ErrorBody,
    "description": "Options or scope the job type does not take (VALIDATION_ERROR), or no running "
    "connector takes jobs of the type (JOB_TYPE_UNAVAILABLE, from the 'connector' check)",
}
PREFLIGHT_FAILED: dict[str, Any] = {
    "model": ErrorBody,
    "description": "A pre-flight check failed (for a batch: for one of its items): PREFLIGHT_ROLES, "
    "PREFLIGHT_WORKLOAD, PREFLIGHT_SCOPE (nothing selected, an item discovery did not find, a "
    "tenant not discovered yet), PREFLIGHT_MAPPING (a destination not found), PREFLIGHT_QUOTA",
}

TENANT_EXAMPLE = {
    "id": "ten_01HXKP3B",
    "domain": "contoso.com",
    "type": "M365",
    "role": "source",
    "mailboxCount": 312,
    "siteCount": 47,
    "totalSizeBytes": 1099511627776,
    "sharepointQuotaBytes": 26843545600000,
    "sharepointUsedBytes": 8053063680000,
    "onedriveQuotaPerUserBytes": 1099511627776,
    "workloads": ["EMAIL", "SHAREPOINT", "ONEDRIVE", "TEAMS"],
    "discoveredAt": "2026-04-10T09:23:00Z",
    "connectedAt": "2026-04-10T09:00:00Z",
}
JOB_EXAMPLE = {
    "id": "job_01HY2MQR",
    "type": "EMAIL",
    "status": "RUNNING",
    "sourceTenantId": "ten_01HXKP3B",
    "destTenantId": "ten_02HXZ9QW",
    "scope": {"email": True, "calendar": True, "contacts": True},
    "totalItems": 48210,
    "doneItems": 31405,
    "errorItems": 12,
    "skippedItems": 3,
    "bytesTransferred": 5368709120,
    "dryRun": False,
    "createdAt": "2026-05-09T08:00:00Z",
    "startedAt": "2026-05-09T08:01:12Z",
    "completedAt": None,
    "name": "Finance — wave 1",
    "scheduledAt": None,
}
CREATE_JOB_EXAMPLE: dict[str, Any] = {
    "sourceTenantId": "ten_01HXKP3B",
    "destTenantId": "ten_02HXZ9QW",
    "type": "EMAIL",
    "scope": {"email": True, "calendar": True, "contacts": True},
}
BATCH_EXAMPLE: dict[str, Any] = CREATE_JOB_EXAMPLE | {
    "batches": [
        {
            "name": "Wave 1 — Exec team",
            "scheduledAt": "2026-06-01T22:00:00Z",
            "options": {
                "mailboxes": ["ceo@contoso.com"],
                "mailboxMappings": [{"source": "ceo@contoso.com", "dest": "ceo@fabrikam.com"}],
            },
        }
    ]
}
SSE_EXAMPLE = (
    "event: log\nid: 1041\n"
    'data: {"id":"log_01HY3A","level":"OK","message":"[email protected] → 4,210 items migrated",'
    '"ts":"2026-05-09T08:05:00Z"}\n\n'
    "event: done\n"
    'data: {"status":"DONE","completedAt":"2026-05-09T10:22:00Z"}\n\n'
)
LATEST_JOB_EXAMPLE = {"id": "dis_01HXKP3E", "status": "DONE", "completedAt": "2026-04-10T09:23:00Z"}


class Tenant(BaseModel):
    model_config = _example(TENANT_EXAMPLE)
    id: str
    domain: str
    type: str
    role: str
    mailboxCount: int | None
    siteCount: int | None
    totalSizeBytes: int | None
    sharepointQuotaBytes: int | None
    sharepointUsedBytes: int | None
    onedriveQuotaPerUserBytes: int | None
    workloads: list[str]
    discoveredAt: str | None
    connectedAt: str
    projectCount: int | None = Field(default=None, description="Atlassian tenants: Jira projects discovered")
    spaceCount: int | None = Field(
        default=None, description="Atlassian tenants: Confluence spaces discovered"
    )
    userCount: int | None = Field(default=None, description="Atlassian tenants: users discovered")
    status: TenantStatus = Field(
        default=TenantStatus.CONNECTED,
        description="RECONNECT_REQUIRED once the tenant's administrator withdrew the app's consent (or it "
        "lapsed): its jobs fail until it is connected again with POST /v1/tenants/connect",
    )
    statusMessage: str | None = Field(
        default=None, description="What needs doing, when the tenant needs reconnecting"
    )


class TenantList(BaseModel):
    tenants: list[Tenant]


class TenantEnvelope(BaseModel):
    tenant: Tenant


class ConsentStart(BaseModel):
    model_config = _example(
        {
            "authUrl": "https://login.microsoftonline.com/common/adminconsent?client_id=...",
            "state": "tok_9Kx2mPqRv",
        }
    )
    authUrl: str
    state: str


class ConsentDone(BaseModel):
    connected: bool
    tenantId: str | None


class LatestJob(BaseModel):
    model_config = _example(LATEST_JOB_EXAMPLE)
    id: str
    status: str
    completedAt: str | None


class DiscoveryStarted(BaseModel):
    latestJob: LatestJob


class DiscoveredUser(BaseModel):
    id: str
    tenantId: str
    upn: str
    displayName: str | None
    sourceSizeBytes: int | None


class DiscoveredSite(BaseModel):
    id: str
    tenantId: str
    siteId: str
    name: str | None
    url: str
    sizeBytes: str | None = Field(description="A decimal string, as the reference shows it")


class DiscoveredTeam(BaseModel):
    id: str
    tenantId: str
    teamId: str
    name: str | None
    description: str | None
    memberCount: int | None


class DiscoveredUsers(BaseModel):
    users: list[DiscoveredUser]
    latestJob: LatestJob | None
    nextCursor: str | None = Field(
        default=None, description="With `limit`: the next page's cursor; null on the last"
    )
    hasMore: bool = Field(default=False, description="With `limit`: whether another page follows")


class DiscoveredSites(BaseModel):
    sites: list[DiscoveredSite]
    latestJob: LatestJob | None
    nextCursor: str | None = Field(
        default=None, description="With `limit`: the next page's cursor; null on the last"
    )
    hasMore: bool = Field(default=False, description="With `limit`: whether another page follows")


class DiscoveredTeams(BaseModel):
    teams: list[DiscoveredTeam]
    latestJob: LatestJob | None
    nextCursor: str | None = Field(
        default=None, description="With `limit`: the next page's cursor; null on the last"
    )
    hasMore: bool = Field(default=False, description="With `limit`: whether another page follows")


class Job(BaseModel):
    model_config = _example(JOB_EXAMPLE)
    id: str
    type: str
    status: str
    sourceTenantId: str
    destTenantId: str
    scope: dict[str, Any]
    totalItems: int
    doneItems: int
    errorItems: int
    skippedItems: int
    bytesTransferred: int
    dryRun: bool
    createdAt: str
    startedAt: str | None
    completedAt: str | None
    name: str | None = Field(default=None, description="The name given at creation (a batch's name)")
    scheduledAt: str | None = Field(default=None, description="When a scheduled job starts; null: at once")


class JobSummary(BaseModel):
    id: str
    type: str
    status: str
    sourceTenantId: str
    destTenantId: str
    totalItems: int
    doneItems: int
    errorItems: int
    skippedItems: int
    bytesTransferred: int
    createdAt: str
    name: str | None = Field(default=None, description="The name given at creation (a batch's name)")
    scheduledAt: str | None = Field(default=None, description="When a scheduled job starts; null: at once")
    startedAt: str | None
    completedAt: str | None


class JobEnvelope(BaseModel):
    job: Job


class JobPage(BaseModel):
    model_config = _example(
        {
            "jobs": [{k: v for k, v in JOB_EXAMPLE.items() if k not in ("scope", "dryRun")}],
            "nextCursor": "cur_KxP2Rv9",
            "hasMore": True,
        }
    )
    jobs: list[JobSummary]
    nextCursor: str | None
    hasMore: bool


class JobPreview(Job):
    id: str | None  # type: ignore[assignment]  # a dry run creates nothing, so there is no id


class PreflightCheck(BaseModel):
    check: str = Field(description="tenants, roles, workload, connector, scope or quota")
    ok: bool
    detail: str


class DryRunResult(BaseModel):
    job: JobPreview
    preflight: list[PreflightCheck]


class BatchResult(BaseModel):
    model_config = _example({"jobIds": ["job_01HY2MQR", "job_01HY2MQS", "job_01HY2MQT"]})
    jobIds: list[str]


class StatusResult(BaseModel):
    model_config = _example({"status": "PAUSED"})
    status: str


class Deleted(BaseModel):
    model_config = _example({"deleted": True})
    deleted: bool


class MailboxProgress(BaseModel):
    model_config = _example(
        {
            "id": "mbp_01HYA3X",
            "email": "john.smith@contoso.com",
            "destEmail": "john.smith@fabrikam.com",
            "status": "DONE",
            "totalItems": 4210,
            "doneItems": 4210,
            "errorItems": 0,
            "sizeBytes": 1073741824,
            "startedAt": "2026-05-09T08:02:00Z",
            "completedAt": "2026-05-09T08:09:44Z",
        }
    )
    id: str
    email: str
    destEmail: str | None = Field(
        description="The destination mailbox: its mapping's, else the destination user of the same "
        "name, resolved when the job was created"
    )
    status: str
    totalItems: int
    doneItems: int
    errorItems: int
    sizeBytes: int | None = Field(description="The mailbox's size as discovery measured it")
    startedAt: str | None
    completedAt: str | None


class MailboxPage(BaseModel):
    mailboxes: list[MailboxProgress]
    nextCursor: str | None
    hasMore: bool


class SiteProgress(BaseModel):
    id: str
    url: str
    destUrl: str | None = Field(description="null: the same path in the destination tenant")
    status: str
    totalItems: int
    doneItems: int
    errorItems: int
    bytesTransferred: int
    startedAt: str | None
    completedAt: str | None


class SitePage(BaseModel):
    sites: list[SiteProgress]
    nextCursor: str | None
    hasMore: bool


TEAM_PROGRESS_EXAMPLE = {
    "id": "tpr_01HYA3X00000",
    "teamId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
    "name": "Engineering",
    "destTeamId": "99999999-8888-7777-6666-555555555555",
    "status": "RUNNING",
    "totalItems": 1840,
    "doneItems": 912,
    "errorItems": 0,
    "bytesTransferred": 73400320,
    "startedAt": "2026-05-09T08:02:00Z",
    "completedAt": None,
}


class TeamProgress(BaseModel):
    model_config = _example(TEAM_PROGRESS_EXAMPLE)
    id: str
    teamId: str = Field(description="The source team")
    name: str | None = Field(description="The source team's name, as discovery found it")
    destTeamId: str | None = Field(
        description="The destination team: its mapping's, or the one the connector matched by name "
        "or created (null until it has)"
    )
    status: str
    totalItems: int
    doneItems: int
    errorItems: int
    bytesTransferred: int = Field(description="Channel files' bytes")
    startedAt: str | None
    completedAt: str | None


class TeamPage(BaseModel):
    model_config = _example({"teams": [TEAM_PROGRESS_EXAMPLE], "nextCursor": None, "hasMore": False})
    teams: list[TeamProgress]
    nextCursor: str | None
    hasMore: bool


# --- devices ---------------------------------------------------------------------------------
DEVICE_EXAMPLE = {
    "id": "dev_01HXKP9A",
    "hostname": "DESKTOP-ABC123",
    "ipAddress": "192.168.1.42",
    "domain": "contoso.local",
    "status": "ONLINE",
    "lastSeenAt": "2026-05-13T10:55:00Z",
    "agentVersion": "0.6.35",
    "createdAt": "2026-05-13T09:00:00Z",
}
COMMAND_PAYLOAD_EXAMPLE = {
    "ppkgUrl": "https://storage.azure.com/migration-staging/enroll.ppkg",
    "destTenantId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
}
COMMAND_EXAMPLE = {
    "id": "cmd_01HY4PQR",
    "deviceId": "dev_01HXKP9A",
    "type": "FULL_MIGRATION",
    "payload": COMMAND_PAYLOAD_EXAMPLE,
    "status": "DONE",
    "result": "Phase 2: Entra join and Intune enrollment completed via provisioning package",
    "createdAt": "2026-05-13T11:00:00Z",
    "updatedAt": "2026-05-13T11:08:42Z",
}


class DeviceRegistration(BaseModel):
    model_config = _example({"deviceId": "dev_01HXKP9A", "secret": "a3f8c2d1e7b6..."})
    deviceId: str
    secret: str = Field(description="Shown this once; the agent keeps it (the Windows registry)")


class HandedCommand(BaseModel):
    id: str
    type: str
    payload: dict[str, Any]


class CheckinReply(BaseModel):
    model_config = _example(
        {"commands": [{"id": "cmd_01HY4PQR", "type": "FULL_MIGRATION", "payload": COMMAND_PAYLOAD_EXAMPLE}]}
    )
    commands: list[HandedCommand] = Field(description="At most one: commands run one at a time")


class Ok(BaseModel):
    model_config = _example({"ok": True})
    ok: bool


class Device(BaseModel):
    model_config = _example(DEVICE_EXAMPLE)
    id: str
    hostname: str
    ipAddress: str
    domain: str
    status: str = Field(description="ONLINE, MIGRATING or OFFLINE")
    lastSeenAt: str | None
    agentVersion: str | None
    createdAt: str


class DevicePage(BaseModel):
    model_config = _example({"devices": [DEVICE_EXAMPLE], "nextCursor": None, "hasMore": False})
    devices: list[Device]
    nextCursor: str | None
    hasMore: bool


class DeviceEnvelope(BaseModel):
    model_config = _example({"device": DEVICE_EXAMPLE})
    device: Device


class DeviceCommand(BaseModel):
    model_config = _example(COMMAND_EXAMPLE)
    id: str
    deviceId: str
    type: str
    payload: dict[str, Any]
    status: str = Field(description="PENDING, RUNNING, DONE, ERROR or CANCELLED")
    result: str | None
    createdAt: str
    updatedAt: str


class DeviceCommandEnvelope(BaseModel):
    model_config = _example({"command": COMMAND_EXAMPLE | {"status": "PENDING", "result": None}})
    command: DeviceCommand


class DeviceCommandPage(BaseModel):
    model_config = _example({"commands": [COMMAND_EXAMPLE], "nextCursor": None, "hasMore": False})
    commands: list[DeviceCommand]
    nextCursor: str | None
    hasMore: bool


class Enrollment(BaseModel):
    model_config = _example({"required": True, "enrollmentToken": "tme_Qm9yZW1..."})
    required: bool
    enrollmentToken: str | None = Field(default=None, description="Shown this once, when issued")


class KeyProgress(BaseModel):
    id: str
    key: str = Field(description="The project or space key")
    status: str
    totalItems: int
    doneItems: int
    errorItems: int
    message: str | None = Field(description="Atlassian's message when it did not succeed")
    startedAt: str | None
    completedAt: str | None


class ProjectPage(BaseModel):
    projects: list[KeyProgress]
    nextCursor: str | None
    hasMore: bool


class SpacePage(BaseModel):
    spaces: list[KeyProgress]
    nextCursor: str | None
    hasMore: bool


class Check(BaseModel):
    name: str
    status: str
    outcome: str | None
    message: str | None
    overridden: bool


class JobChecks(BaseModel):
    model_config = _example(
        {
            "status": "FINISHED",
            "outcome": "WARNING",
            "message": "All Preflight checks have passed with warning.",
            "checks": [
                {
                    "name": "CloudSiteNotEmpty",
                    "status": "FINISHED",
                    "outcome": "WARNING",
                    "message": "The site already has projects",
                    "overridden": False,
                }
            ],
            "checkedAt": "2026-05-09T08:01:00Z",
        }
    )
    status: str
    outcome: str | None
    message: str | None
    checks: list[Check]
    checkedAt: str | None


class DiscoveredProject(BaseModel):
    id: str
    tenantId: str
    key: str
    name: str | None
    issueCount: int
    sizeBytes: int


class DiscoveredSpace(BaseModel):
    id: str
    tenantId: str
    key: str
    name: str | None
    pageCount: int
    sizeBytes: int


class DiscoveredProjects(BaseModel):
    projects: list[DiscoveredProject]
    latestJob: LatestJob | None
    nextCursor: str | None = Field(
        default=None, description="With `limit`: the next page's cursor; null on the last"
    )
    hasMore: bool = Field(default=False, description="With `limit`: whether another page follows")


class DiscoveredSpaces(BaseModel):
    spaces: list[DiscoveredSpace]
    latestJob: LatestJob | None
    nextCursor: str | None = Field(
        default=None, description="With `limit`: the next page's cursor; null on the last"
    )
    hasMore: bool = Field(default=False, description="With `limit`: whether another page follows")


class RegisteredServer(BaseModel):
    tenant: Tenant


API_KEY_EXAMPLE = {
    "id": "key_3f2a9c0d1e7b6a5f4e3d2c1b",
    "prefix": "tmk_live_AbC12xy",
    "name": "Nightly sync script",
    "createdAt": "2026-05-01T09:00:00Z",
    "lastUsedAt": "2026-05-09T08:05:00Z",
    "revokedAt": None,
}


class ApiKey(BaseModel):
    model_config = _example(API_KEY_EXAMPLE)
    id: str
    prefix: str = Field(description="The key's first characters: enough to recognise it, never the key")
    name: str | None = Field(description="null for keys made before keys had names")
    createdAt: str
    lastUsedAt: str | None = Field(description="To the minute; null if never used")
    revokedAt: str | None


class ApiKeyList(BaseModel):
    model_config = _example({"keys": [API_KEY_EXAMPLE]})
    keys: list[ApiKey] = Field(description="Every key of the organisation, revoked ones too, oldest first")


class CreatedApiKey(BaseModel):
    model_config = _example(
        {"key": API_KEY_EXAMPLE | {"lastUsedAt": None}, "secret": "tmk_live_AbC12xy" + "…"}
    )
    key: ApiKey
    secret: str = Field(description="The key itself: shown this once, stored only as a hash")


class RevokedApiKey(BaseModel):
    model_config = _example({"revoked": True, "key": API_KEY_EXAMPLE | {"revokedAt": "2026-05-10T12:00:00Z"}})
    revoked: bool
    key: ApiKey


class Session(BaseModel):
    model_config = _example(
        {
            "orgId": "org_abc123",
            "keyPrefix": "tmk_live_AbC12xy",
            "csrfToken": "3f0c9a…",
            "expiresAt": "2026-05-10T20:00:00Z",
        }
    )
    orgId: str
    keyPrefix: str = Field(description="The first characters of the API key the session began with")
    csrfToken: str = Field(
        description="Send it as X-CSRF-Token on every POST, PUT, PATCH and DELETE the session makes"
    )
    expiresAt: str
