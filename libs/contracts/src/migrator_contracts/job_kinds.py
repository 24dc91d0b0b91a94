"""What each job type accepts and how it runs: its option keys, its scope, its units, its connector.

The one table the gateway (to validate a request) and the scheduler (to validate a bus command
and split a job into units) both read. Options and scope are pydantic models that forbid
unknown keys and accept only the declared types, so ``"site"`` for ``"sites"``, a string where
a list belongs or ``"yes"`` for a boolean is refused, never silently ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictStr, model_validator
from pydantic.alias_generators import to_camel

from migrator_contracts import subjects
from migrator_contracts.enums import JobType

Name = StrictStr


class _Strict(BaseModel):
    """camelCase keys as on the wire; an unknown key is an error."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class UnitMapping(_Strict):
    """``{"source": …, "dest": …}``: where one selected item (or user) goes at the destination."""

    source: Name = Field(min_length=1)
    dest: Name = Field(min_length=1)


class JobOptions(_Strict):
    """Options common to every type: none yet. Each type's model names its selection."""


class SiteOptions(JobOptions):
    """SHAREPOINT and ONEDRIVE: sites by URL."""

    sites: list[Name] | None = None
    site_mappings: list[UnitMapping] = []
    full_pass: StrictBool = False
    include_versions: StrictBool = False
    include_permissions: StrictBool = False
    user_mappings: list[UnitMapping] = []


class MailboxOptions(JobOptions):
    """EMAIL: mailboxes by user principal name."""

    mailboxes: list[Name] | None = None
    mailbox_mappings: list[UnitMapping] = []


class TeamOptions(JobOptions):
    """TEAMS: teams by id; message authors mapped by ``userMappings`` (UPNs), else to the user of
    the same name at the destination, else to ``fallbackUser`` (a destination UPN)."""

    teams: list[Name] | None = None
    team_mappings: list[UnitMapping] = []
    user_mappings: list[UnitMapping] = []
    fallback_user: Name | None = None


class ProjectOptions(JobOptions):
    """JIRA: projects by key."""

    projects: list[Name] | None = None
    override_checks: list[Name] = []


class SpaceOptions(JobOptions):
    """CONFLUENCE: spaces by key."""

    spaces: list[Name] | None = None
    override_checks: list[Name] = []


class JobScope(_Strict):
    """What of each selected item moves. Omitted (or ``{}``): everything; given, the keys left
    out are false — ``{"email": true}`` moves mail only."""

    @model_validator(mode="before")
    @classmethod
    def _given_keys_only(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data:
            return data
        return {name: False for name in cls.model_fields} | data

    def selected(self) -> list[str]:
        """The scope's keys that are on."""
        return [name for name, on in self.model_dump().items() if on]


class NoScope(JobScope):
    """Types whose units move whole: no scope keys."""


class EmailScope(JobScope):
    """Folder classes: mail (IPF.Note), calendars (IPF.Appointment), contacts (IPF.Contact)."""

    email: StrictBool = True
    calendar: StrictBool = True
    contacts: StrictBool = True


class TeamsScope(JobScope):
    """Channel messages (with replies) and channel files (the team's SharePoint site)."""

    messages: StrictBool = True
    files: StrictBool = True


@dataclass(frozen=True)
class JobKind:
    """One job type: its unit kind, the options keys naming and mapping its units, its models,
    and the command subjects whose consumers run its units (no consumer: the type cannot run)."""

    unit: str
    selection: str
    mappings: str | None
    options: type[JobOptions]
    scope: type[JobScope]
    commands: tuple[str, ...]
    whole_job: bool = False  # dispatched as one command for every unit (Atlassian migrations)


JOB_KINDS: dict[JobType, JobKind] = {
    JobType.SHAREPOINT: JobKind(
        "site", "sites", "siteMappings", SiteOptions, NoScope, (subjects.CMD_SITE_MIGRATE,)
    ),
    JobType.ONEDRIVE: JobKind(
        "site", "sites", "siteMappings", SiteOptions, NoScope, (subjects.CMD_SITE_MIGRATE,)
    ),
    JobType.EMAIL: JobKind(
        "mailbox",
        "mailboxes",
        "mailboxMappings",
        MailboxOptions,
        EmailScope,
        (subjects.CMD_MAILBOX_MIGRATE,),
    ),
    # A team's channel files go through the SharePoint path (sp-connector).
    JobType.TEAMS: JobKind(
        "team",
        "teams",
        "teamMappings",
        TeamOptions,
        TeamsScope,
        (subjects.CMD_TEAM_MIGRATE, subjects.CMD_SITE_MIGRATE),
    ),
    # Keys keep their name at the destination (Atlassian migrates them as they are).
    JobType.JIRA: JobKind(
        "project", "projects", None, ProjectOptions, NoScope, (subjects.CMD_ATLASSIAN_MIGRATE,), True
    ),
    JobType.CONFLUENCE: JobKind(
        "space", "spaces", None, SpaceOptions, NoScope, (subjects.CMD_ATLASSIAN_MIGRATE,), True
    ),
}

# The unit command each unit kind is migrated by (the scheduler dispatches it, one per unit).
UNIT_COMMANDS: dict[str, str] = {
    "site": subjects.CMD_SITE_MIGRATE,
    "mailbox": subjects.CMD_MAILBOX_MIGRATE,
    "team": subjects.CMD_TEAM_MIGRATE,
    "project": subjects.CMD_ATLASSIAN_MIGRATE,
    "space": subjects.CMD_ATLASSIAN_MIGRATE,
}
