"""The per-organisation limit holds across replicas sharing one NATS, and never crosses organisations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import nats
import pytest
from migrator_devstack import infra
from migrator_gateway.rate_limit import RateLimiter
from nats.aio.client import Client

pytestmark = pytest.mark.integration


@pytest.fixture
async def replicas(nats_url: str) -> AsyncIterator[list[Client]]:
    """Two independent connections, as two gateway processes would have."""
    clients = [await nats.connect(nats_url), await nats.connect(nats_url)]
    yield clients
    for client in clients:
        await client.close()


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def limiters(replicas: list[Client], *, limit: int, clock: FakeClock) -> list[RateLimiter]:
    return [await RateLimiter.open(c.jetstream(), limit=limit, clock=clock) for c in replicas]


async def test_the_limit_holds_across_two_replicas_under_concurrent_load(replicas: list[Client]) -> None:
    clock = FakeClock(1_800_000_000.0 + 15)  # 45 s left in the window
    a, b = await limiters(replicas, limit=25, clock=clock)
    decisions = await asyncio.gather(*((a if i % 2 else b).hit("org_busy") for i in range(80)))
    assert sum(d.allowed for d in decisions) == 25
    refused = [d for d in decisions if not d.allowed]
    assert len(refused) == 55 and {d.retry_after for d in refused} == {45}


async def test_one_organisation_never_limits_another(replicas: list[Client]) -> None:
    clock = FakeClock(1_800_000_600.0)
    a, b = await limiters(replicas, limit=3, clock=clock)
    for _ in range(3):
        assert (await a.hit("org_noisy")).allowed
    assert not (await b.hit("org_noisy")).allowed
    assert all([(await b.hit("org_quiet")).allowed for _ in range(3)])


async def test_the_budget_comes_back_in_the_next_window(replicas: list[Client]) -> None:
    clock = FakeClock(1_800_001_200.0 + 59.5)
    a, _ = await limiters(replicas, limit=1, clock=clock)
    assert (await a.hit("org_x")).allowed
    refused = await a.hit("org_x")
    assert not refused.allowed and refused.retry_after == 1
    clock.now += 1
    assert (await a.hit("org_x")).allowed


async def test_busy_replicas_count_ahead_yet_the_limit_is_reached_exactly(replicas: list[Client]) -> None:
    clock = FakeClock(1_800_002_400.0 + 1)
    a, b = await limiters(replicas, limit=1000, clock=clock)
    writes = 0
    for limiter in (a, b):
        kv = limiter._kv
        update, create = kv.update, kv.create

        async def counted_update(*args: Any, _f: Any = update, **kwargs: Any) -> Any:
            nonlocal writes
            writes += 1
            return await _f(*args, **kwargs)

        async def counted_create(*args: Any, _f: Any = create, **kwargs: Any) -> Any:
            nonlocal writes
            writes += 1
            return await _f(*args, **kwargs)

        kv.update, kv.create = counted_update, counted_create  # type: ignore[method-assign]
    allowed, writes_for_first_half = 0, 0
    for i in range(1200):  # two replicas, alternating, as fast as they answer
        allowed += (await (a if i % 2 else b).hit("org_lease")).allowed
        if allowed == 400:
            writes_for_first_half = writes
    assert allowed == 1000, "never more than the limit, and no lease left unspent while both are busy"
    entry = await a._kv.get("org_lease.30000040")
    assert int(entry.value or b"0") == 1000
    # Far from the limit the replicas counted ahead (a write per lease, not per request).
    assert 0 < writes_for_first_half < 100, writes_for_first_half


async def test_through_a_nats_outage_requests_pass_uncounted_and_limits_return_after(tmp_path: Path) -> None:
    server = infra.start_nats(data_dir=tmp_path / "data", log_dir=tmp_path)
    port = int(server.urls["nats"].rsplit(":", 1)[1])
    client = await nats.connect(server.urls["nats"], max_reconnect_attempts=-1, reconnect_time_wait=0.1)
    try:
        clock = FakeClock(1_800_002_400.0)
        limiter = await RateLimiter.open(
            client.jetstream(), limit=2, clock=clock, connected=lambda: client.is_connected
        )
        assert [(await limiter.hit("org_o")).allowed for _ in range(3)] == [True, True, False]
        server.kill()
        await asyncio.sleep(0.3)
        # Reads must keep working while the bus is down: admitted, quickly, not counted.
        during = await asyncio.wait_for(asyncio.gather(*(limiter.hit("org_o") for _ in range(5))), 2)
        assert all(d.allowed for d in during)
        server = infra.start_nats(data_dir=tmp_path / "data", port=port, log_dir=tmp_path)
        for _ in range(100):
            if client.is_connected:
                break
            await asyncio.sleep(0.1)
        clock.now += 60  # a new window: the limit is enforced again, on a bucket that survived or was rebuilt
        after = [await limiter.hit("org_o") for _ in range(3)]
        assert [d.allowed for d in after] == [True, True, False]
    finally:
        await client.close()
        server.stop()
