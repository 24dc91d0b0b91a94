"""Many simulated agents in one asyncio process, sharing one connection pool and one stats object."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import replace
from typing import TYPE_CHECKING, Self

import httpx

from migrator_device_agent.agent import Agent
from migrator_device_agent.stats import FleetStats

if TYPE_CHECKING:
    from types import TracebackType

    from migrator_device_agent.config import AgentConfig

FIRST_IP = ipaddress.IPv4Address("10.64.0.0")
MAX_POOL = 256


def hostname_for(index: int) -> str:
    return f"DESKTOP-{index:05d}"


def ip_address_for(index: int) -> str:
    """A distinct private address per agent (10.64.0.1, 10.64.0.2, …)."""
    return str(FIRST_IP + index)


class Fleet:
    def __init__(
        self,
        config: AgentConfig,
        count: int,
        *,
        client: httpx.AsyncClient | None = None,
        first_index: int = 1,
        max_connections: int | None = None,
    ) -> None:
        self.stats = FleetStats()
        self._own_client = client is None
        pool = max_connections or min(max(count, 1), MAX_POOL)
        self._pool = pool
        # Waiting for a free connection is our queue, not the hub's slowness: no pool timeout.
        self._client = client or httpx.AsyncClient(
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
            timeout=httpx.Timeout(config.request_timeout, pool=None),
        )
        self.agents = [
            Agent(
                replace(
                    config,
                    hostname=hostname_for(index),
                    ip_address=ip_address_for(index),
                    seed=None if config.seed is None else config.seed + index,
                ),
                client=self._client,
                stats=self.stats,
            )
            for index in range(first_index, first_index + count)
        ]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own_client:
            await self._client.aclose()

    async def register_all(self) -> None:
        """Register every agent not yet registered, as many at once as the pool allows."""
        gate = asyncio.Semaphore(self._pool)

        async def register(agent: Agent) -> None:
            async with gate:
                await agent.register()

        await asyncio.gather(*(register(a) for a in self.agents if not a.state.registered))

    async def run(self, stop: asyncio.Event) -> None:
        """Run every agent until ``stop`` is set (or each one's device is gone)."""
        await asyncio.gather(*(agent.run(stop) for agent in self.agents))
