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


# Job types a connector runs today; the others are accepted by the contract but have no worker yet.
RUNNABLE_JOB_TYPES = frozenset({JobType.SHAREPOINT, JobType.ONEDRIVE})


class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"


TERMINAL_JOB_STATUSES = frozenset({JobStatus.DONE, JobStatus.ERROR, JobStatus.CANCELLED})


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
