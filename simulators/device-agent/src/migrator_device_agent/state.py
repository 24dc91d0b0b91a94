"""The agent's registry: identity, the command in progress and unreported results, in one JSON file."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

# Where a command stands; an agent restarted in PHASE1 or PHASE2 runs that phase again.
PHASE1, REBOOTING, PHASE2 = "phase1", "rebooting", "phase2"


@dataclass
class CommandProgress:
    id: str
    type: str
    payload: dict[str, Any]
    phase: str = PHASE1
    # Decided when the command arrives (payload marker or error rate), so a restart keeps it.
    fail_phase: int | None = None


@dataclass
class UnreportedResult:
    command_id: str
    status: str
    result: str


@dataclass
class AgentState:
    device_id: str | None = None
    secret: str | None = None
    # The hub deleted this device and we may not re-register: never check in again.
    retired: bool = False
    # A check-in whose reply never arrived: sent again with this id until one does, so the hub
    # replays the commands it handed out instead of holding them as running forever.
    checkin_id: str | None = None
    command: CommandProgress | None = None
    # Results in the order they must reach the hub (RUNNING before DONE).
    unreported: list[UnreportedResult] = field(default_factory=list)

    @property
    def registered(self) -> bool:
        return self.device_id is not None and self.secret is not None


def load_state(path: Path) -> AgentState:
    """The saved state, or a fresh one for an agent that has never run."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return AgentState()
    command = raw.get("command")
    return AgentState(
        device_id=raw.get("deviceId"),
        secret=raw.get("secret"),
        retired=bool(raw.get("retired", False)),
        checkin_id=raw.get("checkinId"),
        command=CommandProgress(
            id=command["id"],
            type=command["type"],
            payload=command.get("payload") or {},
            phase=command["phase"],
            fail_phase=command.get("failPhase"),
        )
        if command
        else None,
        unreported=[
            UnreportedResult(command_id=r["commandId"], status=r["status"], result=r["result"])
            for r in raw.get("unreported", ())
        ],
    )


def save_state(path: Path, state: AgentState) -> None:
    """Replace the file in one step, so a kill mid-write leaves the old state or the new, never half."""
    command = state.command
    raw = {
        "deviceId": state.device_id,
        "secret": state.secret,
        "retired": state.retired,
        "checkinId": state.checkin_id,
        "command": {
            "id": command.id,
            "type": command.type,
            "payload": command.payload,
            "phase": command.phase,
            "failPhase": command.fail_phase,
        }
        if command
        else None,
        "unreported": [
            {"commandId": r.command_id, "status": r.status, "result": r.result} for r in state.unreported
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(raw, indent=2), encoding="utf-8")
    os.replace(temp, path)
