"""Splitting a job into units of work (sites, mailboxes, teams, projects, spaces), and when it is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from migrator_contracts import ids
from migrator_contracts.enums import JobType
from migrator_contracts.job_kinds import JOB_KINDS

# Unit kinds whose ids carry a public prefix of their own (the API shows them as they are);
# the others are ``<job id>_<n>``.
_PREFIXES = {"mailbox": ids.MAILBOX_PROGRESS, "team": ids.TEAM_PROGRESS}


@dataclass(frozen=True)
class Unit:
    """One unit of a job: a site, a mailbox, a team, a project or a space."""

    id: str
    kind: str
    source: str
    dest: str | None


class InvalidJob(ValueError):
    """A job whose options or scope its type refuses (it is never recorded)."""


def check_job(job_type: JobType, options: dict[str, Any], scope: dict[str, Any]) -> None:
    """Raise :class:`InvalidJob` when the options or scope are not what the type accepts
    (the gateway refuses such a request; a command written by hand may still carry one)."""
    kind = JOB_KINDS[job_type]
    for model, value, name in ((kind.options, options, "options"), (kind.scope, scope, "scope")):
        try:
            model.model_validate(value)
        except ValueError as exc:
            raise InvalidJob(f"{name} of a {job_type.value} job: {exc}") from exc


def unit_id(job_id: str, kind: str, index: int) -> str:
    """A unit's id: deterministic (a redelivered CreateJob makes the same ones) and, within a
    job, in the order the units were listed."""
    prefix = _PREFIXES.get(kind)
    if prefix is None:
        return f"{job_id}_{index}"
    return f"{prefix}_{job_id.removeprefix('job_')}{index:05d}"


def split_into_units(job_id: str, job_type: JobType, options: dict[str, Any]) -> list[Unit]:
    """The units of a job, in the order its selection lists them."""
    kind = JOB_KINDS[job_type]
    mapping = {
        str(m["source"]): str(m["dest"])
        for m in (options.get(kind.mappings) or [] if kind.mappings else [])
        if isinstance(m, dict) and "source" in m and "dest" in m
    }
    sources = [str(s) for s in options.get(kind.selection) or []]
    return [
        Unit(id=unit_id(job_id, kind.unit, i), kind=kind.unit, source=s, dest=mapping.get(s))
        for i, s in enumerate(sources)
    ]


def due_at(*, scheduled_at: datetime | None, created_at: datetime) -> float:
    """Epoch seconds at which the job may start: its scheduled time, or at once."""
    return (scheduled_at or created_at).timestamp()
