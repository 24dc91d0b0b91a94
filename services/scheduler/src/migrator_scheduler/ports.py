"""What the scheduler's handlers need from the outside world, as small protocols."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol


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
