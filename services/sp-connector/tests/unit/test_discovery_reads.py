"""Discovery reads a site's quota and a team's member count several at a time, in order."""

from __future__ import annotations

import asyncio

import pytest
from migrator_sp_connector.tenants import discovery

pytestmark = pytest.mark.unit


async def test_reads_run_several_at_a_time_never_more_and_answer_in_order() -> None:
    in_flight, most = 0, 0

    async def read(item: int) -> int:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.001 * (item % 3))  # later items may finish first
        in_flight -= 1
        return item * 10

    answers = await discovery._each(list(range(50)), read)
    assert answers == [i * 10 for i in range(50)]
    assert most == discovery.READS_AT_ONCE
