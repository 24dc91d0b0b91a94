"""Smoothed rates (items/s, bytes/s) from successive job snapshots, and the time left."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RateMeter:
    """An exponentially weighted rate of a counter sampled at irregular times.

    ``half_life`` seconds: how quickly an old rate stops counting. Counters that go back
    (they should not) reset the meter rather than report a negative rate.
    """

    half_life: float = 10.0
    rate: float | None = None
    _last: tuple[float, float] | None = None

    def update(self, at: float, value: float) -> float | None:
        if self._last is not None:
            then, before = self._last
            elapsed = at - then
            if value < before:
                self.rate = None
            elif elapsed > 0:
                instant = (value - before) / elapsed
                weight = 0.5 ** (elapsed / self.half_life)
                self.rate = instant if self.rate is None else weight * self.rate + (1 - weight) * instant
        self._last = (at, value)
        return self.rate


def eta_seconds(remaining: float, rate: float | None) -> float | None:
    """Seconds until ``remaining`` is done at ``rate`` (None when unknown or stalled)."""
    if rate is None or rate <= 0 or remaining < 0:
        return None
    return remaining / rate
