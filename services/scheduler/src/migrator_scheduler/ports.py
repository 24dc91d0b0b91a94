"""What the scheduler's handlers need from the outside world, as small protocols."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from migrator_contracts.base import Message


class Publisher(Protocol):
    """Publishes a command or event to JetStream, de-duplicated by ``msg_id``."""

    async def publish(self, subject: str, message: Message, *, msg_id: str) -> None: ...


class DispatchLease(Protocol):
    """Held by one scheduler replica at a time while it dispatches, so the limits are counted
    against one view of what is in flight, not one per replica."""

    def hold(self) -> AbstractAsyncContextManager[None]: ...


class Clock(Protocol):
    """Now, in epoch seconds (injectable so timers can be tested)."""

    def __call__(self) -> float: ...


class WorkerDirectory(Protocol):
    """Whether a running service consumes a command subject now."""

    async def running(self, subject: str) -> bool: ...
