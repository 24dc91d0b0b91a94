"""Status and type vocabularies shared by the API, the bus and the read models."""

from __future__ import annotations

from enum import StrEnum


class JobType(StrEnum):
    EMAIL = "EMAIL"
    SHAREPOINT = "SHAREPOINT"
    ONEDRIVE = "ONEDRIVE"
    TEAMS = "TEAMS"
    JIRA = "JIRA"
    CONFLUENCE = "CONFLUENCE"


ATLASSIAN_JOB_TYPES = frozenset({JobType.JIRA, JobType.CONFLUENCE})
M365_JOB_TYPES = frozenset({JobType.EMAIL, JobType.SHAREPOINT, JobType.ONEDRIVE, JobType.TEAMS})


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"


TERMINAL_JOB_STATUSES = frozenset({JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED})


class JobAction(StrEnum):
    """What a caller may ask of an existing job."""

    PAUSE = "PAUSE"
    RESUME = "RESUME"
    DELETE = "DELETE"


class ControlOutcome(StrEnum):
    """How the scheduler answered a JobAction (recorded on the job for the caller to read)."""

    APPLIED = "APPLIED"
    REJECTED = "REJECTED"


class UnitStatus(StrEnum):
    """Status of one unit of work (site, mailbox, project) inside a job."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    ERROR = "ERROR"


TERMINAL_UNIT_STATUSES = frozenset({UnitStatus.DONE, UnitStatus.ERROR})


class TenantRole(StrEnum):
    SOURCE = "source"
    DESTINATION = "destination"


class LogLevel(StrEnum):
    OK = "OK"
    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


class TenantStatus(StrEnum):
    CONNECTED = "CONNECTED"
    RECONNECT_REQUIRED = "RECONNECT_REQUIRED"  # its directory withdrew the app's consent


class TenantType(StrEnum):
    M365 = "M365"
    ATLASSIAN = "ATLASSIAN"  # an Atlassian Cloud site (destination), connected by OAuth consent
    ATLASSIAN_SERVER = "ATLASSIAN_SERVER"  # a Jira / Confluence Server or Data Center (source)
