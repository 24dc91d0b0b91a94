"""Fixtures shared by the test suites of every package."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from migrator_devstack import infra


@pytest.fixture(scope="module")
def nats_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real nats-server with JetStream, one per test module."""
    tmp: Path = tmp_path_factory.mktemp("nats")
    proc = infra.start_nats(data_dir=tmp / "data", log_dir=tmp)
    yield proc.urls["nats"]
    proc.stop()
