"""Read-your-write: after publishing a command, wait briefly for its owner's projection to show it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
_POLL_SECONDS = 0.02


async def poll_for(read: Callable[[], Awaitable[T | None]], seconds: float) -> T | None:
    """Read-your-write: wait briefly for the owning service's projection to show our command."""
    deadline = time.monotonic() + seconds
    while True:
        doc = await read()
        if doc is not None or time.monotonic() >= deadline:
            return doc
        await asyncio.sleep(_POLL_SECONDS)
