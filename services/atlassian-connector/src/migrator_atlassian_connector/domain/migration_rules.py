"""The rules of one Atlassian migration, without I/O: the job definition for a scope, which
failed checks stop it, and what a project's or space's status node says about its unit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from migrator_contracts.commands import AtlassianUnit, MigrateAtlassianScope
from migrator_contracts.enums import JobType, UnitStatus

from migrator_atlassian_connector.domain.status_nodes import Node

FLOWS = {JobType.JIRA: ("jira", "projects", "all"), JobType.CONFLUENCE: ("confluence", "spaces", "ALL")}


def definition(cmd: MigrateAtlassianScope, *, server_id: str, site_url: str) -> dict[str, Any]:
    """The Atlassian job definition for this job's scope, from the server to the site."""
    product, container, included = FLOWS[cmd.job_type]
    return {
        "flow": f"{product}-onpremises-to-cloud",
        "name": cmd.name or cmd.job_id,
        "source": {"serverId": server_id},
        "destination": {"url": site_url},
        "scope": {container: {"includedKeys": [u.key for u in cmd.units], "includedData": included}},
        "usersAndGroups": {"mode": "ALL"},
        "apps": {"includedKeys": []},
    }


def excludable(node: Node) -> bool:
    """Whether Atlassian lets ``overrideChecks`` skip this failed check (its ``details``)."""
    return bool((node.details or {}).get("excludable"))


def blocking_failures(checks: dict[str, Node], overrides: list[str]) -> list[tuple[str, Node]]:
    """FAILED checks that stop the migration: all of them but those the operator overrode and
    Atlassian marks excludable (an override of any other check changes nothing there)."""
    return [
        (name, node)
        for name, node in sorted(checks.items())
        if node.outcome == "FAILED" and not (name in overrides and excludable(node))
    ]


@dataclass(frozen=True)
class UnitState:
    """What a project's or space's node says of its unit: status, counters, and Atlassian's
    reason when it did not simply succeed."""

    status: UnitStatus
    total: int
    done: int = 0
    errors: int = 0
    skipped: int = 0
    message: str | None = None


def unit_report(unit: AtlassianUnit, node: Node | None, known_total: int, known_done: int = 0) -> UnitState:
    """The unit's state from its status node; every finished outcome maps to one result.

    Progress is point in time: a finished node carries none, so the total is what was last
    seen (or discovered), and a finished node counts all of it as done, failed or skipped.
    A node that goes through phases (export, then import) counts each phase from zero, so
    while it runs ``done`` is the most it has reported (``known_done``): it never steps back.
    SKIPPED moved nothing: its items are skipped, never counted as migrated. An outcome the
    reference does not name is an error that names it, never a success."""
    total = known_total or unit.total_items
    if node is None or not node.finished:
        counted = node.processed() if node is not None else None
        processed, seen_total = counted if counted else (0, 0)
        total = max(total, seen_total)
        status = (
            UnitStatus.RUNNING if node is not None and node.status == "IN_PROGRESS" else UnitStatus.QUEUED
        )
        return UnitState(status, total, done=min(max(processed, known_done), total))
    said = node.message
    match node.outcome:
        case "SUCCESS":
            return UnitState(UnitStatus.DONE, total, done=total)
        case "WARNING":
            return UnitState(UnitStatus.DONE, total, done=total, message=said)
        case "SKIPPED":
            reason = said or "Atlassian skipped it and gave no reason"
            return UnitState(UnitStatus.DONE, total, skipped=total, message=reason)
        case "FAILED":
            return UnitState(UnitStatus.ERROR, total, errors=total, message=said or "Atlassian failed it")
        case outcome:
            reason = f"Atlassian finished it with outcome {outcome or 'none'}" + (f": {said}" if said else "")
            return UnitState(UnitStatus.ERROR, total, errors=total, message=reason)


def unscheduled(check: Node | None, failed: list[str]) -> str | None:
    """Why Atlassian could not schedule the migration, if the migrate task's ``check`` level says
    so: "always first check the status of the check level ... it will show an error if a
    migration couldn't be scheduled". ``failed``: the checks under it that FAILED, if any."""
    if check is None or not check.finished or check.outcome != "FAILED":
        return None
    reason = f"Atlassian could not schedule the migration: {check.message or 'its checks failed'}"
    return reason + (f" (failed: {', '.join(failed)})" if failed else "")


def never_reported(unit: AtlassianUnit, total: int, root: Node, waited: float) -> UnitState:
    """A project or space with no finished node ``waited`` seconds after the migration finished:
    an error that names it and what the migration as a whole said, never a silent success."""
    said = f"; the migration ended {root.outcome or 'without an outcome'}" + (
        f": {root.message}" if root.message else ""
    )
    reason = (
        f"Atlassian never reported an outcome for {unit.key} "
        f"({waited:.0f}s after the migration finished{said})"
    )
    total = total or unit.total_items
    return UnitState(UnitStatus.ERROR, total, errors=total, message=reason)
