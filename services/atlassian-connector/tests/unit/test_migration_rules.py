"""An Atlassian migration's decisions without I/O: what it asks for, which checks stop it, and
what a project's or space's status node says about its unit."""

from __future__ import annotations

import pytest
from migrator_atlassian_connector.domain.migration_rules import (
    UnitState,
    blocking_failures,
    definition,
    never_reported,
    unit_report,
    unscheduled,
)
from migrator_atlassian_connector.domain.status_nodes import Node, node_of
from migrator_contracts.commands import AtlassianUnit, MigrateAtlassianScope
from migrator_contracts.enums import JobType, UnitStatus

pytestmark = pytest.mark.unit

UNIT = AtlassianUnit(unit_id="prj_1", key="ALPHA", total_items=120)


def test_a_jira_job_asks_for_its_projects_from_the_server_to_the_site() -> None:
    cmd = MigrateAtlassianScope(
        job_id="job_1",
        org_id="org_1",
        job_type=JobType.JIRA,
        source_tenant_id="ten_S",
        dest_tenant_id="ten_D",
        units=[UNIT, AtlassianUnit(unit_id="prj_2", key="BETA")],
    )
    body = definition(cmd, server_id="BSRV-1", site_url="https://acme.atlassian.net")
    assert body["flow"] == "jira-onpremises-to-cloud" and body["name"] == "job_1"
    assert body["source"] == {"serverId": "BSRV-1"} and body["destination"] == {
        "url": "https://acme.atlassian.net"
    }
    assert body["scope"] == {"projects": {"includedKeys": ["ALPHA", "BETA"], "includedData": "all"}}


def test_only_failed_checks_the_operator_did_not_override_stop_a_migration() -> None:
    checks = {
        "MissingAttachments": Node("FINISHED", "WARNING"),
        "UsersConflict": Node("FINISHED", "FAILED", "2 conflicts", details={"excludable": True}),
        "AppsOutdated": Node("FINISHED", "FAILED", details={"excludable": True}),
    }
    assert [name for name, _ in blocking_failures(checks, [])] == ["AppsOutdated", "UsersConflict"]
    assert [name for name, _ in blocking_failures(checks, ["AppsOutdated"])] == ["UsersConflict"]


def test_an_override_skips_only_a_check_atlassian_marks_excludable() -> None:
    checks = {
        "ProjectKeyConflict": Node("FINISHED", "FAILED", "ALPHA exists", details={"excludable": False}),
        "AppsOutdated": Node("FINISHED", "FAILED", details={"excludable": True}),
        "Unlabelled": Node("FINISHED", "FAILED"),  # no details: not known to be excludable
    }
    overrides = ["ProjectKeyConflict", "AppsOutdated", "Unlabelled"]
    assert [name for name, _ in blocking_failures(checks, overrides)] == ["ProjectKeyConflict", "Unlabelled"]


def test_a_unit_reads_from_its_node_in_progress_then_finished() -> None:
    assert unit_report(UNIT, None, 0) == UnitState(UnitStatus.QUEUED, 120)  # not in the tree yet
    running = node_of(
        {
            "status": "IN_PROGRESS",
            "progressDetails": {"isSupported": True, "data": [{"processed": 30, "total": 150}]},
        }
    )
    assert unit_report(UNIT, running, 0) == UnitState(UnitStatus.RUNNING, 150, done=30)  # the tree knows more
    assert unit_report(UNIT, Node("FINISHED", "SUCCESS"), 150) == UnitState(UnitStatus.DONE, 150, done=150)
    failed = unit_report(UNIT, Node("FINISHED", "FAILED", "Project key clash"), 150)
    assert failed == UnitState(UnitStatus.ERROR, 150, errors=150, message="Project key clash")


def test_every_finished_outcome_is_one_result_and_only_success_or_warning_counts_as_migrated() -> None:
    warned = unit_report(UNIT, Node("FINISHED", "WARNING", "3 attachments too large"), 120)
    assert warned == UnitState(UnitStatus.DONE, 120, done=120, message="3 attachments too large")
    # SKIPPED moved nothing: skipped items with Atlassian's reason, never "120 items migrated".
    skipped = unit_report(UNIT, Node("FINISHED", "SKIPPED", "Project already exists"), 120)
    assert skipped == UnitState(UnitStatus.DONE, 120, skipped=120, message="Project already exists")
    assert (
        unit_report(UNIT, Node("FINISHED", "SKIPPED"), 120).message
        == "Atlassian skipped it and gave no reason"
    )
    # An outcome the reference does not name (or none) is an error that says so.
    odd = unit_report(UNIT, Node("FINISHED", "INCOMPLETE", "stopped"), 120)
    assert odd == UnitState(
        UnitStatus.ERROR, 120, errors=120, message="Atlassian finished it with outcome INCOMPLETE: stopped"
    )
    assert unit_report(UNIT, Node("FINISHED"), 120).status is UnitStatus.ERROR


def _phase(name: str, processed: int) -> Node:
    data = [{"name": name, "processed": processed, "total": 120}]
    return node_of({"status": "IN_PROGRESS", "progressDetails": {"isSupported": True, "data": data}})


def test_a_count_never_steps_back_when_a_node_starts_its_next_phase() -> None:
    exported = unit_report(UNIT, _phase("Issues - export", 90), 120)
    assert exported.done == 90
    importing = unit_report(UNIT, _phase("Issues - import", 10), 120, exported.done)
    assert importing == UnitState(UnitStatus.RUNNING, 120, done=90)  # import starts from 0; we stay at 90
    assert unit_report(UNIT, _phase("Issues - import", 100), 120, importing.done).done == 100
    assert unit_report(UNIT, Node("FINISHED", "SUCCESS"), 120, 100).done == 120
    assert unit_report(UNIT, Node("FINISHED", "FAILED"), 120, 100).done == 0  # a failure counts none as moved


def test_the_check_level_is_where_an_unscheduled_migration_says_why() -> None:
    assert unscheduled(None, []) is None and unscheduled(Node("IN_PROGRESS"), []) is None
    assert unscheduled(Node("FINISHED", "WARNING", "passed with warning"), []) is None
    assert (
        unscheduled(Node("FINISHED", "FAILED", "The cloud site is locked"), [])
        == "Atlassian could not schedule the migration: The cloud site is locked"
    )
    assert unscheduled(Node("FINISHED", "FAILED"), ["DatabaseSize", "JsmLicence"]) == (
        "Atlassian could not schedule the migration: its checks failed (failed: DatabaseSize, JsmLicence)"
    )


def test_a_unit_whose_node_never_appears_is_an_error_naming_it_and_the_migrations_end() -> None:
    lost = never_reported(UNIT, 150, Node("FINISHED", "FAILED", "1 of 2 projects failed"), 300.4)
    assert lost == UnitState(
        UnitStatus.ERROR,
        150,
        errors=150,
        message="Atlassian never reported an outcome for ALPHA "
        "(300s after the migration finished; the migration ended FAILED: 1 of 2 projects failed)",
    )
    assert never_reported(UNIT, 0, Node("FINISHED", "SUCCESS"), 5).total == 120
