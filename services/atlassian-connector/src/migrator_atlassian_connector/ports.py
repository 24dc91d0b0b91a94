"""What atlassian-connector's handlers need from the outside world, as small protocols."""

from __future__ import annotations

from typing import Protocol

from migrator_contracts.base import Message


class Publisher(Protocol):
    """Publishes to JetStream, de-duplicated by ``msg_id``."""

    async def publish(self, subject: str, message: Message, *, msg_id: str) -> None: ...
