"""Which waiting units to start next: within the limits, and fair across organisations.

Limits cap the units in flight per job, per destination tenant (what a tenant's throttling can
take) and per job type (what the connectors can take, shared by every organisation). When a
shared limit is the constraint, organisations take turns one unit at a time, so one large
wave cannot starve everyone else; within an organisation, older jobs go first.
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    per_job: int
    per_tenant: int
    per_type: Mapping[str, int] = field(default_factory=dict)  # a type not named: no type limit

    @classmethod
    def parse_per_type(cls, spec: str) -> dict[str, int]:
        """``"SHAREPOINT=32,EMAIL=64"`` → ``{"SHAREPOINT": 32, "EMAIL": 64}`` (a bad entry raises)."""
        limits: dict[str, int] = {}
        for entry in filter(None, (e.strip() for e in spec.split(","))):
            name, sep, value = entry.partition("=")
            if not sep or not value.strip().isdigit() or int(value) < 1:
                raise ValueError(f"per-type limit {entry!r}: expected TYPE=N with N >= 1")
            limits[name.strip().upper()] = int(value)
        return limits


@dataclass
class Candidate:
    """A running job with units waiting, in the order they should start."""

    job_id: str
    org_id: str
    dest_tenant_id: str
    job_type: str
    pending: list[str]


@dataclass
class InFlight:
    """Units dispatched and not finished, counted three ways."""

    by_job: Counter[str] = field(default_factory=Counter)
    by_org: Counter[str] = field(default_factory=Counter)
    by_tenant: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, units: Iterable[tuple[str, str, str, str]]) -> InFlight:
        """From (job id, organisation, destination tenant, job type) of each unit in flight."""
        counts = cls()
        for job_id, org_id, tenant, job_type in units:
            counts.add(job_id, org_id, tenant, job_type)
        return counts

    def add(self, job_id: str, org_id: str, tenant: str, job_type: str) -> None:
        self.by_job[job_id] += 1
        self.by_org[org_id] += 1
        self.by_tenant[tenant] += 1
        self.by_type[job_type] += 1


def _has_room(job: Candidate, in_flight: InFlight, limits: Limits) -> bool:
    type_limit = limits.per_type.get(job.job_type)
    return (
        in_flight.by_job[job.job_id] < limits.per_job
        and in_flight.by_tenant[job.dest_tenant_id] < limits.per_tenant
        and (type_limit is None or in_flight.by_type[job.job_type] < type_limit)
    )


def plan(candidates: Sequence[Candidate], in_flight: InFlight, limits: Limits) -> list[tuple[str, str]]:
    """(job id, unit id) to dispatch now, in order. ``candidates`` come oldest first;
    ``in_flight`` is updated as units are planned."""
    by_org: OrderedDict[str, list[Candidate]] = OrderedDict()
    for job in candidates:
        by_org.setdefault(job.org_id, []).append(job)
    arrival = {org: index for index, org in enumerate(by_org)}
    queues = {job.job_id: list(job.pending) for job in candidates}
    planned: list[tuple[str, str]] = []
    while True:
        ready = {
            org: next((j for j in jobs if queues[j.job_id] and _has_room(j, in_flight, limits)), None)
            for org, jobs in by_org.items()
        }
        eligible = [org for org, job in ready.items() if job is not None]
        if not eligible:
            return planned
        org = min(eligible, key=lambda o: (in_flight.by_org[o], arrival[o]))
        chosen = ready[org]
        assert chosen is not None
        planned.append((chosen.job_id, queues[chosen.job_id].pop(0)))
        in_flight.add(chosen.job_id, chosen.org_id, chosen.dest_tenant_id, chosen.job_type)
