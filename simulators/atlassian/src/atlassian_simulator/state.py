"""Everything the simulator remembers: sites, servers, grants, migration jobs and tasks, faults."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from atlassian_simulator.checks import CheckSetting
from atlassian_simulator.config import SimSettings
from atlassian_simulator.data import CloudSite, Server, seed_server, seed_sites
from atlassian_simulator.job_definition import JobSpec
from atlassian_simulator.plan import TaskPlan
from atlassian_simulator.rate_limits import RateLimits


@dataclass(frozen=True)
class Grant:
    """What a token or authorization code stands for: a consent to one site."""

    client_id: str
    site: str  # host
    scopes: tuple[str, ...]
    expires_at: float
    redirect_uri: str = ""


@dataclass
class Faults:
    """Switchable misbehaviour, set through ``/_sim/faults``; keys and speed apply to tasks created later."""

    fail_keys: set[str] = field(default_factory=set)
    warn_keys: set[str] = field(default_factory=set)
    skip_keys: set[str] = field(default_factory=set)  # finished SKIPPED: nothing moved
    hide_keys: set[str] = field(default_factory=set)  # their nodes never appear (they still migrate)
    unscheduled: str | None = None  # migrate tasks cannot be scheduled, for this reason
    throttle_count: int = 0  # the next N rate-limited calls answer 429, whatever the budget
    items_per_second: float | None = None


@dataclass
class Task:
    id: str
    job_id: str
    task_type: str
    created: float
    seq: int  # creation order, for the newest-first task list
    payload: dict[str, object]
    plan: TaskPlan
    landed: set[str] = field(default_factory=set)  # keys already on the destination site


@dataclass
class Job:
    id: str
    site: str  # the destination site's host
    spec: JobSpec
    created: float
    tasks: dict[str, Task] = field(default_factory=dict)


@dataclass
class SimState:
    settings: SimSettings
    sites: dict[str, CloudSite] = field(default_factory=seed_sites)
    servers: dict[str, Server] = field(default_factory=lambda: {s.server_id: s for s in [seed_server()]})
    codes: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    check_settings: dict[str, dict[str, CheckSetting]] = field(default_factory=dict)  # product -> name ->
    limits: RateLimits = field(init=False)
    clock: Callable[[], float] = time.time
    task_seq: int = 0

    def __post_init__(self) -> None:
        per_minute = {
            "job-create": self.settings.creates_per_minute,
            "task-create": self.settings.creates_per_minute,
        }
        self.limits = RateLimits(per_minute | {"read": self.settings.reads_per_minute})

    def site_by_cloud_id(self, cloud_id: str) -> CloudSite | None:
        return next((s for s in self.sites.values() if s.cloud_id == cloud_id), None)

    def issue_tokens(self, grant: Grant) -> tuple[str, str | None]:
        """A new access token, and a refresh token when ``offline_access`` was consented to."""
        access = secrets.token_urlsafe(32)
        lifetime = self.settings.token_seconds
        self.access_tokens[access] = Grant(grant.client_id, grant.site, grant.scopes, self.clock() + lifetime)
        if "offline_access" not in grant.scopes:
            return access, None
        refresh = secrets.token_urlsafe(48)
        self.refresh_tokens[refresh] = Grant(grant.client_id, grant.site, grant.scopes, float("inf"))
        return access, refresh

    def add_job(self, site: CloudSite, spec: JobSpec) -> Job:
        job = Job(str(uuid.uuid4()), site.host, spec, self.clock())
        self.jobs[job.id] = job
        return job

    def add_task(self, job: Job, *, task_type: str, payload: dict[str, object], plan: TaskPlan) -> Task:
        self.task_seq += 1
        task = Task(str(uuid.uuid4()), job.id, task_type, plan.created, self.task_seq, payload, plan)
        job.tasks[task.id] = task
        return task

    def settle(self) -> None:
        """Put every project or space whose migration has finished on its destination site."""
        now = self.clock()
        for job in self.jobs.values():
            site = self.sites[job.site]
            for task in job.tasks.values():
                for run in task.plan.items:
                    if run.end > now or run.outcome not in ("SUCCESS", "WARNING") or run.name in task.landed:
                        continue
                    if job.spec.flow.product == "jira":
                        site.land_project(run.name, run.title, issues=run.total)
                    else:
                        site.land_space(run.name, run.title, pages=run.total)
                    task.landed.add(run.name)
