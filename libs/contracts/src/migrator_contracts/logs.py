"""Per-job log lines on ``migrator.log.job.<jobId>``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from migrator_contracts.base import Message
from migrator_contracts.enums import LogLevel


class LogLine(Message):
    """One line a person reads. ``fields`` holds structured details (item URL, error code,
    retry delay); ``fields["final"]`` marks the job's last line, with its ``status`` and
    ``completedAt``, after which a live tail ends."""

    id: str
    job_id: str
    level: LogLevel
    message: str
    ts: datetime
    fields: dict[str, Any] = Field(default_factory=dict)
