"""A task's schedule, fixed when the task is created: when each node runs and how it ends."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from atlassian_simulator.checks import CheckResult
from atlassian_simulator.flows import Flow


@dataclass(frozen=True)
class Run:
    """A node's life: PENDING before ``start``, IN_PROGRESS until ``end``, then FINISHED with ``outcome``."""

    name: str
    start: float
    end: float
    outcome: str
    message: str | None = None
    details: dict[str, Any] | None = None  # a check's occurrences, excludable, description
    unit: str | None = None  # what its progress counts; None: progress is not supported
    total: int = 0
    processed: int = 0  # when it ends: less than ``total`` when it fails part-way
    title: str = ""  # a project's or space's name, for the destination site
    # Phases it passes through, each over all its items; progress shows only the current one's
    # (the status guide: "for nodes that go through multiple phases ... only the current phase").
    phases: tuple[str, ...] = ("",)


# What a project, a space or the users go through: read from the server, then written to the site.
PHASES = ("export", "import")


@dataclass(frozen=True)
class Work:
    """A project or space to move, and how many issues or pages it holds."""

    key: str
    name: str
    total: int


@dataclass(frozen=True)
class TaskPlan:
    task_type: str  # "check" | "migrate"
    created: float
    checks: tuple[Run, ...]
    flow: Flow | None = None
    blocked_by: tuple[str, ...] = ()  # FAILED checks not overridden: the migration never starts
    unscheduled: str | None = None  # why Atlassian could not schedule it: its check level says so
    hidden: tuple[str, ...] = ()  # keys whose nodes never appear in the tree (they still migrate)
    items: tuple[Run, ...] = ()
    scopes: tuple[Run, ...] = ()  # usersAndGroups and the flow's later scopes
    apps: Run | None = None

    @property
    def checks_end(self) -> float:
        return max((c.end for c in self.checks), default=self.created)

    @property
    def migrate_end(self) -> float:
        """When the core migration is FINISHED (apps may still be running)."""
        return max((r.end for r in (*self.items, *self.scopes)), default=self.checks_end)


def check_runs(results: Sequence[CheckResult], *, created: float, seconds: float) -> tuple[Run, ...]:
    """Checks finish one by one, evenly spread over ``seconds``."""
    n = len(results)
    return tuple(
        Run(r.name, created, created + seconds * (i + 1) / n, r.outcome, r.message, r.details)
        for i, r in enumerate(results)
    )


def check_plan(results: Sequence[CheckResult], *, created: float, seconds: float) -> TaskPlan:
    return TaskPlan("check", created, check_runs(results, created=created, seconds=seconds))


def _key_run(
    flow: Flow, work: Work, *, start: float, rate: float, fail: bool, warn: bool, skip: bool = False
) -> Run:
    """A project or space: a failing one stops half-way, and a skipped one moves nothing; neither
    is landed on the site."""
    processed, outcome, message = work.total, "SUCCESS", None
    if skip:
        processed, outcome = 0, "SKIPPED"
        message = f"{flow.noun.capitalize()} {work.key} already exists on the destination site"
    elif fail:
        processed, outcome = work.total // 2, "FAILED"
        message = f"{flow.failure}: the simulator was told to fail {flow.noun} {work.key}"
    elif warn:
        outcome, message = "WARNING", f"{flow.noun.capitalize()} {work.key} migrated with warnings"
    return Run(
        work.key,
        start,
        start + processed / rate,
        outcome,
        message,
        unit=flow.unit,
        total=work.total,
        processed=processed,
        title=work.name,
        phases=PHASES,
    )


def migrate_plan(
    flow: Flow,
    results: Sequence[CheckResult],
    *,
    work: Iterable[Work],
    users: int,
    app_keys: Sequence[str],
    global_entities: bool,
    created: float,
    check_seconds: float,
    items_per_second: float,
    apps_lag: float,
    fail_keys: Iterable[str] = (),
    warn_keys: Iterable[str] = (),
    skip_keys: Iterable[str] = (),
    hide_keys: Iterable[str] = (),
    unscheduled: str | None = None,
) -> TaskPlan:
    """Checks, then users and groups, then each key in turn, then the flow's later scopes; apps alongside.

    ``unscheduled``: Atlassian cannot schedule the migration (its check level fails with this
    message, and no project or space node ever appears)."""
    checks = check_runs(results, created=created, seconds=check_seconds)
    blocked = tuple(c.name for c in checks if c.outcome == "FAILED")
    start = max((c.end for c in checks), default=created)
    if blocked or unscheduled:  # nothing runs: every node is FINISHED/SKIPPED as soon as the checks are
        skipped = tuple(
            Run(w.key, start, start, "SKIPPED", unit=flow.unit, total=w.total, title=w.name)
            for w in (() if unscheduled else work)
        )
        scopes = tuple(Run(name, start, start, "SKIPPED") for name in ("usersAndGroups", *flow.after))
        apps = Run("apps", start, start, "SKIPPED")
        return TaskPlan(
            "migrate",
            created,
            checks,
            flow,
            blocked_by=blocked,
            unscheduled=unscheduled,
            items=skipped,
            scopes=scopes,
            apps=apps,
        )
    rate = max(items_per_second, 1e-6)
    users_run = Run(
        "usersAndGroups",
        start,
        start + users / rate,
        "SUCCESS",
        unit="Users",
        total=users,
        processed=users,
        phases=PHASES,
    )
    failing, warning, skipping = set(fail_keys), set(warn_keys), set(skip_keys)
    items: list[Run] = []
    clock = users_run.end
    for w in work:
        fail, warn, skip = w.key in failing, w.key in warning, w.key in skipping
        items.append(_key_run(flow, w, start=clock, rate=rate, fail=fail, warn=warn, skip=skip))
        clock = items[-1].end
    later = tuple(
        Run(name, clock, clock, "SUCCESS" if name == "globalEntities" and global_entities else "SKIPPED")
        for name in flow.after
    )
    apps = Run("apps", start, clock + apps_lag, "SUCCESS" if app_keys else "SKIPPED")
    return TaskPlan(
        "migrate",
        created,
        checks,
        flow,
        hidden=tuple(sorted(set(hide_keys))),
        items=tuple(items),
        scopes=(users_run, *later),
        apps=apps,
    )
