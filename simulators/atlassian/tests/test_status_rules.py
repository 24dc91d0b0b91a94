"""The pure rules: a plan's timeline rendered at moments, check overrides, and paging a node's children."""

from __future__ import annotations

from typing import Any

import pytest
from atlassian_simulator.checks import CheckResult, CheckSetting, evaluate, override
from atlassian_simulator.cursors import BadCursor
from atlassian_simulator.flows import CONFLUENCE, JIRA
from atlassian_simulator.plan import TaskPlan, Work, migrate_plan
from atlassian_simulator.status_paging import query
from atlassian_simulator.status_tree import Node, render, worst

pytestmark = pytest.mark.unit


def _plan(results: list[CheckResult], **kwargs: Any) -> TaskPlan:
    """Checks take 1 s; 12 users then 10 issues a second; apps end 5 s after the core migration."""
    options: dict[str, Any] = {
        "work": [Work("ALPHA", "Alpha", 20), Work("BETA", "Beta", 10)],
        "users": 10,
        "app_keys": ["app"],
        "global_entities": False,
        "created": 1000.0,
        "check_seconds": 1.0,
        "items_per_second": 10.0,
        "apps_lag": 5.0,
    }
    return migrate_plan(JIRA, results, **(options | kwargs))


def _at(plan: TaskPlan, now: float, level: str = "", expand: bool = True) -> dict[str, Any]:
    answer: dict[str, Any] = query(render(plan, now=now), level=level, expand=expand)["data"]
    return answer


def test_a_migration_moves_through_check_users_projects_and_apps() -> None:
    plan = _plan([CheckResult("DatabaseSize", "SUCCESS")])
    assert _at(plan, 1000.5)["children"]["migrate"]["status"] == "PENDING"
    assert _at(plan, 1001.5, "migrate")["children"]["usersAndGroups"]["status"] == "IN_PROGRESS"
    # Users end at 1002; ALPHA exports its 20 issues 1002-1003, then imports them 1003-1004.
    during = _at(plan, 1002.5, "migrate,projects")["children"]
    assert during["ALPHA"]["progressDetails"]["data"] == [
        {"name": "Issues - export", "total": 20, "processed": 10}
    ]
    assert during["ALPHA"]["progressDetails"]["percent"] == 50 and during["BETA"]["status"] == "PENDING"
    importing = _at(plan, 1003.25, "migrate,projects")["children"]["ALPHA"]["progressDetails"]
    assert importing["data"] == [{"name": "Issues - import", "total": 20, "processed": 5}]  # from 0 again
    assert importing["percent"] == 25
    done = _at(plan, 1005.0, "migrate")
    assert done["status"] == "FINISHED" and done["outcome"] == "SUCCESS"
    assert done["children"]["apps"]["status"] == "IN_PROGRESS"  # apps end at 1010
    assert _at(plan, 1010.0, "migrate,apps")["outcome"] == "SUCCESS"
    assert _at(plan, 1005.0, "", expand=False)["details"] == {
        "createdAt": 1_000_000,
        "lastUpdatedAt": 1_005_000,
        "startedAt": 1_000_000,
    }


def test_a_failed_check_blocks_and_an_override_of_an_excludable_one_warns() -> None:
    failed = evaluate(
        JIRA, ["AnonPermission"], settings={"AnonPermission": CheckSetting("FAILED")}, with_apps=False
    )
    assert failed[0].details is not None and failed[0].details["excludable"] is True
    blocked = _plan(failed)
    root = _at(blocked, 1001.0, expand=False)
    assert root["outcome"] == "FAILED" and "pre-migration check AnonPermission failed" in root["message"]
    assert _at(blocked, 1001.0, "migrate,projects")["children"]["ALPHA"]["outcome"] == "SKIPPED"
    allowed = _plan(override(failed, ["AnonPermission"]))
    assert _at(allowed, 1001.0, "check", expand=False)["outcome"] == "WARNING"
    fixed = evaluate(
        JIRA, ["DatabaseSize"], settings={"DatabaseSize": CheckSetting("FAILED")}, with_apps=False
    )
    assert override(fixed, ["DatabaseSize"])[0].outcome == "FAILED"  # not excludable: still blocks


def test_an_unschedulable_migration_fails_at_its_check_level_and_shows_no_projects() -> None:
    plan = _plan([CheckResult("DatabaseSize", "SUCCESS")], unscheduled="The cloud site is locked")
    check = _at(plan, 1001.0, "check", expand=False)
    assert (check["status"], check["outcome"], check["message"]) == (
        "FINISHED",
        "FAILED",
        "The cloud site is locked",
    )
    root = _at(plan, 1001.0, expand=False)
    assert root["message"] == "The migration couldn't be scheduled: The cloud site is locked"
    assert _at(plan, 1001.0, "migrate,projects") == {}  # an empty reply: no node under it
    assert _at(plan, 1000.5, "check", expand=False)["status"] == "IN_PROGRESS"  # not before the checks


def test_a_hidden_key_migrates_but_its_node_never_appears() -> None:
    plan = _plan([], hide_keys=["BETA"])
    assert list(_at(plan, 1010.0, "migrate,projects")["children"]) == ["ALPHA"]
    assert [r.name for r in plan.items] == ["ALPHA", "BETA"]  # it still runs (and lands)


def test_apps_checks_are_skipped_without_apps_and_confluence_has_its_own_catalogue() -> None:
    [app] = evaluate(JIRA, ["AppLicenseCheck"], settings={}, with_apps=False)
    assert app.outcome == "SKIPPED"
    [conflict] = evaluate(CONFLUENCE, ["SpaceKeyConflict"], settings={}, with_apps=False)
    assert conflict.outcome == "SUCCESS"


def test_outcomes_aggregate_worst_first() -> None:
    assert worst(["SUCCESS", "WARNING", "SKIPPED"]) == "WARNING"
    assert worst(["SKIPPED", "FAILED", "SUCCESS"]) == "FAILED"
    assert worst(["SKIPPED"]) == worst([]) == "SKIPPED"


def _tree(names: list[str]) -> Node:
    kids = [
        Node(n, {"status": "FINISHED", "outcome": "FAILED" if i % 3 == 0 else "SUCCESS"})
        for i, n in enumerate(names)
    ]
    return Node("root", {"status": "FINISHED"}, [Node("migrate", {"status": "FINISHED"}, kids)])


def test_paging_is_by_name_and_each_child_appears_once() -> None:
    tree = _tree([f"K{i:03d}" for i in range(45)])
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = query(tree, level="migrate", expand=True, cursor=cursor, page_size=20)
        seen += list(page["data"]["children"])
        cursor = page["links"].get("next")
        if cursor is None:
            break
    assert seen == sorted(seen) and len(set(seen)) == 45
    failed = query(tree, level="migrate", expand=True, outcome="failed", page_size=100)
    assert len(failed["data"]["children"]) == 15
    first = query(tree, level="migrate", expand=True, page_size=20)
    again = query(tree, level="migrate", expand=True, cursor=first["links"]["self"], page_size=20)
    assert again == first  # ``self`` is this page's start
    with pytest.raises(BadCursor):
        query(tree, level="", expand=True, cursor=first["links"]["next"])


def test_an_unknown_level_is_an_empty_reply() -> None:
    assert query(_tree(["A"]), level="migrate,nothing", expand=True) == {"data": {}, "links": {}}
