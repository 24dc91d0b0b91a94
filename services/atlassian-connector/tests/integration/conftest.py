"""What atlassian-connector's tests share: the embedded store, and a publisher that keeps what went out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from migrator_contracts.events import UnitProgressed
from migrator_contracts.logs import LogLine
from migrator_readstore.sqlite import SqliteReadStore


class Recorder:
    """The publisher port, keeping what went out (the bus itself is tested in libs/platform)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.msg_ids: list[str] = []  # the Nats-Msg-Id of each, in the same order

    async def publish(self, subject: str, message: Any, *, msg_id: str) -> None:
        self.sent.append((subject, message))
        self.msg_ids.append(msg_id)

    def on(self, subject: str) -> list[tuple[str, Any]]:
        """(Nats-Msg-Id, message) of what went out on ``subject``."""
        return [(i, m) for (s, m), i in zip(self.sent, self.msg_ids, strict=True) if s == subject]

    def progress(self) -> dict[str, UnitProgressed]:
        """The last report of each unit."""
        return {m.unit_id: m for _, m in self.sent if isinstance(m, UnitProgressed)}

    def lines(self) -> list[tuple[str, str]]:
        return [(m.level.value, m.message) for _, m in self.sent if isinstance(m, LogLine)]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteReadStore]:
    store = SqliteReadStore(tmp_path / "store.sqlite3")
    yield store
    await store.close()
