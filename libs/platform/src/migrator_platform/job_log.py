"""Adding a line to a job's log (``migrator.log.job.<jobId>``) from any service."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from migrator_contracts import subjects
from migrator_contracts.enums import LogLevel
from migrator_contracts.logs import LogLine

from migrator_platform.bus import Publisher, Send, UndeclaredSend
from migrator_platform.structured_logs import get_logger
from migrator_platform.throttling import throttle_listener

log = get_logger(__name__)

LINES: Send = (subjects.job_log("{jobId}"), LogLine)  # what a service adding lines declares


async def publish_line(
    publisher: Publisher,
    job_id: str,
    level: LogLevel,
    message: str,
    fields: dict[str, Any],
    *,
    key: str | None = None,
    at: datetime | None = None,
) -> None:
    """Publish the line; with ``key``, the same line however often it is said (its id, and so
    its ``Nats-Msg-Id``, derive from the key). A line that cannot be published is logged and
    dropped: losing a log line must not fail the work it describes."""
    line_id = (
        "log_" + hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
        if key
        else f"log_{uuid.uuid4().hex[:24]}"
    )
    line = LogLine(
        id=line_id, job_id=job_id, level=level, message=message, ts=at or datetime.now(UTC), fields=fields
    )
    try:
        await publisher.publish(subjects.job_log(job_id), line, msg_id=line_id)
    except UndeclaredSend:
        raise  # a bug, not a lost line
    except Exception as exc:
        log.warning("log line not published", job_id=job_id, error=repr(exc))


@asynccontextmanager
async def throttle_lines(publisher: Publisher, job_id: str, fields: dict[str, Any]) -> AsyncIterator[None]:
    """Inside the block, every call an outside service throttles adds ``Throttled (429) —
    retrying in 8s`` to the job's log (with ``status`` and ``retryAfterSeconds`` in its fields);
    the lines still being published are waited for on the way out."""
    pending: set[asyncio.Task[None]] = set()

    def on_throttle(status: int, wait: float, retry_after: float | None) -> None:
        # The field is what the service asked for; the message says when we actually retry
        # (Retry-After plus jitter, or our own backoff when it gave none).
        said = {
            "status": status,
            "retryAfterSeconds": round(retry_after if retry_after is not None else wait, 1),
        }
        task = asyncio.get_running_loop().create_task(
            publish_line(
                publisher,
                job_id,
                LogLevel.WARN,
                f"Throttled ({status}) — retrying in {wait:.0f}s",
                fields | said,
            )
        )
        pending.add(task)
        task.add_done_callback(pending.discard)

    token = throttle_listener.set(on_throttle)
    try:
        yield
    finally:
        throttle_listener.reset(token)
        await asyncio.gather(*pending, return_exceptions=True)
