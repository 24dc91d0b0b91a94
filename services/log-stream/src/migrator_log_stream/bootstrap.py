"""The one place that builds log-stream's clients and wires them together."""

from __future__ import annotations

import time

from migrator_contracts import readmodels
from migrator_contracts.logs import LogLine
from migrator_contracts.streams import LOGS
from migrator_platform.bus import publish
from migrator_platform.service import Runtime, build_runtime, run_service

from migrator_log_stream.config import LogStreamSettings
from migrator_log_stream.entrypoints.app import purge_expired, wire
from migrator_log_stream.handlers import LogStream


async def main(settings: LogStreamSettings | None = None) -> None:
    """Run log-stream until SIGTERM / SIGINT."""
    settings = settings or LogStreamSettings()
    runtime = build_runtime("log-stream", settings)
    logs = runtime.store.collection(readmodels.JOB_LOGS)

    async def publish_line(subject: str, line: LogLine, msg_id: str) -> None:
        await publish(runtime.broker, subject, line, msg_id=msg_id)

    async def purge_subject(subject: str) -> None:
        await runtime.broker.connection.jetstream().purge_stream(LOGS.name, subject=subject)

    stream = LogStream(
        logs=logs,
        jobs=runtime.store.collection(readmodels.LOG_JOBS),
        publish=publish_line,
        purge_subject=purge_subject,
        retention_days=settings.retention_days,
        clock=time.time,
    )
    wire(runtime, settings, stream)

    async def on_ready(rt: Runtime) -> None:
        await logs.ensure_index(["jobId", "seq"])
        await logs.ensure_index(["expiresAt"])
        rt.every(settings.log_purge_interval_seconds, lambda: purge_expired(stream), name="log-retention")

    await run_service(runtime, on_ready=on_ready)
