"""Common base for every message: plain JSON, camelCase on the wire, unknown fields ignored."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


class Message(BaseModel):
    """A bus message. Accepts camelCase (wire) or snake_case; extra fields are ignored so
    adding an optional field never breaks an older consumer."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)

    def to_json(self) -> bytes:
        """Serialise as the wire form (camelCase, no nulls omitted)."""
        return self.model_dump_json(by_alias=True).encode()


def iso(moment: datetime) -> str:
    """The API's timestamp form: UTC, second precision, ``Z`` suffix (``2026-05-09T08:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
