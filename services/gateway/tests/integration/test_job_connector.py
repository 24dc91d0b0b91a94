"""A job type that no running connector can take is refused at once (400 JOB_TYPE_UNAVAILABLE)
rather than queued forever; the connectors' announcements on NATS KV say which can run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from migrator_contracts import subjects

if TYPE_CHECKING:
    from .conftest import Gateway

pytestmark = pytest.mark.integration


async def test_a_job_nothing_consumes_is_refused_until_a_connector_announces_itself(gateway: Gateway) -> None:
    await gateway.retire(subjects.CMD_MAILBOX_MIGRATE)
    try:
        body = {"type": "EMAIL", "options": {"mailboxes": ["ceo@contoso.com"]}}
        response, command = await gateway.create(**body)
        assert command is None
        assert gateway.error(response, 400, "JOB_TYPE_UNAVAILABLE") == (
            "Pre-flight check 'connector' failed: no running connector takes EMAIL jobs: nothing "
            "consumes migrator.cmd.mailbox.migrate; start the connector that does, then retry"
        )
        dry, _ = await gateway.create(**body, dryRun=True)
        assert gateway.error(dry, 400, "JOB_TYPE_UNAVAILABLE")
        batch, command = await gateway.batch(type="EMAIL", batches=[{"options": body["options"]}])
        assert command is None and gateway.error(batch, 400, "JOB_TYPE_UNAVAILABLE")
    finally:
        await gateway.announce(subjects.CMD_MAILBOX_MIGRATE)
    response, command = await gateway.create(**body)
    assert response.status_code == 201 and command is not None, response.text


async def test_a_teams_job_needs_the_sharepoint_path_only_for_its_files(gateway: Gateway) -> None:
    await gateway.retire(subjects.CMD_SITE_MIGRATE)
    try:
        files, command = await gateway.create(type="TEAMS")
        assert command is None
        assert "nothing consumes migrator.cmd.site.migrate" in gateway.error(
            files, 400, "JOB_TYPE_UNAVAILABLE"
        )
        messages, command = await gateway.create(type="TEAMS", scope={"messages": True})
        assert messages.status_code == 201 and command is not None, messages.text
        sharepoint, _ = await gateway.create(type="SHAREPOINT")
        assert "SHAREPOINT jobs" in gateway.error(sharepoint, 400, "JOB_TYPE_UNAVAILABLE")
        await gateway.retire(subjects.CMD_TEAM_MIGRATE)
        both, _ = await gateway.create(type="TEAMS")
        assert "nothing consumes migrator.cmd.team.migrate, migrator.cmd.site.migrate;" in gateway.error(
            both, 400, "JOB_TYPE_UNAVAILABLE"
        )
    finally:
        await gateway.announce(subjects.CMD_SITE_MIGRATE, subjects.CMD_TEAM_MIGRATE)


async def test_the_connector_check_comes_after_the_tenant_checks(gateway: Gateway) -> None:
    await gateway.retire(subjects.CMD_ATLASSIAN_MIGRATE)
    try:
        # Jira between Microsoft 365 tenants: the workload check answers first.
        response, _ = await gateway.create(type="JIRA")
        assert gateway.error(response, 422, "PREFLIGHT_WORKLOAD")
        unknown, _ = await gateway.create(type="JIRA", sourceTenantId="ten_NOPE")
        assert gateway.error(unknown, 404, "TENANT_NOT_FOUND")
        jira, _ = await gateway.create(type="JIRA", sourceTenantId="ten_DATACENTER", destTenantId="ten_CLOUD")
        assert "migrator.cmd.atlassian.migrate" in gateway.error(jira, 400, "JOB_TYPE_UNAVAILABLE")
    finally:
        await gateway.announce(subjects.CMD_ATLASSIAN_MIGRATE)
