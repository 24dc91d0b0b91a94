"""What each job type accepts and how it runs: its option keys, its scope, its units, its connector.

The one table the gateway (to validate a request) and the scheduler (to validate a bus command
and split a job into units) both read. Options and scope are pydantic models that forbid
unknown keys and accept only the declared types, so ``"site"`` for ``"sites"``, a string where
a list belongs or ``"yes"`` for a boolean is refused, never silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StrictBool,
    StrictStr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from migrator_contracts import subjects
from migrator_contracts.atlassian_checks import refused_overrides
from migrator_contracts.enums import JobType

Name = StrictStr
# A selection: left out, everything discovered; given, at least one item (an empty list is a
# mistake to refuse, not a request for everything).
Selection = Annotated[list[Name], Field(min_length=1)] | None


class _Strict(BaseModel):
    """camelCase keys as on the wire; an unknown key is an error."""

    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


class UnitMapping(_Strict):
    """``{"source": …, "dest": …}``: where one selected item (or user) goes at the destination."""

    source: Name = Field(min_length=1)
    dest: Name = Field(min_length=1)


def site_key(url: str) -> str:
    """A site URL as SharePoint compares it: the scheme's and host's case and a trailing slash
    do not count."""
    scheme, sep, rest = url.strip().partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}{sep}{host.lower()}{slash}{path}".rstrip("/")


def _distinct(names: list[str] | None, key: Callable[[str], str]) -> list[str] | None:
    """A selection names each item once, and names it (no empty string)."""
    seen: set[str] = set()
    for index, name in enumerate(names or []):
        if not name.strip():
            raise ValueError(f"item {index} is empty")
        if key(name) in seen:
            raise ValueError(f"{name!r} is listed twice")
        seen.add(key(name))
    return names


def _mapped_once(
    mappings: list[UnitMapping], info: ValidationInfo, selection: str | None, key: Callable[[str], str]
) -> list[UnitMapping]:
    """No source is mapped twice; with ``selection`` (a field validated before), each source is
    one of its items (when the selection is given: the default, everything, is not known here)."""
    selected = {key(name) for name in info.data.get(selection) or []} if selection else set()
    seen: set[str] = set()
    for mapping in mappings:
        if key(mapping.source) in seen:
            raise ValueError(f"{mapping.source!r} is mapped twice")
        seen.add(key(mapping.source))
        if selected and key(mapping.source) not in selected:
            raise ValueError(f"{mapping.source!r} is not one of the selected {selection}")
    return mappings


_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


class JobOptions(_Strict):
    """Options common to every type: none yet. Each type's model names its selection."""


class SiteOptions(JobOptions):
    """SHAREPOINT and ONEDRIVE: sites by URL."""

    sites: Selection = None
    site_mappings: list[UnitMapping] = []
    full_pass: StrictBool = False
    include_versions: StrictBool = False
    include_permissions: StrictBool = False
    user_mappings: list[UnitMapping] = []

    @field_validator("sites")
    @classmethod
    def _https_urls(cls, sites: list[str] | None) -> list[str] | None:
        for site in sites or []:
            try:
                url = _URL.validate_python(site)
            except ValueError:
                raise ValueError(f"{site!r} is not a URL") from None
            if url.scheme != "https":
                raise ValueError(f"{site!r} must be an https URL")
        return _distinct(sites, site_key)

    @field_validator("site_mappings")
    @classmethod
    def _sites_mapped_once(cls, mappings: list[UnitMapping], info: ValidationInfo) -> list[UnitMapping]:
        return _mapped_once(mappings, info, "sites", site_key)

    @field_validator("user_mappings")
    @classmethod
    def _users_mapped_once(cls, mappings: list[UnitMapping], info: ValidationInfo) -> list[UnitMapping]:
        return _mapped_once(mappings, info, None, str.casefold)


class MailboxOptions(JobOptions):
    """EMAIL: mailboxes by user principal name."""

    mailboxes: Selection = None
    mailbox_mappings: list[UnitMapping] = []

    @field_validator("mailboxes")
    @classmethod
    def _mailboxes_once(cls, mailboxes: list[str] | None) -> list[str] | None:
        return _distinct(mailboxes, str.casefold)

    @field_validator("mailbox_mappings")
    @classmethod
    def _mailboxes_mapped_once(cls, mappings: list[UnitMapping], info: ValidationInfo) -> list[UnitMapping]:
        return _mapped_once(mappings, info, "mailboxes", str.casefold)


class TeamOptions(JobOptions):
    """TEAMS: teams by id; message authors mapped by ``userMappings`` (UPNs), else to the user of
    the same name at the destination, else to ``fallbackUser`` (a destination UPN)."""

    teams: Selection = None
    team_mappings: list[UnitMapping] = []
    user_mappings: list[UnitMapping] = []
    fallback_user: Name | None = None

    @field_validator("teams")
    @classmethod
    def _teams_once(cls, teams: list[str] | None) -> list[str] | None:
        return _distinct(teams, str.casefold)

    @field_validator("team_mappings")
    @classmethod
    def _teams_mapped_once(cls, mappings: list[UnitMapping], info: ValidationInfo) -> list[UnitMapping]:
        return _mapped_once(mappings, info, "teams", str.casefold)

    @field_validator("user_mappings")
    @classmethod
    def _users_mapped_once(cls, mappings: list[UnitMapping], info: ValidationInfo) -> list[UnitMapping]:
        return _mapped_once(mappings, info, None, str.casefold)


def _overridable_checks(names: list[str], job_type: JobType) -> list[str]:
    """Each check once, and none Atlassian never lets a migration override."""
    _distinct(names, str)
    if refused := refused_overrides(job_type, names):
        listed = ", ".join(refused)
        raise ValueError(f"{listed} cannot be overridden: Atlassian never lets a migration skip it")
    return names


class ProjectOptions(JobOptions):
    """JIRA: projects by key."""

    projects: Selection = None
    override_checks: list[Name] = []

    @field_validator("projects")
    @classmethod
    def _keys_once(cls, keys: list[str] | None) -> list[str] | None:
        return _distinct(keys, str)

    @field_validator("override_checks")
    @classmethod
    def _overridable(cls, names: list[str]) -> list[str]:
        return _overridable_checks(names, JobType.JIRA)


class SpaceOptions(JobOptions):
    """CONFLUENCE: spaces by key."""

    spaces: Selection = None
    override_checks: list[Name] = []

    @field_validator("spaces")
    @classmethod
    def _keys_once(cls, keys: list[str] | None) -> list[str] | None:
        return _distinct(keys, str)

    @field_validator("override_checks")
    @classmethod
    def _overridable(cls, names: list[str]) -> list[str]:
        return _overridable_checks(names, JobType.CONFLUENCE)


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
    # Commands needed only when a scope key is on (a team's channel files: the SharePoint path).
    scope_commands: tuple[tuple[str, str], ...] = ()

    def commands_for(self, scope: dict[str, Any]) -> tuple[str, ...]:
        """The command subjects a job of this kind with this (normalised) scope needs consumed."""
        return self.commands + tuple(subject for key, subject in self.scope_commands if scope.get(key, True))


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
        (subjects.CMD_TEAM_MIGRATE,),
        scope_commands=(("files", subjects.CMD_SITE_MIGRATE),),
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
