"""What device-hub's handlers need from the outside world, as small protocols."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Now, timezone-aware (injectable: device status depends on how long ago a device was seen)."""

    def __call__(self) -> datetime: ...
