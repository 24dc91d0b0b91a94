"""Request/reply responders (queue group: replicas share the load), the command consumer and
the announcement sweep. The responders are plain nats-py subscriptions (``Responder``): agents'
check-ins arrive by the thousand a second, and FastStream's pipeline would cost more than the
check-in itself."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from migrator_contracts import readmodels, subjects
from migrator_contracts.base import Message
from migrator_contracts.commands import QueueDeviceCommand
from migrator_contracts.rpc import (
    CancelDeviceCommand,
    DeleteDevice,
    DeviceCheckin,
    DeviceResult,
    ListDevices,
    RegisterDevice,
    SetEnrollment,
)
from migrator_contracts.streams import COMMANDS
from migrator_platform.bus import BusPublisher
from migrator_platform.consumer import Delivery, Rejected, subscribe
from migrator_platform.readstore import STORE_UNAVAILABLE_ERRORS
from migrator_platform.responder import Responder
from migrator_platform.service import Runtime
from migrator_platform.structured_logs import get_logger
from pydantic import ValidationError

from migrator_device_hub.adapters.announcer import Announcer
from migrator_device_hub.config import DeviceHubSettings
from migrator_device_hub.domain.refusals import Refused
from migrator_device_hub.handlers.checkins import Checkins
from migrator_device_hub.handlers.command_queue import CommandQueue
from migrator_device_hub.handlers.listing import list_devices
from migrator_device_hub.handlers.registry import Registry
from migrator_device_hub.ports import Clock
from migrator_device_hub.replies import answer, refusal

log = get_logger(__name__)

M = TypeVar("M", bound=Message)
RPC_QUEUE = "device-hub-rpc"


def _describe(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors()[:5]:
        where = ".".join(str(p) for p in error["loc"])
        problems.append(f"{where}: {error['msg']}" if where else error["msg"])
    return "; ".join(problems)


def _answer_requests(
    runtime: Runtime,
    subject: str,
    model: type[M],
    handle: Callable[[M], Awaitable[dict[str, Any]]],
    *,
    status: int = 200,
    workers: int = 1,
) -> None:
    """Answer ``subject`` with a DeviceReply: the body and ``status``, or the refusal."""

    async def answer_one(data: bytes) -> bytes:
        try:
            request = model.model_validate_json(data)
        except ValidationError as exc:
            return refusal(Refused(400, "VALIDATION_ERROR", _describe(exc)))
        try:
            return answer(await handle(request), status)
        except Refused as exc:
            return refusal(exc)
        except STORE_UNAVAILABLE_ERRORS as exc:
            log.warning("request failed: database unavailable", subject=subject, error=repr(exc)[:300])
            return refusal(Refused(503, "SERVICE_UNAVAILABLE", "The database is unavailable; retry shortly"))
        except Exception:
            log.exception("request failed", subject=subject)
            return refusal(Refused(500, "INTERNAL_ERROR", "An unexpected error occurred"))

    runtime.responders.append(Responder(subject, answer_one, queue=RPC_QUEUE, workers=workers))


def wire(runtime: Runtime, settings: DeviceHubSettings, clock: Clock) -> Announcer:
    """Subscribe every handler; returns the announcer the sweep runs."""
    store = runtime.store
    announcer = Announcer(
        devices=store.collection(readmodels.DEVICES),
        commands=store.collection(readmodels.DEVICE_COMMANDS),
        publisher=BusPublisher(runtime.broker),
        clock=clock,
    )
    registry = Registry(store, announcer, clock)
    checkins = Checkins(store, registry, announcer, clock)
    queue = CommandQueue(store, announcer, clock)
    workers = settings.device_rpc_workers

    async def list_handler(request: ListDevices) -> dict[str, Any]:
        return await list_devices(store, request, clock)

    _answer_requests(runtime, subjects.RPC_DEVICE_CHECKIN, DeviceCheckin, checkins.checkin, workers=workers)
    _answer_requests(runtime, subjects.RPC_DEVICE_RESULT, DeviceResult, checkins.result, workers=workers)
    _answer_requests(
        runtime, subjects.RPC_DEVICE_REGISTER, RegisterDevice, registry.register, status=201, workers=workers
    )
    _answer_requests(runtime, subjects.RPC_DEVICE_DELETE, DeleteDevice, registry.delete)
    _answer_requests(runtime, subjects.RPC_DEVICE_ENROLLMENT, SetEnrollment, registry.set_enrollment)
    _answer_requests(runtime, subjects.RPC_DEVICE_CANCEL, CancelDeviceCommand, queue.cancel)
    _answer_requests(runtime, subjects.RPC_DEVICE_COMMAND, QueueDeviceCommand, queue.queue, status=201)
    _answer_requests(runtime, subjects.RPC_DEVICE_LIST, ListDevices, list_handler)

    async def on_queue(command: QueueDeviceCommand, delivery: Delivery) -> None:
        try:
            await queue.queue(command, derived_id=f"cmd_S{delivery.stream_seq:016d}")
        except Refused as exc:  # definitive: retrying cannot make it acceptable
            raise Rejected(f"{exc.code}: {exc.message}") from exc

    subscribe(
        runtime.broker,
        subject=subjects.CMD_DEVICE_COMMAND,
        stream=COMMANDS,
        durable="device-hub-queue-command",
        model=QueueDeviceCommand,
        handler=on_queue,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
    return announcer
