"""Splitting a job into units of work (sites for SharePoint jobs), and when a job is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from migrator_contracts.enums import JobType


@dataclass(frozen=True)
class Unit:
    """One unit of a job: a site (or, later, a mailbox or project)."""

    id: str
    kind: str
    source: str
    dest: str | None


def split_into_units(job_id: str, job_type: JobType, options: dict[str, Any]) -> list[Unit]:
    """The units of a job, deterministic so a redelivered CreateJob yields the same ids."""
    if job_type in (JobType.SHAREPOINT, JobType.ONEDRIVE):
        mapping = {
            m["source"]: m["dest"] for m in options.get("siteMappings", []) if "source" in m and "dest" in m
        }
        sites = [str(s) for s in options.get("sites", [])]
        return [
            Unit(id=f"{job_id}_{i}", kind="site", source=s, dest=mapping.get(s)) for i, s in enumerate(sites)
        ]
    return []


def due_at(*, scheduled_at: datetime | None, created_at: datetime) -> float:
    """Epoch seconds at which the job may start: its scheduled time, or at once."""
    return (scheduled_at or created_at).timestamp()
