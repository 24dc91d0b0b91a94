"""Devices: what agents call (register, check in, report a result; authenticated by the device
secret, answered by device-hub over request/reply) and what operators call with an API key
(list, delete, queue and cancel commands, the command history, the enrolment rule)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from migrator_contracts import ids, readmodels, subjects
from migrator_contracts.base import Message, iso, utcnow
from migrator_contracts.commands import QueueDeviceCommand
from migrator_contracts.devices import CommandStatus, CommandType, DeviceStatus, PayloadError, checked_payload
from migrator_contracts.rpc import (
    CancelDeviceCommand,
    DeleteDevice,
    DeviceCheckin,
    DeviceResult,
    GetDevice,
    ListDevices,
    RegisterDevice,
    SetEnrollment,
)
from migrator_platform.bus import publish
from migrator_platform.ids import new_id
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.responses import Response

from migrator_gateway.api import schemas
from migrator_gateway.api.deps import BusDep, Caller, CallerDep, SettingsDep
from migrator_gateway.api.device_limits import spend_for_device, spend_for_org
from migrator_gateway.api.errors import ApiError
from migrator_gateway.api.polling import poll_for
from migrator_gateway.api.rpc import R, ask
from migrator_gateway.api.views import shaped

router = APIRouter(prefix="/v1/devices", tags=["devices"], responses=schemas.COMMON_ERRORS)

MAX_PAGE = 1000
DEVICE_ID = r"^dev_[A-Za-z0-9]{1,64}$"


# Agent-facing bodies ignore fields they do not know, so a newer agent still talks to us.
class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    orgId: str = Field(min_length=1, max_length=64)
    hostname: str = Field(min_length=1, max_length=255)
    ipAddress: str = Field(min_length=2, max_length=64)
    domain: str = Field(min_length=1, max_length=253)
    agentVersion: str | None = Field(default=None, max_length=64)
    enrollmentToken: str | None = Field(
        default=None, max_length=256, description="Required when the organisation requires enrolment tokens"
    )


class CheckinBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    deviceId: str = Field(min_length=1, max_length=80)
    secret: str = Field(min_length=1, max_length=256)
    agentVersion: str | None = Field(default=None, max_length=64)
    checkinId: str | None = Field(
        default=None,
        max_length=64,
        description="The same on every retry of one check-in: a retry whose first reply was lost "
        "receives the same commands again (each command is handed out once)",
    )


class ResultBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    deviceId: str = Field(min_length=1, max_length=80)
    secret: str = Field(min_length=1, max_length=256)
    commandId: str = Field(min_length=1, max_length=80)
    status: CommandStatus = Field(description="RUNNING (phase 1 complete, awaiting reboot), DONE or ERROR")
    result: str = Field(default="", max_length=4000)


class QueueCommandBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: CommandType
    payload: dict[str, Any] = Field(default_factory=dict, description="The type's payload (see README)")


class EnrollmentBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    required: StrictBool  # not 0 or "yes": a body that is not the schema is refused


async def _ask_hub(caller: Caller, subject: str, request: Message, response: Response, reply: type[R]) -> R:
    """An operator's request to device-hub, answered as it answers."""
    wait = caller.settings.rpc_timeout_seconds
    return await ask(caller.broker, subject, request, reply, wait_seconds=wait, response=response)


AGENT_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": schemas.ErrorBody,
        "description": "The organisation's device budget is spent (RATE_LIMITED)",
    }
}


@router.post("/register", status_code=201, responses=AGENT_LIMITED)
async def register(
    body: RegisterBody, http: Request, response: Response, broker: BusDep, settings: SettingsDep
) -> schemas.DeviceRegistration:
    """Called by the agent's installer: the device joins the organisation. The secret is shown once."""
    await spend_for_org(http, body.orgId)
    request = RegisterDevice(
        org_id=body.orgId,
        hostname=body.hostname,
        ip_address=body.ipAddress,
        domain=body.domain,
        agent_version=body.agentVersion,
        enrollment_token=body.enrollmentToken,
    )
    wait = settings.rpc_timeout_seconds
    reply = schemas.DeviceRegistration
    return await ask(
        broker, subjects.RPC_DEVICE_REGISTER, request, reply, wait_seconds=wait, response=response
    )


@router.post("/checkin", responses={401: {"model": schemas.ErrorBody}, **AGENT_LIMITED})
async def checkin(
    body: CheckinBody, http: Request, response: Response, broker: BusDep, settings: SettingsDep
) -> schemas.CheckinReply:
    """Called by the agent every 3 minutes: records it as seen, returns its next command."""
    await spend_for_device(http, body.deviceId)
    request = DeviceCheckin(
        device_id=body.deviceId,
        secret=body.secret,
        agent_version=body.agentVersion,
        checkin_id=body.checkinId,
    )
    wait = settings.rpc_timeout_seconds
    reply = schemas.CheckinReply
    return await ask(
        broker, subjects.RPC_DEVICE_CHECKIN, request, reply, wait_seconds=wait, response=response
    )


@router.post(
    "/result",
    responses={
        401: {"model": schemas.ErrorBody},
        409: {"model": schemas.ErrorBody, "description": "Already reported, or not handed to this device"},
        **AGENT_LIMITED,
    },
)
async def result(
    body: ResultBody, http: Request, response: Response, broker: BusDep, settings: SettingsDep
) -> schemas.Ok:
    """Called by the agent after a phase: RUNNING (awaiting reboot), DONE or ERROR."""
    await spend_for_device(http, body.deviceId)
    request = DeviceResult(
        device_id=body.deviceId,
        secret=body.secret,
        command_id=body.commandId,
        status=body.status.value,
        result=body.result,
    )
    wait = settings.rpc_timeout_seconds
    return await ask(
        broker, subjects.RPC_DEVICE_RESULT, request, schemas.Ok, wait_seconds=wait, response=response
    )


@router.post("/enrollment-token")
async def require_enrollment(caller: CallerDep, response: Response) -> schemas.Enrollment:
    """From now on, registering needs this token (``enrollmentToken``); a new call replaces it."""
    request = SetEnrollment(org_id=caller.org_id, required=True)
    return await _ask_hub(caller, subjects.RPC_DEVICE_ENROLLMENT, request, response, schemas.Enrollment)


@router.delete("/enrollment-token")
async def drop_enrollment(caller: CallerDep, response: Response) -> schemas.Enrollment:
    """Registering no longer needs a token (the default)."""
    request = SetEnrollment(org_id=caller.org_id, required=False)
    return await _ask_hub(caller, subjects.RPC_DEVICE_ENROLLMENT, request, response, schemas.Enrollment)


@router.get("")
async def list_devices(
    caller: CallerDep,
    status: DeviceStatus | None = None,
    limit: int = Query(500, ge=1, le=MAX_PAGE),
    cursor: str | None = None,
    *,
    response: Response,
) -> schemas.DevicePage:
    """The organisation's devices in registration order, with their computed status; a page at a
    time for large fleets (``nextCursor``)."""
    request = ListDevices(org_id=caller.org_id, status=status, limit=limit, cursor=cursor)
    return await _ask_hub(caller, subjects.RPC_DEVICE_LIST, request, response, schemas.DevicePage)


async def _device_of_org(caller: Caller, device_id: str) -> None:
    doc = await caller.store.collection(readmodels.DEVICES).get(device_id)
    device = readmodels.DeviceDoc.model_validate(doc) if doc is not None else None
    if device is None or device.org_id != caller.org_id or device.deleted:
        raise ApiError(404, "DEVICE_NOT_FOUND", "Device not found")


@router.get("/{device_id}")
async def get_device(device_id: str, caller: CallerDep, response: Response) -> schemas.DeviceEnvelope:
    """The device with its computed status (worked out by device-hub, whose rule it is)."""
    request = GetDevice(org_id=caller.org_id, device_id=device_id)
    return await _ask_hub(caller, subjects.RPC_DEVICE_GET, request, response, schemas.DeviceEnvelope)


@router.delete("/{device_id}")
async def delete_device(device_id: str, caller: CallerDep, response: Response) -> schemas.Deleted:
    """The registration and its commands are removed; the agent's check-ins get 404 from now on."""
    request = DeleteDevice(org_id=caller.org_id, device_id=device_id)
    return await _ask_hub(caller, subjects.RPC_DEVICE_DELETE, request, response, schemas.Deleted)


@router.post("/{device_id}/commands", status_code=201)
async def queue_command(
    device_id: str, body: QueueCommandBody, caller: CallerDep
) -> schemas.DeviceCommandEnvelope:
    """Queued PENDING; the agent picks it up at its next check-in once the command before it ends."""
    try:
        kind, payload = checked_payload(body.type.value, body.payload)
    except PayloadError as exc:
        raise ApiError(400, "VALIDATION_ERROR", str(exc)) from None
    await _device_of_org(caller, device_id)
    command_id = new_id(ids.DEVICE_COMMAND)
    command = QueueDeviceCommand(
        org_id=caller.org_id, device_id=device_id, type=kind.value, payload=payload, command_id=command_id
    )
    # Durable: once JetStream has it, it is queued even if device-hub is restarting right now.
    await publish(caller.broker, subjects.CMD_DEVICE_COMMAND, command, msg_id=command_id)
    commands = caller.store.collection(readmodels.DEVICE_COMMANDS)
    doc = await poll_for(lambda: commands.get(command_id), caller.settings.rpc_timeout_seconds)
    if doc is not None:
        queued = readmodels.DeviceCommandDoc.model_validate(doc)
    else:  # not yet applied: answer with what device-hub will record
        created = iso(utcnow())
        queued = readmodels.DeviceCommandDoc(
            id=command_id,
            device_id=device_id,
            org_id=caller.org_id,
            type=kind,
            payload=payload,
            status=CommandStatus.PENDING,
            created_at=created,
            updated_at=created,
        )
    return schemas.DeviceCommandEnvelope(command=shaped(schemas.DeviceCommand, queued.to_doc()))


@router.get("/{device_id}/commands")
async def list_commands(
    device_id: str,
    caller: CallerDep,
    status: CommandStatus | None = None,
    limit: int = Query(100, ge=1, le=MAX_PAGE),
    cursor: str | None = None,
) -> schemas.DeviceCommandPage:
    """The device's command history, newest first."""
    await _device_of_org(caller, device_id)
    where: dict[str, Any] = {"deviceId": device_id}
    if status is not None:
        where["status"] = status.value
    if cursor:
        where["_id"] = {"$lt": cursor}  # ids are time-ordered: newest first is descending ids
    docs = await caller.store.collection(readmodels.DEVICE_COMMANDS).find(
        where, sort=[("_id", -1)], limit=limit + 1
    )
    page = [readmodels.DeviceCommandDoc.model_validate(d) for d in docs[:limit]]
    cursor = page[-1].id if len(docs) > limit and page else None
    commands = [shaped(schemas.DeviceCommand, c.to_doc()) for c in page]
    return schemas.DeviceCommandPage(commands=commands, nextCursor=cursor, hasMore=cursor is not None)


@router.patch(
    "/{device_id}/commands/{command_id}/cancel",
    responses={
        409: {"model": schemas.ErrorBody, "description": "Not PENDING (COMMAND_NOT_PENDING)"},
    },
)
async def cancel_command(
    device_id: str, command_id: str, caller: CallerDep, response: Response
) -> schemas.StatusResult:
    """Only while PENDING: a command the agent has picked up runs to its end and reports."""
    request = CancelDeviceCommand(org_id=caller.org_id, device_id=device_id, command_id=command_id)
    return await _ask_hub(caller, subjects.RPC_DEVICE_CANCEL, request, response, schemas.StatusResult)
