"""An Atlassian migration's decisions without I/O: what it asks for, which checks stop it, and
what a project's or space's status node says about its unit."""

from __future__ import annotations

import pytest
from migrator_atlassian_connector.domain.migration_rules import blocking_failures, definition, unit_report
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
        "UsersConflict": Node("FINISHED", "FAILED", "2 conflicts"),
        "AppsOutdated": Node("FINISHED", "FAILED"),
    }
    assert [name for name, _ in blocking_failures(checks, [])] == ["AppsOutdated", "UsersConflict"]
    assert [name for name, _ in blocking_failures(checks, ["AppsOutdated"])] == ["UsersConflict"]


def test_a_unit_reads_from_its_node_in_progress_then_finished() -> None:
    assert unit_report(UNIT, None, 0) == (UnitStatus.QUEUED, 120, 0, 0)  # not in the tree yet
    running = node_of(
        {
            "status": "IN_PROGRESS",
            "progressDetails": {"isSupported": True, "data": [{"processed": 30, "total": 150}]},
        }
    )
    assert unit_report(UNIT, running, 0) == (UnitStatus.RUNNING, 150, 30, 0)  # the tree knows more
    assert unit_report(UNIT, Node("FINISHED", "SUCCESS"), 150) == (UnitStatus.DONE, 150, 150, 0)
    assert unit_report(UNIT, Node("FINISHED", "FAILED"), 150) == (UnitStatus.ERROR, 150, 0, 150)
