"""Job definitions are checked against the source server and the destination, naming every problem."""

from __future__ import annotations

from typing import Any

import pytest
from atlassian_simulator.api_errors import InvalidRequest
from atlassian_simulator.data import seed_server
from atlassian_simulator.job_definition import parse_job
from atlassian_simulator.task_options import parse_task

pytestmark = pytest.mark.unit
SERVERS = {"BSQ4-J2CB-XYZ1-ABCD": seed_server()}
SITE = "https://acme.atlassian.net"


def _job(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "flow": "confluence-onpremises-to-cloud",
        "name": "Docs",
        "source": {"serverId": "BSQ4-J2CB-XYZ1-ABCD"},
        "destination": {"url": SITE},
        "scope": {"spaces": {"includedKeys": ["ENG", "ENG", "HR"], "includedData": "ALL"}},
        "usersAndGroups": {"mode": "ALL"},
        "apps": {"includedKeys": []},
        "globalEntities": {"includeKeys": ["themes"]},
    }
    return body | changes


def _codes(body: Any) -> list[str]:
    with pytest.raises(InvalidRequest) as refused:
        parse_job(body, servers=SERVERS, site_url=SITE)
    return [code for code, _ in refused.value.errors]


def test_a_valid_confluence_job_keeps_its_keys_once() -> None:
    spec = parse_job(_job(), servers=SERVERS, site_url=SITE)
    assert spec.keys == ("ENG", "HR") and spec.global_entities and spec.flow.container == "spaces"


def test_every_problem_is_named() -> None:
    assert _codes(_job(flow="jira-cloud-to-cloud")) == ["INVALID_FLOW"]
    assert _codes(_job(name=" ", usersAndGroups={"mode": "SOME"})) == [
        "INVALID_NAME",
        "INVALID_USERS_AND_GROUPS",
    ]
    assert _codes(_job(scope={"spaces": {"includedKeys": ["ENG"], "includedData": "attachments"}})) == [
        "INVALID_SCOPE"
    ]
    assert _codes(_job(scope={"projects": {"includedKeys": ["ALPHA"], "includedData": "all"}})) == [
        "SCOPE_MISMATCH"
    ]
    assert _codes(_job(scope={"spaces": {"includedKeys": [], "includedData": "ALL"}})) == ["INVALID_SCOPE"]
    assert _codes([]) == ["INVALID_REQUEST"]


def test_task_options_fit_their_task_type() -> None:
    known = ["AnonPermission", "DatabaseSize", "MissingAttachments"]
    check = parse_task(
        {"task": "Check", "options": {"checkTypes": {"excludeKeys": ["DatabaseSize"]}}}, known_checks=known
    )
    assert check.task_type == "check" and check.checks == ("AnonPermission", "MissingAttachments")
    migrate = parse_task(
        {"task": "migrate", "options": {"overrideChecks": ["AnonPermission"]}}, known_checks=known
    )
    assert migrate.overrides == ("AnonPermission",) and migrate.checks == tuple(known)
    with pytest.raises(InvalidRequest):
        parse_task({"task": "migrate", "options": {"checkTypes": {}}}, known_checks=known)
