"""Discovery of an Atlassian tenant against the Atlassian simulator (the real app, in process): a
registered Data Center is discovered and announced, a discovery the server refuses ends ERROR
and fails so JetStream redelivers it, a discovery asked for on demand is recorded."""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from atlassian_simulator.app import create_app
from atlassian_simulator.config import SimSettings
from migrator_atlassian_connector.config import AtlassianSettings
from migrator_atlassian_connector.tenants.connect import Connections
from migrator_atlassian_connector.tenants.credentials import Credentials, SealedSecret
from migrator_atlassian_connector.tenants.discovery import Discovery
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import DiscoverTenant
from migrator_contracts.enums import JobStatus
from migrator_contracts.events import TenantDiscovered
from migrator_contracts.rpc import RegisterServer
from migrator_platform.secret_box import SecretBox
from migrator_readstore.sqlite import SqliteReadStore

from .conftest import Recorder

pytestmark = pytest.mark.integration

ORG = "org_A"
SERVER_ID = "BSQ4-J2CB-XYZ1-ABCD"  # the simulator's seeded Data Center: 3 projects, 2 spaces
SERVER_PAT = "sim-pat-server-1"


@dataclass
class Connector:
    """atlassian-connector's tenant parts against the simulator, wired as bootstrap wires them."""

    sim: httpx.AsyncClient
    store: SqliteReadStore
    sent: Recorder
    connections: Connections
    discovery: Discovery

    async def register(self) -> tuple[str, DiscoverTenant]:
        """The seeded Data Center registered as a source: its tenant id, and the discovery it asked for."""
        tenant = await self.connections.register_server(
            RegisterServer(
                org_id=ORG,
                server_id=SERVER_ID,
                base_url=f"http://sim/server/{SERVER_ID}",
                access_token=SERVER_PAT,
            )
        )
        ((msg_id, command),) = self.sent.on(subjects.CMD_ATLASSIAN_DISCOVER)
        assert isinstance(command, DiscoverTenant) and msg_id == command.discovery_job_id
        return tenant.tenant_id, command

    async def record(self, discovery_id: str) -> dict[str, Any]:
        found = await self.store.collection(readmodels.DISCOVERY_JOBS).get(discovery_id)
        assert found is not None, discovery_id
        return found

    async def tenant(self, tenant_id: str) -> dict[str, Any]:
        found = await self.store.collection(readmodels.TENANTS).get(tenant_id)
        assert found is not None, tenant_id
        return found

    def announced(self, tenant_id: str) -> list[tuple[str, Any]]:
        """(Nats-Msg-Id, event) of each TenantDiscovered sent for the tenant."""
        return self.sent.on(subjects.tenant_event(tenant_id, "TenantDiscovered"))


@pytest.fixture
async def connector(store: SqliteReadStore) -> AsyncIterator[Connector]:
    settings = AtlassianSettings(
        atlassian_auth_url="http://sim/auth",
        atlassian_api_url="http://sim/api",
        secrets_key=base64.b64encode(os.urandom(32)).decode(),
    )
    transport = httpx.ASGITransport(app=create_app(SimSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://sim") as http:
        sent = Recorder()
        credentials = Credentials(http, store=store, box=SecretBox(settings.secrets_key), settings=settings)
        yield Connector(
            sim=http,
            store=store,
            sent=sent,
            connections=Connections(
                http, store=store, credentials=credentials, publisher=sent, settings=settings
            ),
            discovery=Discovery(
                http, store=store, credentials=credentials, publisher=sent, settings=settings
            ),
        )


async def test_a_registered_server_is_discovered_and_the_discovery_announced_once(
    connector: Connector,
) -> None:
    tenant_id, cmd = await connector.register()
    assert (await connector.record(cmd.discovery_job_id))["status"] == "QUEUED"
    assert (await connector.tenant(tenant_id))["latestDiscoveryJobId"] == cmd.discovery_job_id

    await connector.discovery.discover(cmd)
    await connector.discovery.discover(cmd)  # the command redelivered: its acknowledgement was lost

    tenant, record = await connector.tenant(tenant_id), await connector.record(cmd.discovery_job_id)
    assert (tenant["projectCount"], tenant["spaceCount"]) == (3, 2)
    assert not readmodels.TenantDoc.undeclared(tenant), readmodels.TenantDoc.undeclared(tenant)
    assert (record["status"], record["completedAt"]) == ("DONE", tenant["discoveredAt"])
    assert not readmodels.DiscoveryJobDoc.undeclared(record), readmodels.DiscoveryJobDoc.undeclared(record)
    sealed = await connector.store.collection(readmodels.ATLASSIAN_SECRETS).get(tenant_id)
    assert sealed is not None and not SealedSecret.undeclared(sealed), sealed  # the token only sealed
    for name, model in (
        (readmodels.DISCOVERED_PROJECTS, readmodels.DiscoveredProjectDoc),
        (readmodels.DISCOVERED_SPACES, readmodels.DiscoveredSpaceDoc),
    ):
        found = await connector.store.collection(name).find({"tenantId": tenant_id})
        assert found and not set().union(*map(model.undeclared, found)), name
    announced = connector.announced(tenant_id)
    assert {msg_id for msg_id, _ in announced} == {cmd.discovery_job_id}  # JetStream keeps one
    _, event = announced[-1]
    assert isinstance(event, TenantDiscovered)
    assert (event.tenant_id, event.org_id, event.discovery_job_id, event.status) == (
        tenant_id,
        ORG,
        cmd.discovery_job_id,
        JobStatus.DONE,
    )


async def test_a_discovery_the_server_refuses_ends_error_and_fails_so_it_is_retried(
    connector: Connector,
) -> None:
    tenant_id, cmd = await connector.register()
    rotated = {"serverId": SERVER_ID, "products": ["jira", "confluence"], "pat": "rotated-by-the-admin"}
    (await connector.sim.post("/_sim/servers", json=rotated)).raise_for_status()

    with pytest.raises(httpx.HTTPStatusError):  # the consumer retries, then dead-letters
        await connector.discovery.discover(cmd)

    record = await connector.record(cmd.discovery_job_id)
    assert (record["status"], record["completedAt"]) == ("ERROR", None)
    assert (await connector.tenant(tenant_id))["discoveredAt"] is None
    assert connector.announced(tenant_id) == []


async def test_a_discovery_asked_for_on_demand_is_recorded_as_the_tenants_latest(
    connector: Connector,
) -> None:
    tenant_id, first = await connector.register()
    await connector.discovery.discover(first)
    # The gateway sends the command itself (POST /v1/tenants/{id}/discover), with no record.
    again = DiscoverTenant(tenant_id=tenant_id, org_id=ORG, discovery_job_id=f"dis_{uuid.uuid4().hex[:12]}")

    await connector.discovery.discover(again)

    assert (await connector.record(again.discovery_job_id))["status"] == "DONE"
    assert (await connector.tenant(tenant_id))["latestDiscoveryJobId"] == again.discovery_job_id
    assert [m.discovery_job_id for _, m in connector.announced(tenant_id)] == [
        first.discovery_job_id,
        again.discovery_job_id,
    ]
