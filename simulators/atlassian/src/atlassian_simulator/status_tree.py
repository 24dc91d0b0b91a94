"""A task's status tree at a moment, rendered from its plan as the status API shows it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from atlassian_simulator.plan import Run, TaskPlan

_RANK = {"FAILED": 3, "WARNING": 2, "SUCCESS": 1, "SKIPPED": 0}


@dataclass
class Node:
    """A status node: what the API shows for it, and its children by name."""

    name: str
    fields: dict[str, Any]
    children: list[Node] = field(default_factory=list)
    # False for the projects/spaces container: reachable by ``level`` but not listed, and statusless
    # (the status examples: without expandChildren, level=migrate,projects is an empty reply).
    listed: bool = True


def worst(outcomes: Iterable[str]) -> str:
    """FAILED over WARNING over SUCCESS; SKIPPED only when everything was skipped."""
    return max(outcomes, key=lambda o: _RANK.get(o, 0), default="SKIPPED")


def _ms(t: float) -> int:
    return int(t * 1000)


def _details(created: float, start: float, end: float, now: float) -> dict[str, int]:
    if now < start:
        return {"createdAt": _ms(created), "lastUpdatedAt": _ms(created)}
    return {"createdAt": _ms(created), "lastUpdatedAt": _ms(min(now, end)), "startedAt": _ms(start)}


def _progress(run: Run, now: float) -> dict[str, Any]:
    """Point in time: the current phase's count only, so it starts again from 0 in the next."""
    if run.unit is None:
        return {"isSupported": False}
    work = len(run.phases) * run.processed * (now - run.start) / (run.end - run.start)
    phase = min(int(work // run.total), len(run.phases) - 1)
    processed = int(work - phase * run.total)
    name = f"{run.unit} - {run.phases[phase]}" if run.phases[phase] else run.unit
    return {
        "isSupported": True,
        "percent": 100 * processed // run.total,
        "data": [{"name": name, "total": run.total, "processed": processed}],
    }


def _run(run: Run, *, now: float, created: float | None) -> Node:
    """A leaf; ``created`` adds the migrate-side timestamps (checks carry none)."""
    fields: dict[str, Any]
    if now < run.start:
        fields = {"status": "PENDING"}
    elif now < run.end:
        fields = {"status": "IN_PROGRESS"}
        if created is not None:
            fields["progressDetails"] = _progress(run, now)
    else:
        fields = {"status": "FINISHED", "outcome": run.outcome}
        if run.message:
            fields["message"] = run.message
        if run.details:
            fields["details"] = run.details
    if created is not None:
        fields["details"] = _details(created, run.start, run.end, now)
        if "progressDetails" in fields:  # keep the documented key order: details, then progressDetails
            fields["progressDetails"] = fields.pop("progressDetails")
    return Node(run.name, fields)


def _checks(plan: TaskPlan, *, now: float, name: str, running_message: str | None) -> Node:
    children = [_run(c, now=now, created=None) for c in plan.checks]
    done = sum(1 for c in plan.checks if c.end <= now)
    fields: dict[str, Any]
    if plan.unscheduled and done == len(plan.checks):
        # "The check level status will show an error if a migration couldn't be scheduled."
        fields = {"status": "FINISHED", "outcome": "FAILED", "message": plan.unscheduled}
    elif done < len(plan.checks):
        fields = {"status": "IN_PROGRESS"}
        if running_message:
            fields["message"] = running_message
        total = len(plan.checks)
        fields["progressDetails"] = {
            "isSupported": True,
            "percent": 100 * done // total,
            "data": [{"name": "Preflight Checks", "total": total, "processed": done}],
        }
    else:
        outcome = worst(c.outcome for c in plan.checks)
        failed = [c.name for c in plan.checks if c.outcome == "FAILED"]
        message = {
            "FAILED": f"At least one Preflight check has failed: {', '.join(failed)}.",
            "WARNING": "All Preflight checks have passed with warning.",
        }.get(outcome, "All Preflight checks have passed.")
        fields = {
            "status": "FINISHED",
            "outcome": "SUCCESS" if outcome == "SKIPPED" else outcome,
            "message": message,
        }
    return Node(name, fields, children)


def _finished_message(plan: TaskPlan, outcome: str) -> str | None:
    failed = [r.name for r in plan.items if r.outcome == "FAILED"]
    assert plan.flow is not None
    if failed:
        return (
            f"{len(failed)} of {len(plan.items)} {plan.flow.container} failed to migrate: {', '.join(failed)}"
        )
    return "Migration completed with warnings" if outcome == "WARNING" else None


def _migrate(plan: TaskPlan, *, now: float) -> tuple[Node, Node]:
    """The root and its ``migrate`` child of a migrate task."""
    assert plan.flow is not None and plan.apps is not None
    created, start, end = plan.created, plan.checks_end, plan.migrate_end
    check = _checks(plan, now=now, name="check", running_message="Preflight checks are running")
    shown = [r for r in plan.items if r.name not in plan.hidden]
    container = Node(
        plan.flow.container, {}, [_run(r, now=now, created=created) for r in shown], listed=False
    )
    scopes = [_run(r, now=now, created=created) for r in (*plan.scopes, plan.apps)]
    outcome = worst(r.outcome for r in (*plan.items, *plan.scopes))
    migrate: dict[str, Any]
    root: dict[str, Any]
    if now < start:
        migrate = {"status": "PENDING", "details": _details(created, start, end, now)}
        root = {"status": "IN_PROGRESS", "message": "Preflight checks are running"}
    elif plan.blocked_by or plan.unscheduled:
        names = ", ".join(plan.blocked_by)
        noun = "check" if len(plan.blocked_by) == 1 else "checks"
        migrate = {
            "status": "FINISHED",
            "outcome": "SKIPPED",
            "message": "The migration couldn't be scheduled",
        }
        why = plan.unscheduled or f"pre-migration {noun} {names} failed"
        root = {
            "status": "FINISHED",
            "outcome": "FAILED",
            "message": f"The migration couldn't be scheduled: {why}",
        }
    elif now < end:
        migrate = {"status": "IN_PROGRESS", "details": _details(created, start, end, now)}
        root = {"status": "IN_PROGRESS", "message": "Migration is in progress"}
    else:
        migrate = {"status": "FINISHED", "outcome": outcome}
        root = {"status": "FINISHED", "outcome": outcome}
        if message := _finished_message(plan, outcome):
            migrate["message"] = root["message"] = message
        root.setdefault("message", "Migration completed successfully")
    if "details" not in migrate:
        migrate["details"] = _details(created, start, end, now)
    stopped = plan.blocked_by or plan.unscheduled
    root["details"] = _details(created, created, start if stopped else end, now)
    if migrate["status"] == "IN_PROGRESS":
        migrate["progressDetails"] = {"isSupported": False}
    if root["status"] == "IN_PROGRESS":
        root["progressDetails"] = {"isSupported": False}
    return Node("root", root, [check]), Node("migrate", migrate, [container, *scopes])


def render(plan: TaskPlan, *, now: float) -> Node:
    """The tree at ``now``: a check task's children are its checks; a migrate task's, check and migrate."""
    if plan.task_type == "check":
        return _checks(plan, now=now, name="root", running_message=None)
    root, migrate = _migrate(plan, now=now)
    root.children.append(migrate)
    return root
