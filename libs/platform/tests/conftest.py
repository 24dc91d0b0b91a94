"""Read-store backends for the contract suite: SQLite, MongoDB on nx-27017, and real MongoDB if set."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from migrator_devstack import infra
from migrator_platform.readstore import ReadStore
from migrator_platform.readstore.mongo import MongoReadStore
from migrator_platform.readstore.sqlite import SqliteReadStore

BACKENDS = ["sqlite", "mongo-wire"] + (["mongo-real"] if os.environ.get("MIGRATOR_TEST_MONGO_URL") else [])


@pytest.fixture(scope="session")
def mongo_wire_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc = infra.start_mongo_wire(log_dir=tmp_path_factory.mktemp("nx"))
    yield proc.urls["mongo"]
    proc.stop()


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ReadStore]:
    backend: ReadStore
    if request.param == "sqlite":
        backend = SqliteReadStore(tmp_path / "store.sqlite3")
    else:
        url = (
            request.getfixturevalue("mongo_wire_url")
            if request.param == "mongo-wire"
            else os.environ["MIGRATOR_TEST_MONGO_URL"]
        )
        backend = MongoReadStore(url, f"t{uuid.uuid4().hex[:12]}")
    yield backend
    await backend.close()
