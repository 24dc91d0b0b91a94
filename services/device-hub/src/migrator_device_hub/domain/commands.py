"""The rules of a device's command queue, without I/O: which device a caller may act on, one
command at a time per device, what a check-in does about the command the device holds, which
results and cancellations are taken.

The handlers apply each decision with a compare-and-set on the store, so two replicas deciding
at once cannot both act; these functions say what the decision is."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeGuard

from migrator_contracts.devices import TERMINAL_COMMAND_STATUSES, CommandStatus
from migrator_contracts.readmodels import DeviceCommandDoc, DeviceDoc

from migrator_device_hub.domain.refusals import Refused

COMMAND_FIELDS = {"id", "device_id", "type", "payload", "status", "result", "created_at", "updated_at"}


def command_view(command: DeviceCommandDoc) -> dict[str, Any]:
    """A command as operators see it (not its version or announcement bookkeeping)."""
    return command.model_dump(by_alias=True, mode="json", include=COMMAND_FIELDS)


def visible_to(device: DeviceDoc | None, org_id: str) -> TypeGuard[DeviceDoc]:
    """Whether the organisation may see and act on the device: its own, and not deleted."""
    return device is not None and device.org_id == org_id and not device.deleted


class HeldStep(Enum):
    """What a check-in does about the command the device holds."""

    HAND_AGAIN = "hand again"  # a retry of the check-in whose reply was lost: the same command
    WAIT = "wait"  # the agent has it; the next command waits for its result
    FINISH_HANDING = "finish handing"  # claimed by a check-in that stopped before handing it out
    RELEASE = "release"  # finished or cancelled, but the device was not released


def held_step(command: DeviceCommandDoc | None, checkin_id: str | None) -> HeldStep:
    """The step for the device's active ``command`` (None: it no longer exists)."""
    status = command.status if command is not None else None
    if command is not None and status is CommandStatus.RUNNING:
        retried = bool(checkin_id) and command.checkin_id == checkin_id
        return HeldStep.HAND_AGAIN if retried and not command.phase1_completed_at else HeldStep.WAIT
    if status is CommandStatus.PENDING:
        return HeldStep.FINISH_HANDING
    return HeldStep.RELEASE


def check_result(command: DeviceCommandDoc, reported: CommandStatus) -> None:
    """Refuse a result the command cannot take: one already recorded (a repeat, or a second
    "phase 1 done"), or one for a command that was never handed out or was cancelled."""
    status = command.status
    repeated = reported is CommandStatus.RUNNING and bool(command.phase1_completed_at)
    if status in TERMINAL_COMMAND_STATUSES - {CommandStatus.CANCELLED} or repeated:
        raise Refused(
            409,
            "RESULT_ALREADY_RECORDED",
            f"This command's result is already recorded ({status}); nothing changed",
        )
    if status is not CommandStatus.RUNNING:
        raise Refused(409, "COMMAND_NOT_RUNNING", f"The command was not handed to this device ({status})")


def cancel_needed(status: CommandStatus) -> bool:
    """Whether cancelling a command of ``status`` changes it: a PENDING one is cancelled, a
    CANCELLED one stays so (not an error); one handed to its agent runs to its end (409)."""
    if status is CommandStatus.CANCELLED:
        return False
    if status is not CommandStatus.PENDING:
        raise Refused(
            409,
            "COMMAND_NOT_PENDING",
            f"Only a PENDING command can be cancelled; this one is {status}"
            + (" and the agent will report its result" if status is CommandStatus.RUNNING else ""),
        )
    return True
