"""Service metrics in Prometheus format: what was handled, how fast, how far behind, and how
often the outside world held us back. Served at ``/metrics`` on each service's probe port.

Labels are bounded: consumer and RPC subject names, HTTP route templates, upstream hosts;
never job, tenant or organisation ids.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import TYPE_CHECKING, Any

from nats.js.errors import NotFoundError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

if TYPE_CHECKING:
    from nats.js import JetStreamContext

# A counter's creation time is a second series per label set, and nobody graphs it.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Handlers run from a millisecond (a projection write) to minutes (a site's migration).
_HANDLER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900)

MESSAGES_HANDLED = Counter(
    "migrator_messages_handled",
    "Bus messages handled by a durable consumer, by outcome (acked, retried, dead_lettered).",
    ["consumer", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "migrator_handler_seconds",
    "Time a durable consumer's handler took with one message.",
    ["consumer"],
    buckets=_HANDLER_BUCKETS,
)
RPC_REQUESTS = Counter("migrator_rpc_requests", "Request/reply requests answered, by subject.", ["subject"])
RPC_SECONDS = Histogram("migrator_rpc_seconds", "Time to answer a request/reply request.", ["subject"])
CONSUMER_PENDING = Gauge(
    "migrator_consumer_pending_messages",
    "Consumer lag: messages in the stream not yet delivered to the durable consumer.",
    ["stream", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "migrator_consumer_ack_pending_messages",
    "Messages delivered to the durable consumer and not yet acknowledged (being handled).",
    ["stream", "consumer"],
)
CONSUMER_REDELIVERED = Gauge(
    "migrator_consumer_redelivered_messages",
    "Messages the durable consumer has delivered more than once and not yet acknowledged.",
    ["stream", "consumer"],
)
HTTP_SECONDS = Histogram(
    "migrator_http_request_seconds",
    "Gateway API latency, by method, route template and status.",
    ["method", "route", "status"],
)
UPSTREAM_THROTTLED = Counter(
    "migrator_upstream_throttled",
    "Throttling answers (429/503/504) from outside APIs (Microsoft 365, Atlassian), by host and status.",
    ["host", "status"],
)
UPSTREAM_THROTTLE_WAIT = Counter(
    "migrator_upstream_throttle_wait_seconds",
    "Seconds spent waiting before retrying a throttled call to an outside API.",
    ["host"],
)


async def refresh_consumer_lag(js: JetStreamContext, durables: Iterable[tuple[str, str]]) -> None:
    """Read each (stream, durable) consumer's state from the server (any replica's answer is the
    same)."""
    for stream, durable in durables:
        try:
            info = await js.consumer_info(stream, durable)
        except NotFoundError:
            continue  # not created yet: the subscriber creates it on start
        CONSUMER_PENDING.labels(stream, durable).set(info.num_pending or 0)
        CONSUMER_ACK_PENDING.labels(stream, durable).set(info.num_ack_pending or 0)
        CONSUMER_REDELIVERED.labels(stream, durable).set(info.num_redelivered or 0)


def exposition() -> tuple[bytes, str]:
    """The metrics as Prometheus text, and their content type."""
    return generate_latest(), CONTENT_TYPE_LATEST


ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


class HttpMetrics:
    """ASGI middleware timing each HTTP request by its route template (``/v1/jobs/{job_id}``),
    so one job's id never becomes a series of its own."""

    def __init__(self, app: ASGIApp, *, skip: frozenset[str] = frozenset()) -> None:
        self.app, self._skip = app, skip
        # Per-request work is two dict lookups: the series by its labels, a plain route's
        # template by its endpoint (the client library's own lookup takes a lock and checks).
        self._series: dict[tuple[str, str, str], Any] = {}
        self._templates: dict[Any, str | None] = {}

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http" or scope["path"] in self._skip:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def sending(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router records the matched route in the scope it was given (this dict).
            route = scope.get("route")
            template = getattr(route, "path", None) or self._endpoint_path(scope) or "unmatched"
            key = (scope["method"], template, str(status))
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = HTTP_SECONDS.labels(*key)
            series.observe(time.perf_counter() - started)

    def _endpoint_path(self, scope: MutableMapping[str, Any]) -> str | None:
        """The template of a plain Starlette route, which records its endpoint, not itself."""
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return None
        if endpoint not in self._templates:
            routes = getattr(scope.get("app"), "routes", ())
            self._templates[endpoint] = next(
                (str(r.path) for r in routes if getattr(r, "endpoint", None) is endpoint), None
            )
        return self._templates[endpoint]
