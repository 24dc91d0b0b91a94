"""What the API-latency middleware and the per-message metrics add, against the same work bare.

    .venv/bin/python bench/metrics_bench.py [requests]

In one process, no network: an ASGI app that answers at once is called directly, bare and
wrapped in :class:`HttpMetrics`; a handled message's counter and histogram updates are timed
against an empty loop. The figures are microseconds added per request or message, to be read
beside what a request costs the gateway (bench/gateway_bench.py: about 110 µs of CPU for
``GET /v1/jobs/{id}`` at its peak on this machine).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

from migrator_platform.metrics import HANDLER_SECONDS, MESSAGES_HANDLED, HttpMetrics


async def bare_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _noop(_: Any) -> None:
    return None


async def _receive() -> Any:
    return {"type": "http.request", "body": b"", "more_body": False}


async def per_request(app: Any, n: int) -> float:
    scope = {"type": "http", "method": "GET", "path": "/v1/jobs/job_1", "app": None}
    started = time.perf_counter()
    for _ in range(n):
        await app(dict(scope), _receive, _noop)
    return (time.perf_counter() - started) / n * 1e6


def per_message(n: int) -> tuple[float, float]:
    handled, seconds = MESSAGES_HANDLED.labels("bench", "acked"), HANDLER_SECONDS.labels("bench")
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        seconds.observe(time.perf_counter() - t)
        handled.inc()
    with_metrics = (time.perf_counter() - started) / n * 1e6
    started = time.perf_counter()
    for _ in range(n):
        t = time.perf_counter()
        _ = time.perf_counter() - t
    return with_metrics, (time.perf_counter() - started) / n * 1e6


async def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    wrapped = HttpMetrics(bare_app)
    for _ in range(2):  # warm-up, then the measured round
        bare = await per_request(bare_app, n)
        metered = await per_request(wrapped, n)
    print(f"{n:,} requests, one process, no network")
    print(
        f"ASGI request  bare {bare:6.2f} µs   with HttpMetrics {metered:6.2f} µs   "
        f"added {metered - bare:5.2f} µs"
    )
    with_metrics, baseline = per_message(n)
    print(
        f"message       bare {baseline:6.2f} µs   with counter + histogram {with_metrics:6.2f} µs   "
        f"added {with_metrics - baseline:5.2f} µs"
    )


if __name__ == "__main__":
    asyncio.run(main())
