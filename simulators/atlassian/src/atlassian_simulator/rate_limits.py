"""Sliding one-minute windows per destination site and API group, as the migration API limits calls."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0


@dataclass
class RateLimits:
    """How many calls each group allows per window; refused calls do not use up the budget."""

    limits: dict[str, int]
    calls: dict[tuple[str, str], deque[float]] = field(default_factory=dict)

    def acquire(self, site: str, group: str, *, now: float) -> int | None:
        """Record a call and return None, or the whole seconds to wait before the window has room."""
        window = self.calls.setdefault((site, group), deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= self.limits[group]:
            return max(1, math.ceil(window[0] + WINDOW_SECONDS - now))
        window.append(now)
        return None
