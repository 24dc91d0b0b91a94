"""Carries a command through its phases and the reboot, and delivers results in order, all
through the state file so that a restart at any point picks up where the agent stood."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from migrator_device_agent.http import ApiError
from migrator_device_agent.phases import (
    RUNNING,
    Report,
    after_phase_one,
    after_phase_two,
    marked_failure,
    reboots,
    supported,
)
from migrator_device_agent.state import PHASE1, PHASE2, REBOOTING, CommandProgress, UnreportedResult

if TYPE_CHECKING:
    from migrator_device_agent.agent import Agent

ALREADY_RECORDED = "RESULT_ALREADY_RECORDED"


class CommandRunner:
    def __init__(self, agent: Agent) -> None:
        self._agent = agent

    async def start(self, command: dict[str, Any]) -> None:
        """Take a handed-out command on and run it to its end."""
        agent = self._agent
        payload = command.get("payload")
        progress = CommandProgress(
            id=str(command["id"]),
            type=str(command.get("type")),
            payload=payload if isinstance(payload, dict) else {},
        )
        progress.fail_phase = self._failing_phase(progress)
        agent.state.command = progress
        agent.save()
        agent.log.info("command received", extra={"commandId": progress.id, "type": progress.type})
        await self._advance()

    async def resume(self) -> None:
        """Deliver what is unreported, then finish the command in hand, if any."""
        await self.deliver()
        await self._advance()

    async def deliver(self) -> bool:
        """Send unreported results oldest first; False when the hub cannot take them yet."""
        agent = self._agent
        state = agent.state
        while state.unreported and state.device_id and state.secret:
            result = state.unreported[0]
            try:
                await agent.api.report(device_id=state.device_id, secret=state.secret, result=result)
            except (ApiError, httpx.TransportError) as exc:
                if not isinstance(exc, ApiError) or exc.transient:
                    agent.log.warning("result not delivered yet", extra={"commandId": result.command_id})
                    return False
                if exc.code != ALREADY_RECORDED:  # a retry whose first reply was lost is a success
                    self._drop(result.command_id, exc)
                    continue
            state.unreported.pop(0)
            agent.save()
            agent.stats.results_reported += 1
            if result.status == "DONE":
                agent.stats.commands_done += 1
            elif result.status == "ERROR":
                agent.stats.commands_error += 1
            agent.log.info("result reported", extra={"commandId": result.command_id, "status": result.status})
        return not state.unreported

    async def _advance(self) -> None:
        agent = self._agent
        while (command := agent.state.command) is not None:
            if command.phase == REBOOTING:
                # Seen only once Windows is back up (or the service restarted): phase 2 is next.
                command.phase = PHASE2
                agent.save()
                agent.log.info("back from reboot", extra={"commandId": command.id})
                continue
            if command.phase == PHASE1:
                if supported(command.type):
                    await asyncio.sleep(agent.config.phase_seconds)
                report = after_phase_one(command, agent_version=agent.config.agent_version)
            else:
                await asyncio.sleep(agent.config.phase_seconds)
                report = after_phase_two(command)
            if report.status == RUNNING:
                command.phase = REBOOTING
            else:
                agent.state.command = None
            self._queue(command.id, report)
            await self.deliver()
            # The hub may have refused the RUNNING report (cancelled): then there is nothing to reboot for.
            if agent.state.command is not None and agent.state.command.phase == REBOOTING:
                await self._reboot()

    async def _reboot(self) -> None:
        agent = self._agent
        agent.log.info("rebooting", extra={"seconds": agent.config.reboot_seconds})
        await asyncio.sleep(agent.config.reboot_seconds)
        agent.reload()

    def _queue(self, command_id: str, report: Report) -> None:
        """Keep the result in the state file before sending it, so it survives a restart."""
        self._agent.state.unreported.append(
            UnreportedResult(command_id=command_id, status=report.status, result=report.message)
        )
        self._agent.save()

    def _drop(self, command_id: str, refusal: ApiError) -> None:
        """The hub refused a result for good (cancelled, unknown): forget the command and its results."""
        agent = self._agent
        state = agent.state
        state.unreported = [r for r in state.unreported if r.command_id != command_id]
        if state.command is not None and state.command.id == command_id:
            state.command = None
        agent.save()
        agent.stats.commands_dropped += 1
        agent.log.warning(
            "result refused; command dropped",
            extra={"commandId": command_id, "code": refusal.code, "status": refusal.status},
        )

    def _failing_phase(self, command: CommandProgress) -> int | None:
        """The phase this command will fail in: a payload marker first, else the agent's error rate."""
        two_phases = reboots(command.type)
        marked = marked_failure(command.payload)
        if marked is not None:
            return marked if marked == 1 or two_phases else None
        rate = self._agent.config.error_rate
        if rate > 0 and self._agent.rng.random() < rate:
            return self._agent.rng.choice((1, 2)) if two_phases else 1
        return None
