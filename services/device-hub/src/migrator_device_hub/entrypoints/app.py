"""Request/reply responders (queue group: replicas share the load), the command consumer and
the announcement sweep. The responders are the platform's ``answer_requests``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from migrator_contracts import subjects
from migrator_contracts.base import Message
from migrator_contracts.commands import QueueDeviceCommand
from migrator_contracts.events import DeviceCommandChanged, DeviceDeleted, DeviceRegistered
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
from migrator_contracts.streams import COMMANDS
from migrator_platform.bus import BusPublisher, Send, declare_sends, event_send
from migrator_platform.consumer import Delivery, Rejected, subscribe
from migrator_platform.rpc import Body, Refused, answer_requests
from migrator_platform.service import Runtime

from migrator_device_hub.adapters.announcer import Announcer
from migrator_device_hub.adapters.device_store import Commands, Devices
from migrator_device_hub.config import DeviceHubSettings
from migrator_device_hub.handlers.checkins import Checkins
from migrator_device_hub.handlers.command_queue import CommandQueue
from migrator_device_hub.handlers.listing import Listing
from migrator_device_hub.handlers.registry import Registry
from migrator_device_hub.ports import Clock

RPC_QUEUE = "device-hub-rpc"
M = TypeVar("M", bound=Message)


# Every event device-hub publishes (see migrator_platform.bus.declare_sends).
SENDS: tuple[Send, ...] = tuple(
    event_send(subjects.device_event, e) for e in (DeviceRegistered, DeviceDeleted, DeviceCommandChanged)
)


def wire(runtime: Runtime, settings: DeviceHubSettings, clock: Clock) -> Announcer:
    """Subscribe every handler; returns the announcer the sweep runs."""
    declare_sends(runtime.broker, *SENDS)
    store = runtime.store
    announcer = Announcer(
        devices=Devices(store),
        commands=Commands(store),
        publisher=BusPublisher(runtime.broker),
        clock=clock,
    )
    registry = Registry(store, announcer, clock)
    checkins = Checkins(store, registry, announcer, clock)
    queue = CommandQueue(store, announcer, clock)
    listing = Listing(store, clock)
    workers = settings.device_rpc_workers

    def answer(
        subject: str,
        model: type[M],
        handle: Callable[[M], Awaitable[Body]],
        *,
        status: int = 200,
        busy: bool = False,
    ) -> None:
        answer_requests(
            runtime, subject, model, handle, queue=RPC_QUEUE, status=status, workers=workers if busy else 1
        )

    # Agents' requests come by the thousand a second: they get the workers.
    answer(subjects.RPC_DEVICE_CHECKIN, DeviceCheckin, checkins.checkin, busy=True)
    answer(subjects.RPC_DEVICE_RESULT, DeviceResult, checkins.result, busy=True)
    answer(subjects.RPC_DEVICE_REGISTER, RegisterDevice, registry.register, status=201, busy=True)
    answer(subjects.RPC_DEVICE_DELETE, DeleteDevice, registry.delete)
    answer(subjects.RPC_DEVICE_ENROLLMENT, SetEnrollment, registry.set_enrollment)
    answer(subjects.RPC_DEVICE_CANCEL, CancelDeviceCommand, queue.cancel)
    answer(subjects.RPC_DEVICE_COMMAND, QueueDeviceCommand, queue.queue, status=201)
    answer(subjects.RPC_DEVICE_LIST, ListDevices, listing.list)
    answer(subjects.RPC_DEVICE_GET, GetDevice, listing.get)

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
