"""Adding a line to a job's log (``migrator.log.job.<jobId>``) from any service."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any, Protocol

from migrator_contracts import subjects
from migrator_contracts.base import Message
from migrator_contracts.enums import LogLevel
from migrator_contracts.logs import LogLine

from migrator_platform.structured_logs import get_logger

log = get_logger(__name__)


class Publisher(Protocol):
    async def publish(self, subject: str, message: Message, *, msg_id: str) -> None: ...


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
    except Exception as exc:
        log.warning("log line not published", job_id=job_id, error=repr(exc))
