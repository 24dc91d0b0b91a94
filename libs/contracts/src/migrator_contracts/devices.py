"""Devices: their statuses, the command vocabulary, and each command type's payload schema
(checked by the gateway when an operator queues a command, and by device-hub, which may be
asked directly on the bus).

How a status is worked out, and how devices and commands are shown, is device-hub's: the
gateway relays device reads to it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel


class DeviceStatus(StrEnum):
    ONLINE = "ONLINE"
    MIGRATING = "MIGRATING"
    OFFLINE = "OFFLINE"


class CommandStatus(StrEnum):
    PENDING = "PENDING"  # queued; may still be cancelled
    RUNNING = "RUNNING"  # handed to the agent (phase 1 may be complete, awaiting reboot)
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELLED = "CANCELLED"


TERMINAL_COMMAND_STATUSES = frozenset({CommandStatus.DONE, CommandStatus.ERROR, CommandStatus.CANCELLED})
# What an agent may report about a command it was handed.
REPORTED_STATUSES = frozenset({CommandStatus.RUNNING, CommandStatus.DONE, CommandStatus.ERROR})


class CommandType(StrEnum):
    FULL_MIGRATION = "FULL_MIGRATION"  # leave the source, reboot, Entra join + Intune + profiles
    PROFILE_MIGRATION = "PROFILE_MIGRATION"  # remap local profiles to destination identities only
    ENTRA_JOIN = "ENTRA_JOIN"  # leave the source, reboot, join the destination (no profile work)
    ROLLBACK = "ROLLBACK"  # restore the source join and profiles of an earlier migration
    COLLECT_LOGS = "COLLECT_LOGS"  # upload the agent's logs for support


# --- payload schemas -------------------------------------------------------------------------


def _https(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("must be an https URL")
    return value


HttpsUrl = Annotated[str, Field(max_length=2048), AfterValidator(_https)]
TenantGuid = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        description="The destination Entra tenant id (a GUID)",
    ),
]


class _Payload(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class UserMapping(_Payload):
    source_user: str = Field(
        min_length=1, max_length=256, description="The local or source account: DOMAIN\\user or a UPN"
    )
    dest_upn: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=256)


class FullMigrationPayload(_Payload):
    ppkg_url: HttpsUrl = Field(description="The provisioning package that joins the destination")
    dest_tenant_id: TenantGuid
    user_mappings: list[UserMapping] = Field(default_factory=list, max_length=500)
    reboot_delay_seconds: int = Field(default=0, ge=0, le=3600)


class EntraJoinPayload(_Payload):
    ppkg_url: HttpsUrl
    dest_tenant_id: TenantGuid


class ProfileMigrationPayload(_Payload):
    dest_tenant_id: TenantGuid
    user_mappings: list[UserMapping] = Field(min_length=1, max_length=500)


class RollbackPayload(_Payload):
    command_id: str | None = Field(
        default=None, pattern=r"^cmd_[A-Za-z0-9]{1,64}$", description="The migration to roll back"
    )


class CollectLogsPayload(_Payload):
    upload_url: HttpsUrl = Field(description="Where the agent uploads its logs (e.g. a blob SAS URL)")


PAYLOAD_SCHEMAS: dict[CommandType, type[_Payload]] = {
    CommandType.FULL_MIGRATION: FullMigrationPayload,
    CommandType.PROFILE_MIGRATION: ProfileMigrationPayload,
    CommandType.ENTRA_JOIN: EntraJoinPayload,
    CommandType.ROLLBACK: RollbackPayload,
    CommandType.COLLECT_LOGS: CollectLogsPayload,
}


class PayloadError(ValueError):
    """A command type or payload that does not match its schema; the message names the field."""


def checked_payload(command_type: str, payload: Any) -> tuple[CommandType, dict[str, Any]]:
    """The command type and its payload as the agent will receive it (the fields given, in
    camelCase), or :class:`PayloadError`."""
    try:
        kind = CommandType(command_type)
    except ValueError:
        allowed = ", ".join(t.value for t in CommandType)
        raise PayloadError(f"type: must be one of {allowed}") from None
    try:
        model = PAYLOAD_SCHEMAS[kind].model_validate(payload if payload is not None else {})
    except ValidationError as exc:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(p) for p in ("payload", *error["loc"]))
            problems.append(f"{where}: {error['msg'].removeprefix('Value error, ')}")
        raise PayloadError("; ".join(problems)) from None
    return kind, model.model_dump(by_alias=True, exclude_unset=True)
