"""One simulated MigratorAgent service: register, check in on a jittered interval, run what arrives."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from typing import TYPE_CHECKING, Any, Self

import httpx

from migrator_device_agent.commands import CommandRunner
from migrator_device_agent.http import ApiError, DeviceApi
from migrator_device_agent.log_format import AgentLog
from migrator_device_agent.state import load_state, save_state
from migrator_device_agent.stats import FleetStats

if TYPE_CHECKING:
    from types import TracebackType

    from migrator_device_agent.config import AgentConfig

logger = logging.getLogger(__name__)


class DeviceGone(Exception):
    """The hub no longer knows this device (404 DEVICE_NOT_FOUND) and we may not re-register."""


class Agent:
    def __init__(
        self,
        config: AgentConfig,
        *,
        client: httpx.AsyncClient | None = None,
        stats: FleetStats | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.stats = stats if stats is not None else FleetStats()
        self._own_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=config.request_timeout)
        self._api = DeviceApi(self._client, config=config, stats=self.stats)
        self._rng = rng if rng is not None else random.Random(config.seed)
        self.state = load_state(config.state_file)
        self._log = AgentLog(logger, {"hostname": config.hostname, "deviceId": self.state.device_id})
        self._commands = CommandRunner(self)

    @property
    def device_id(self) -> str | None:
        return self.state.device_id

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this agent made it (a fleet's shared client is the fleet's)."""
        if self._own_client:
            await self._client.aclose()

    def save(self) -> None:
        save_state(self.config.state_file, self.state)

    def reload(self) -> None:
        """Read the state back from disk, as the service does when Windows comes back up."""
        self.state = load_state(self.config.state_file)

    async def register(self) -> str:
        """Register this machine with the hub and keep the device id and secret; returns the id."""
        try:
            reply = await self._api.register()
        except (ApiError, httpx.TransportError):
            self.stats.registrations_failed += 1
            raise
        self.state.device_id, self.state.secret = str(reply["deviceId"]), str(reply["secret"])
        self.state.retired, self.state.checkin_id = False, None
        self.save()
        self.stats.registrations += 1
        self._log.extra = {"hostname": self.config.hostname, "deviceId": self.state.device_id}
        self._log.info("registered")
        return self.state.device_id

    async def checkin_once(self) -> list[dict[str, Any]]:
        """Check in once (retried; registering first if needed) and return the commands handed out."""
        if self.state.retired:
            raise DeviceGone(self.config.hostname)
        if not self.state.registered:
            await self.register()
        device_id, secret = self.state.device_id, self.state.secret
        assert device_id is not None and secret is not None
        checkin_id = self.state.checkin_id or uuid.uuid4().hex
        try:
            commands = await self._api.checkin(device_id=device_id, secret=secret, checkin_id=checkin_id)
        except (ApiError, httpx.TransportError) as exc:
            self.stats.checkins_failed += 1
            if isinstance(exc, ApiError) and not exc.transient:
                if exc.code == "DEVICE_NOT_FOUND":
                    await self._device_gone()
                    return []
                raise
            # The hub may have handed out a command in a reply we never saw: ask with this id again.
            if self.state.checkin_id != checkin_id:
                self.state.checkin_id = checkin_id
                self.save()
            raise
        if self.state.checkin_id is not None:
            self.state.checkin_id = None
            self.save()
        self.stats.checkins_ok += 1
        self.stats.commands_received += len(commands)
        return commands

    async def execute(self, command: dict[str, Any]) -> None:
        """Run one handed-out command to its end: phases, reboot, and the reports."""
        await self._commands.start(command)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until ``stop`` is set or the device is gone. Stopping mid-command is a power cut:
        a new Agent over the same state directory picks the command up where it stood."""
        serving = asyncio.create_task(self._serve())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({serving, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (serving, stopping):
                task.cancel()
            await asyncio.gather(serving, stopping, return_exceptions=True)
        if not serving.cancelled() and (failure := serving.exception()) is not None:
            raise failure  # a bug: every expected failure is handled inside the loop

    async def _serve(self) -> None:
        if self.state.retired:
            self._log.warning("device was deleted by the hub; not checking in")
            return
        # Back from a reboot (or a crash) with work in hand: carry on at once.
        resuming = self.state.command is not None or bool(self.state.unreported)
        if resuming or self.config.immediate_first_checkin:
            delay = 0.0
        else:
            delay = self._rng.uniform(0, self.config.checkin_interval)
        while True:
            await asyncio.sleep(delay)
            busy = False
            try:
                busy = await self._wake_up()
            except DeviceGone:
                return
            except (ApiError, httpx.TransportError) as exc:
                self._log.warning("hub unavailable; trying again next interval", extra={"reason": str(exc)})
            except Exception:
                self._log.exception("unexpected failure; trying again next interval")
            delay = 0.0 if busy else self._next_interval()

    async def _wake_up(self) -> bool:
        """Finish the command in hand, deliver results, check in and run what arrives.
        True when a command ran, so the next one queued is picked up without waiting."""
        await self._commands.resume()
        commands = await self.checkin_once()
        for command in commands:
            await self.execute(command)
        return bool(commands)

    def _next_interval(self) -> float:
        jitter = self.config.jitter
        return max(0.0, self.config.checkin_interval * (1 + self._rng.uniform(-jitter, jitter)))

    async def _device_gone(self) -> None:
        if self.config.reregister_when_deleted:
            self._log.warning("device deleted by the hub; registering again")
            self.state.device_id = self.state.secret = self.state.checkin_id = self.state.command = None
            self.state.unreported = []
            await self.register()
            return
        self._log.warning("device deleted by the hub; no more check-ins")
        self.state.retired = True
        self.save()
        raise DeviceGone(self.config.hostname)

    # The command runner's view of the agent.
    @property
    def api(self) -> DeviceApi:
        return self._api

    @property
    def rng(self) -> random.Random:
        return self._rng

    @property
    def log(self) -> AgentLog:
        return self._log
