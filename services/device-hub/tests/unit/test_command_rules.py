"""The command queue's rules, without a store: who may act on a device, what a check-in does
about the command a device holds, which results and cancellations are taken."""

from __future__ import annotations

from typing import Any

import pytest
from migrator_contracts.devices import CommandStatus, CommandType
from migrator_contracts.readmodels import DeviceCommandDoc, DeviceDoc
from migrator_device_hub.domain.commands import HeldStep, cancel_needed, check_result, held_step, visible_to
from migrator_device_hub.domain.refusals import Refused

pytestmark = pytest.mark.unit


def command(status: CommandStatus, **fields: Any) -> DeviceCommandDoc:
    at = "2026-05-09T07:00:00Z"
    return DeviceCommandDoc(
        id="cmd_1",
        device_id="dev_1",
        org_id="org_a",
        type=CommandType.COLLECT_LOGS,
        status=status,
        created_at=at,
        updated_at=at,
        **fields,
    )


def device(org_id: str, *, deleted: bool | None = None) -> DeviceDoc:
    at = "2026-05-09T07:00:00Z"
    return DeviceDoc(
        id="dev_1",
        org_id=org_id,
        hostname="PC-1",
        ip_address="10.0.0.1",
        domain="contoso.local",
        secret_hash="0" * 64,
        created_at=at,
        last_seen_at=at,
        deleted=deleted,
    )


def test_a_device_is_visible_to_its_own_organisation_only_and_not_once_deleted() -> None:
    assert visible_to(device("org_a"), "org_a")
    assert not visible_to(device("org_a"), "org_b")
    assert not visible_to(device("org_a", deleted=True), "org_a")
    assert not visible_to(None, "org_a")


def test_while_the_agent_runs_a_command_the_next_one_waits_unless_the_same_checkin_is_retried() -> None:
    running = command(CommandStatus.RUNNING, checkin_id="chk_1")
    assert held_step(running, "chk_2") is HeldStep.WAIT
    assert held_step(running, None) is HeldStep.WAIT
    assert held_step(running, "chk_1") is HeldStep.HAND_AGAIN  # its reply was lost: hand it again
    rebooting = command(CommandStatus.RUNNING, checkin_id="chk_1", phase1_completed_at="2026-05-09T08:00:00Z")
    assert held_step(rebooting, "chk_1") is HeldStep.WAIT  # the agent has it: it reported phase 1


def test_a_claimed_command_not_yet_handed_out_is_handed_out_and_a_finished_one_frees_the_device() -> None:
    assert held_step(command(CommandStatus.PENDING), "chk_1") is HeldStep.FINISH_HANDING
    for status in (CommandStatus.DONE, CommandStatus.ERROR, CommandStatus.CANCELLED):
        assert held_step(command(status), "chk_1") is HeldStep.RELEASE
    assert held_step(None, "chk_1") is HeldStep.RELEASE  # the command is gone


def test_a_running_command_takes_phase_one_then_its_end() -> None:
    check_result(command(CommandStatus.RUNNING), CommandStatus.RUNNING)
    check_result(command(CommandStatus.RUNNING), CommandStatus.DONE)
    check_result(command(CommandStatus.RUNNING, phase1_completed_at="t"), CommandStatus.ERROR)


@pytest.mark.parametrize(
    ("held", "reported", "code"),
    [
        (command(CommandStatus.DONE), CommandStatus.DONE, "RESULT_ALREADY_RECORDED"),
        (command(CommandStatus.ERROR), CommandStatus.DONE, "RESULT_ALREADY_RECORDED"),
        (
            command(CommandStatus.RUNNING, phase1_completed_at="t"),
            CommandStatus.RUNNING,
            "RESULT_ALREADY_RECORDED",
        ),
        (command(CommandStatus.PENDING), CommandStatus.DONE, "COMMAND_NOT_RUNNING"),
        (command(CommandStatus.CANCELLED), CommandStatus.DONE, "COMMAND_NOT_RUNNING"),
    ],
)
def test_a_result_the_command_cannot_take_is_refused(
    held: DeviceCommandDoc, reported: CommandStatus, code: str
) -> None:
    with pytest.raises(Refused) as refused:
        check_result(held, reported)
    assert (refused.value.status, refused.value.code) == (409, code)


def test_only_a_pending_command_is_cancelled_and_cancelling_twice_is_no_error() -> None:
    assert cancel_needed(CommandStatus.PENDING)
    assert not cancel_needed(CommandStatus.CANCELLED)
    for status in (CommandStatus.RUNNING, CommandStatus.DONE, CommandStatus.ERROR):
        with pytest.raises(Refused) as refused:
            cancel_needed(status)
        assert (refused.value.status, refused.value.code) == (409, "COMMAND_NOT_PENDING")
    with pytest.raises(Refused, match="the agent will report its result"):
        cancel_needed(CommandStatus.RUNNING)
