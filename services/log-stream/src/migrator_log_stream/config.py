"""Log-stream settings (``MIGRATOR_*``)."""

from __future__ import annotations

from functools import cached_property

from migrator_platform.settings import ServiceSettings
from pydantic import Field, field_validator


class LogStreamSettings(ServiceSettings):
    """How long job log lines are kept, by default and per organisation."""

    # Days a line is kept after it was written (its organisation's setting at that time).
    log_retention_days: float = Field(default=30.0, gt=0)
    # "org_A=90,org_B=7": organisations that keep their lines longer or shorter.
    log_retention_days_by_org: str = ""
    # How often expired lines are deleted.
    log_purge_interval_seconds: float = Field(default=3600.0, gt=0)
    # Most log lines projected in one write (order does not matter: each carries its stream
    # sequence); a busy job's lines go in batches this size, a quiet one's as they come.
    log_projection_batch: int = Field(default=200, ge=1)
    # Most domain events turned into lines per delivery, handled in stream order: every
    # progress event passes here, and one pipeline pass per event cost more than the event.
    log_event_batch: int = Field(default=100, ge=1)

    @field_validator("log_retention_days_by_org")
    @classmethod
    def _well_formed(cls, spec: str) -> str:
        parse_by_org(spec)  # a malformed setting stops start-up, with its reason
        return spec

    @cached_property
    def _retention_by_org(self) -> dict[str, float]:
        return parse_by_org(self.log_retention_days_by_org)

    def retention_days(self, org_id: str | None) -> float:
        """The retention of ``org_id`` (the default for an unknown or unset organisation)."""
        return self._retention_by_org.get(org_id or "", self.log_retention_days)


def parse_by_org(spec: str) -> dict[str, float]:
    """``"org_A=90,org_B=7"`` → ``{"org_A": 90.0, "org_B": 7.0}`` (a clear error if malformed)."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        org, sep, days = part.partition("=")
        if not sep or not org.strip():
            raise ValueError(f"MIGRATOR_LOG_RETENTION_DAYS_BY_ORG: {part!r} is not org=days")
        try:
            value = float(days)
        except ValueError:
            raise ValueError(
                f"MIGRATOR_LOG_RETENTION_DAYS_BY_ORG: {org}'s days {days!r} is not a number"
            ) from None
        if value <= 0:
            raise ValueError(
                f"MIGRATOR_LOG_RETENTION_DAYS_BY_ORG: {org} must keep lines for more than 0 days"
            )
        out[org.strip()] = value
    return out
