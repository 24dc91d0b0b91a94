"""Devices: the command vocabulary and payload schemas, the status rule, and the API's views.

device-hub writes devices and their commands; the gateway reads them. Both apply the same
status rule and the same views here, so ``GET /v1/devices`` and ``nats req
migrator.rpc.devices.list`` answer alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from migrator_contracts.base import iso


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


ONLINE_WINDOW = timedelta(minutes=10)


def device_status(last_seen_at: str | None, active_command_id: str | None, now: datetime) -> DeviceStatus:
    """MIGRATING while a command is in progress (even through the reboot between its phases),
    ONLINE if seen within the last 10 minutes, otherwise OFFLINE."""
    if active_command_id:
        return DeviceStatus.MIGRATING
    if last_seen_at is not None and last_seen_at >= online_since(now):
        return DeviceStatus.ONLINE
    return DeviceStatus.OFFLINE


def online_since(now: datetime) -> str:
    """The oldest ``lastSeenAt`` that still counts as ONLINE (timestamps compare as strings)."""
    return iso(now - ONLINE_WINDOW)


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


# --- views -----------------------------------------------------------------------------------

DEVICE_FIELDS = ("id", "hostname", "ipAddress", "domain", "lastSeenAt", "agentVersion", "createdAt")
COMMAND_FIELDS = ("id", "deviceId", "type", "payload", "status", "result", "createdAt", "updatedAt")


def device_query(
    org_id: str, status: DeviceStatus | None, now: datetime, after: str | None = None
) -> dict[str, Any]:
    """The store filter for an organisation's devices, optionally in one computed status, and
    after the cursor ``after`` (listings page by id, in registration order)."""
    where: dict[str, Any] = {"orgId": org_id, "deleted": None}
    if after:
        where["_id"] = {"$gt": after}
    if status is DeviceStatus.MIGRATING:
        where["activeCommandId"] = {"$gt": ""}
    elif status is DeviceStatus.ONLINE:
        where |= {"activeCommandId": None, "lastSeenAt": {"$gte": online_since(now)}}
    elif status is DeviceStatus.OFFLINE:
        where |= {"activeCommandId": None, "lastSeenAt": {"$lt": online_since(now)}}
    return where


def device_view(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A device as the API shows it: never its secret's hash, always its computed status."""
    view = {f: doc.get(f) for f in DEVICE_FIELDS}
    view["status"] = device_status(doc.get("lastSeenAt"), doc.get("activeCommandId"), now).value
    return view


def command_view(doc: dict[str, Any]) -> dict[str, Any]:
    return {f: doc.get(f) for f in COMMAND_FIELDS}


def page_of(docs: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """The first ``limit`` of ``limit + 1`` documents read, and the cursor after them (their
    last ``_id``) if there are more: listings are keyset-paged on ids."""
    page = docs[:limit]
    return page, (page[-1]["_id"] if len(docs) > limit and page else None)


def device_page(docs: list[dict[str, Any]], limit: int, now: datetime) -> dict[str, Any]:
    """A page of a device listing, as the API and the bus answer it."""
    page, cursor = page_of(docs, limit)
    return {
        "devices": [device_view(d, now) for d in page],
        "nextCursor": cursor,
        "hasMore": cursor is not None,
    }
