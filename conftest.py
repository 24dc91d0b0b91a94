"""Fixtures shared by the test suites of every package: a real NATS per module, and the read
store on each backend (SQLite, MongoDB on nx-27017, and real MongoDB if one is set or Docker runs)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from migrator_devstack import infra
from migrator_readstore import ReadStore
from migrator_readstore.mongo import MongoReadStore
from migrator_readstore.sqlite import SqliteReadStore


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real nats-server with JetStream, one per test module."""
    tmp: Path = tmp_path_factory.mktemp("nats")
    proc = infra.start_nats(data_dir=tmp / "data", log_dir=tmp)
    yield proc.urls["nats"]
    proc.stop()


def _docker_engine() -> bool:
    """A Docker engine answers (not just the client being installed)."""
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


REAL_MONGO = bool(os.environ.get("MIGRATOR_TEST_MONGO_URL")) or _docker_engine()
BACKENDS = ["sqlite", "mongo-wire"] + (["mongo-real"] if REAL_MONGO else [])


@pytest.fixture(scope="session")
def mongo_wire_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc = infra.start_mongo_wire(log_dir=tmp_path_factory.mktemp("nx"))
    yield proc.urls["mongo"]
    proc.stop()


@pytest.fixture(scope="session")
def real_mongo_url() -> Iterator[str]:
    """MIGRATOR_TEST_MONGO_URL, or a MongoDB container when a Docker engine is present."""
    if url := os.environ.get("MIGRATOR_TEST_MONGO_URL"):
        yield url
        return
    from testcontainers.community.mongodb import MongoDbContainer

    with MongoDbContainer("mongo:7") as container:
        yield container.get_connection_url()


@pytest.fixture(params=BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[ReadStore]:
    backend: ReadStore
    if request.param == "sqlite":
        backend = SqliteReadStore(tmp_path / "store.sqlite3")
    else:
        fixture = "mongo_wire_url" if request.param == "mongo-wire" else "real_mongo_url"
        url = request.getfixturevalue(fixture)
        backend = MongoReadStore(url, f"t{uuid.uuid4().hex[:12]}")
    yield backend
    await backend.close()
