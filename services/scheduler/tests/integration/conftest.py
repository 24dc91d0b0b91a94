"""The scheduler's integration fixtures: a broker on the test NATS with the streams made, and
an embedded store per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from faststream.nats import NatsBroker
from migrator_platform.bus import create_broker, provision_streams
from migrator_readstore.sqlite import SqliteReadStore


@pytest.fixture
async def broker(nats_url: str) -> AsyncIterator[NatsBroker]:
    broker = create_broker(nats_url=nats_url, service="scheduler-test")
    await broker.connect()
    await provision_streams(broker.connection.jetstream())
    yield broker
    await broker.stop()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteReadStore]:
    store = SqliteReadStore(tmp_path / "store.sqlite3")
    yield store
    await store.close()
