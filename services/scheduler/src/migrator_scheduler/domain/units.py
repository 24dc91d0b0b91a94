"""Splitting a job into units of work (sites for SharePoint jobs), and when a job is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from migrator_contracts.enums import JobType


@dataclass(frozen=True)
class Unit:
    """One unit of a job: a site, a mailbox or a team."""

    id: str
    kind: str
    source: str
    dest: str | None


# Per job type: the unit kind, the options list naming the units, and the list mapping them.
_SELECTIONS = {
    JobType.SHAREPOINT: ("site", "sites", "siteMappings"),
    JobType.ONEDRIVE: ("site", "sites", "siteMappings"),
    JobType.EMAIL: ("mailbox", "mailboxes", "mailboxMappings"),
    JobType.TEAMS: ("team", "teams", "teamMappings"),
    # Keys keep their name at the destination (Atlassian migrates them as they are).
    JobType.JIRA: ("project", "projects", "-"),
    JobType.CONFLUENCE: ("space", "spaces", "-"),
}


def split_into_units(job_id: str, job_type: JobType, options: dict[str, Any]) -> list[Unit]:
    """The units of a job, deterministic so a redelivered CreateJob yields the same ids."""
    if job_type not in _SELECTIONS:
        return []
    kind, selection, mappings = _SELECTIONS[job_type]
    mapping = {
        str(m["source"]): str(m["dest"])
        for m in options.get(mappings, [])
        if isinstance(m, dict) and "source" in m and "dest" in m
    }
    sources = [str(s) for s in options.get(selection, [])]
    return [Unit(id=f"{job_id}_{i}", kind=kind, source=s, dest=mapping.get(s)) for i, s in enumerate(sources)]


def due_at(*, scheduled_at: datetime | None, created_at: datetime) -> float:
    """Epoch seconds at which the job may start: its scheduled time, or at once."""
    return (scheduled_at or created_at).timestamp()
