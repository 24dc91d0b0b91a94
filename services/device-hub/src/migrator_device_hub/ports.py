"""What device-hub's handlers need from the outside world, as small protocols."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from migrator_contracts.base import Message


class Publisher(Protocol):
    """Publishes an event to JetStream, de-duplicated by ``msg_id``."""

    async def publish(self, subject: str, message: Message, *, msg_id: str) -> None: ...


class Clock(Protocol):
    """Now, timezone-aware (injectable: device status depends on how long ago a device was seen)."""

    def __call__(self) -> datetime: ...
