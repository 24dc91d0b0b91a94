"""Counters and request latencies a fleet shares, for benchmarks and the CLI's periodic report."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any


class Reservoir:
    """Samples in seconds: every one up to ``capacity``, then a uniform sample (Algorithm R),
    so a long load run keeps bounded memory and unbiased percentiles."""

    def __init__(self, capacity: int = 100_000, *, seed: int | None = None) -> None:
        self.capacity = capacity
        self.count = 0
        self.values: list[float] = []
        self._rng = random.Random(seed)

    def add(self, value: float) -> None:
        self.count += 1
        if len(self.values) < self.capacity:
            self.values.append(value)
            return
        slot = self._rng.randrange(self.count)
        if slot < self.capacity:
            self.values[slot] = value

    def percentile(self, fraction: float) -> float | None:
        """The nearest-rank percentile of the samples, or None before the first."""
        if not self.values:
            return None
        ordered = sorted(self.values)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class FleetStats:
    # Every HTTP attempt, retries included: check-ins apart from register and result calls.
    checkin_latency: Reservoir = field(default_factory=Reservoir)
    request_latency: Reservoir = field(default_factory=Reservoir)
    # Per operation (after retries): a check-in that got a reply, or gave up.
    checkins_ok: int = 0
    checkins_failed: int = 0
    registrations: int = 0
    registrations_failed: int = 0
    commands_received: int = 0
    commands_done: int = 0
    commands_error: int = 0
    # A command the hub no longer wants (cancelled or gone), dropped after a definitive refusal.
    commands_dropped: int = 0
    results_reported: int = 0
    retries: int = 0

    def snapshot(self) -> dict[str, Any]:
        """Counters plus p50/p99 latencies in milliseconds, as one JSON-ready dict."""
        out: dict[str, Any] = {k: v for k, v in vars(self).items() if isinstance(v, int)}
        for name, reservoir in (("checkin", self.checkin_latency), ("request", self.request_latency)):
            for label, fraction in (("p50", 0.50), ("p99", 0.99)):
                value = reservoir.percentile(fraction)
                out[f"{name}_{label}_ms"] = None if value is None else round(value * 1000, 2)
        return out
