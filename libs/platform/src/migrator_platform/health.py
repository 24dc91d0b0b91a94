"""Readiness over NATS request/reply (what the gateway's /readyz asks), and the optional HTTP
port for Kubernetes probes and Prometheus (/healthz, /readyz, /metrics)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from migrator_contracts.rpc import HealthProbe, HealthReply
from migrator_contracts.subjects import rpc_health

from migrator_platform.metrics import exposition
from migrator_platform.rpc import answer_requests

if TYPE_CHECKING:  # service.py wires health through this module
    from migrator_platform.service import Runtime


def answer_health(runtime: Runtime, *, is_ready: Callable[[], bool]) -> None:
    """Answer ``migrator.rpc.health.<service>`` (queue group: one replica replies)."""

    async def health(_: HealthProbe) -> HealthReply:
        return HealthReply(service=runtime.name, ready=is_ready())

    answer_requests(runtime, rpc_health(runtime.name), HealthProbe, health, queue=f"{runtime.name}-health")


async def serve_http_probes(*, port: int, is_ready: Callable[[], bool]) -> asyncio.Server:
    """A minimal HTTP server for Kubernetes and Prometheus: /healthz (alive), /readyz (200 only
    when ready) and /metrics."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode(errors="replace")
        path = request_line.split(" ")[1] if " " in request_line else "/"
        content_type = "application/json"
        if path.startswith("/metrics"):
            status, (body, content_type) = "200 OK", exposition()
        else:
            ok = path.startswith("/healthz") or (path.startswith("/readyz") and is_ready())
            status = "200 OK" if ok else "503 Service Unavailable"
            body = b'{"status":"ok"}' if ok else b'{"status":"unavailable"}'
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "0.0.0.0", port)
