"""Polite retries for outside APIs (Microsoft, Atlassian): 429/503/504 wait Retry-After, else
exponential backoff."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from migrator_platform.metrics import UPSTREAM_THROTTLE_WAIT, UPSTREAM_THROTTLED

RETRYABLE_STATUS = frozenset({429, 503, 504})
MAX_WAIT_SECONDS = 300.0


class Throttled(Exception):
    """429/503/504: wait ``retry_after`` seconds and try again."""

    def __init__(self, status: int, retry_after: float | None, *, host: str = "") -> None:
        super().__init__(f"HTTP {status}, retry after {retry_after}s")
        self.status, self.retry_after, self.host = status, retry_after, host


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: an integer, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def raise_if_throttled(response: httpx.Response) -> None:
    """Turn a throttling answer into :class:`Throttled`."""
    if response.status_code in RETRYABLE_STATUS:
        host = response.request.url.host
        UPSTREAM_THROTTLED.labels(host, str(response.status_code)).inc()
        raise Throttled(
            response.status_code, retry_after_seconds(response.headers.get("Retry-After")), host=host
        )


def _wait(state: Any) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, Throttled) and exc.retry_after is not None:
        # The service said how long: honour it, plus a little jitter so that every worker the
        # same answer held back does not come back in the same instant.
        return min(exc.retry_after + random.uniform(0, 0.1 * exc.retry_after + 0.2), MAX_WAIT_SECONDS)
    return float(wait_exponential_jitter(initial=1, max=60)(state))


# Who wants to hear that a call is being held back (the migration in this task, to tell
# the job's log); a context variable, so the HTTP clients need not know about jobs.
# (status, seconds we will wait, Retry-After as the service said it or None)
throttle_listener: ContextVar[Callable[[int, float, float | None], None] | None] = ContextVar(
    "throttle_listener", default=None
)


def _tell_listener(state: Any) -> None:
    exc = state.outcome.exception() if state.outcome else None
    if not isinstance(exc, Throttled) or state.next_action is None or exc.status not in RETRYABLE_STATUS:
        return  # a 401 retried with a renewed token is nobody's throttling
    wait = float(state.next_action.sleep)
    if exc.host:
        UPSTREAM_THROTTLE_WAIT.labels(exc.host).inc(wait)
    listener = throttle_listener.get()
    if listener is not None:
        listener(exc.status, wait, exc.retry_after)


def retrying(max_attempts: int = 8) -> AsyncRetrying:
    """``async for attempt in retrying(): with attempt: ...`` retries throttling and transport errors."""
    return AsyncRetrying(
        retry=retry_if_exception_type((Throttled, httpx.TransportError)),
        stop=stop_after_attempt(max_attempts),
        wait=_wait,
        before_sleep=_tell_listener,
        reraise=True,
    )
