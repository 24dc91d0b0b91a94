"""A connected broker with the project's streams, for the integration tests that consume or publish."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from faststream.nats import NatsBroker
from migrator_platform.bus import create_broker, provision_streams


@pytest.fixture
async def broker(nats_url: str) -> AsyncIterator[NatsBroker]:
    broker = create_broker(nats_url=nats_url, service="test")
    await broker.connect()
    await provision_streams(broker.connection.jetstream())
    yield broker
    await broker.stop()
