"""What each command type does, phase by phase, and how it reports; the waiting is the agent's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from migrator_device_agent.state import CommandProgress

RUNNING, DONE, ERROR = "RUNNING", "DONE", "ERROR"
FAIL_MARKERS = {1: "fail-phase1", 2: "fail-phase2"}


@dataclass(frozen=True)
class TwoPhases:
    """Phase 1, report RUNNING, reboot, phase 2, report DONE."""

    rebooting: str
    done: str


REBOOTING_COMMANDS = {
    "FULL_MIGRATION": TwoPhases(
        rebooting="Phase 1: left source directory, profiles staged; rebooting",
        done="Phase 2: Entra join and Intune enrollment completed via provisioning package",
    ),
    "ENTRA_JOIN": TwoPhases(
        rebooting="Phase 1: provisioning package downloaded, left source directory; rebooting",
        done="Phase 2: Entra join completed via provisioning package",
    ),
    "ROLLBACK": TwoPhases(
        rebooting="Rollback phase 1: left destination directory; rebooting",
        done="Rollback: source join and profiles restored",
    ),
}
ONE_PHASE_COMMANDS = {"PROFILE_MIGRATION", "COLLECT_LOGS"}


@dataclass(frozen=True)
class Report:
    status: str
    message: str


def reboots(command_type: str) -> bool:
    return command_type in REBOOTING_COMMANDS


def supported(command_type: str) -> bool:
    return command_type in REBOOTING_COMMANDS or command_type in ONE_PHASE_COMMANDS


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def marked_failure(payload: dict[str, Any]) -> int | None:
    """The phase a test asked to fail, by putting ``fail-phase1``/``fail-phase2`` in any string."""
    texts = list(_strings(payload))
    for phase, marker in FAIL_MARKERS.items():
        if any(marker in text for text in texts):
            return phase
    return None


def _failed(command: CommandProgress, phase: int) -> Report:
    why = (
        f"{FAIL_MARKERS[phase]} marker in payload"
        if marked_failure(command.payload) == phase
        else "random failure (error rate)"
    )
    return Report(ERROR, f"Phase {phase} failed: simulated {why}")


def after_phase_one(command: CommandProgress, *, agent_version: str) -> Report:
    """RUNNING when a reboot follows, else the command's final report."""
    if not supported(command.type):
        return Report(ERROR, f"Unsupported command type {command.type} (agent version {agent_version})")
    if command.fail_phase == 1:
        return _failed(command, 1)
    if command.type in REBOOTING_COMMANDS:
        return Report(RUNNING, REBOOTING_COMMANDS[command.type].rebooting)
    if command.type == "PROFILE_MIGRATION":
        mappings = command.payload.get("userMappings")
        return Report(DONE, f"Profiles remapped: {len(mappings) if isinstance(mappings, list) else 0}")
    return Report(DONE, "Logs collected and uploaded")


def after_phase_two(command: CommandProgress) -> Report:
    """The final report of a command that rebooted between its phases."""
    if command.fail_phase == 2:
        return _failed(command, 2)
    return Report(DONE, REBOOTING_COMMANDS[command.type].done)
