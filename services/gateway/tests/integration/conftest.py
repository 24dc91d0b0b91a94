"""The gateway app on a real NATS and its embedded read store, with tenants and what their
discovery found seeded as the connectors write them, every connector announced as running, and
a way to see the commands the gateway publishes.

Seeded (organisation ``org_GATEWAY``): ``ten_CONTOSO`` (contoso.com, source) with users
ceo@, cfo@, John.Smith@ and lonely@contoso.com, sites /sites/finance and /sites/marketing, teams
Engineering (``aaaaaaaa-…``) and Sales (``ffffffff-…``); ``ten_FABRIKAM`` (fabrikam.com,
destination) with users ceo@, CFO@, john.smith@ and boss@fabrikam.com and team ``99999999-…``;
``ten_NORTHWIND`` and ``ten_LITWARE`` (a destination and a source not discovered yet);
``ten_DATACENTER`` → ``ten_CLOUD`` (Atlassian) with projects ALPHA and BETA."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from migrator_contracts import readmodels, subjects
from migrator_gateway.app import create_app
from migrator_gateway.config import GatewaySettings
from migrator_platform.workers import BUCKET, WorkerPresence
from migrator_readstore import ReadStore
from nats.aio.client import Client

ORG = "org_GATEWAY"
KEY = "tmk_test_" + "g" * 32
OTHER_KEY = "tmk_test_" + "o" * 32  # org_OTHER: sees nothing of ORG's
DISCOVERED_AT = "2026-04-10T09:23:00Z"

CONTOSO, FABRIKAM = "ten_CONTOSO", "ten_FABRIKAM"
NORTHWIND = "ten_NORTHWIND"  # a destination whose discovery has not completed
ATLASSIAN_SERVER, ATLASSIAN_CLOUD = "ten_DATACENTER", "ten_CLOUD"
M365 = ["EMAIL", "SHAREPOINT", "ONEDRIVE", "TEAMS"]

SOURCE_USERS = {  # upn -> mailbox size
    "ceo@contoso.com": 1_073_741_824,
    "cfo@contoso.com": 2_147_483_648,
    "John.Smith@contoso.com": 3_221_225_472,
    "lonely@contoso.com": 10,  # nobody of that name at fabrikam.com
}
DEST_USERS = ["ceo@fabrikam.com", "CFO@fabrikam.com", "john.smith@fabrikam.com", "boss@fabrikam.com"]
SITES = {
    "https://contoso.sharepoint.com/sites/finance": 5_000,
    "https://contoso.sharepoint.com/sites/marketing": 7_000,
}
ENGINEERING, SALES = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "ffffffff-0000-1111-2222-333333333333"
DEST_TEAM = "99999999-8888-7777-6666-555555555555"


COMMANDS = (
    subjects.CMD_SITE_MIGRATE,
    subjects.CMD_MAILBOX_MIGRATE,
    subjects.CMD_TEAM_MIGRATE,
    subjects.CMD_ATLASSIAN_MIGRATE,
)


@dataclass
class Gateway:
    api: httpx.AsyncClient  # as ORG
    other: httpx.AsyncClient  # as org_OTHER
    store: ReadStore
    nats: Client
    presence: WorkerPresence  # announces as the connectors do
    transport: httpx.ASGITransport  # the app, for a client with another key
    settings: GatewaySettings  # for another replica on the same bus and store

    @staticmethod
    def error(response: httpx.Response, status: int, code: str) -> str:
        """The error message, once the answer is checked to be the documented error body."""
        assert response.status_code == status, response.text
        body = response.json()
        assert set(body) == {"error", "code", "status"}
        assert body["code"] == code and body["status"] == status, body
        return str(body["error"])

    async def announce(self, *commands: str) -> None:
        """A connector consuming ``commands`` is running."""
        await self.presence.announce(commands, service="test-connector")

    async def retire(self, *commands: str) -> None:
        """Nothing consumes ``commands`` any more (as when the announcements expire)."""
        kv = await self.nats.jetstream().key_value(BUCKET)
        for subject in commands:
            await kv.delete(subject)

    async def published(
        self, subject: str, request: Callable[[], Awaitable[httpx.Response]]
    ) -> tuple[httpx.Response, dict[str, Any] | None]:
        """The answer to ``request`` and the command it published on ``subject`` (None: none)."""
        sub = await self.nats.subscribe(subject)
        try:
            response = await request()
            try:
                message = await sub.next_msg(timeout=0.2 if response.status_code >= 400 else 5)
            except nats.errors.TimeoutError:
                return response, None
            return response, json.loads(message.data)
        finally:
            await sub.unsubscribe()

    async def create(self, **body: Any) -> tuple[httpx.Response, dict[str, Any] | None]:
        """POST /v1/jobs from contoso.com to fabrikam.com (``body`` overrides); the answer and the
        CreateJob command published."""
        body = {"sourceTenantId": CONTOSO, "destTenantId": FABRIKAM} | body
        return await self.published(subjects.CMD_JOB_CREATE, lambda: self.api.post("/v1/jobs", json=body))

    async def batch(self, **body: Any) -> tuple[httpx.Response, dict[str, Any] | None]:
        """POST /v1/jobs/batch from contoso.com to fabrikam.com; the answer and the batch command."""
        body = {"sourceTenantId": CONTOSO, "destTenantId": FABRIKAM} | body
        return await self.published(
            subjects.CMD_JOB_BATCH, lambda: self.api.post("/v1/jobs/batch", json=body)
        )


async def seed(store: ReadStore) -> None:
    """Tenants and discovered objects, with the fields the connectors write."""
    tenants = store.collection(readmodels.TENANTS)
    for tenant_id, domain, role, workloads, discovered in (
        (CONTOSO, "contoso.com", "source", M365, DISCOVERED_AT),
        (FABRIKAM, "fabrikam.com", "destination", M365, DISCOVERED_AT),
        (NORTHWIND, "northwind.com", "destination", M365, None),
        ("ten_LITWARE", "litware.com", "source", M365, None),
        (ATLASSIAN_SERVER, "jira.acme.local", "source", ["JIRA", "CONFLUENCE"], DISCOVERED_AT),
        (ATLASSIAN_CLOUD, "acme.atlassian.net", "destination", ["JIRA", "CONFLUENCE"], DISCOVERED_AT),
    ):
        await tenants.upsert(
            tenant_id,
            {
                "id": tenant_id,
                "orgId": ORG,
                "domain": domain,
                "type": "M365",
                "role": role,
                "workloads": workloads,
                "discoveredAt": discovered,
                "connectedAt": "2026-04-10T09:00:00Z",
                "sharepointQuotaBytes": 10**12 if discovered else None,
                "sharepointUsedBytes": 10**9 if discovered else None,
            },
        )
    users = [(CONTOSO, upn, size) for upn, size in SOURCE_USERS.items()]
    users += [(FABRIKAM, upn, 0) for upn in DEST_USERS]
    for index, (tenant_id, upn, size) in enumerate(users):
        await _discovered(
            store, readmodels.DISCOVERED_USERS, f"dbu_{index:04d}", tenant_id, upn=upn, sourceSizeBytes=size
        )
    for index, (url, size) in enumerate(SITES.items()):
        await _discovered(
            store,
            readmodels.DISCOVERED_SITES,
            f"dbs_{index:04d}",
            CONTOSO,
            url=url,
            siteId=f"contoso.sharepoint.com,{index}",
            name=url.rsplit("/", 1)[-1].title(),
            sizeBytes=str(size),
        )
    for index, (tenant_id, team_id, name) in enumerate(
        ((CONTOSO, ENGINEERING, "Engineering"), (CONTOSO, SALES, "Sales"), (FABRIKAM, DEST_TEAM, "Eng"))
    ):
        await _discovered(
            store, readmodels.DISCOVERED_TEAMS, f"dbt_{index:04d}", tenant_id, teamId=team_id, name=name
        )
    for key in ("ALPHA", "BETA"):
        await _discovered(
            store,
            readmodels.DISCOVERED_PROJECTS,
            f"{ATLASSIAN_SERVER}:{key}",
            ATLASSIAN_SERVER,
            key=key,
            name=key.title(),
            issueCount=120,
            sizeBytes=4_096_000,
        )


async def _discovered(store: ReadStore, collection: str, doc_id: str, tenant_id: str, **fields: Any) -> None:
    doc = {"id": doc_id, "tenantId": tenant_id, "orgId": ORG, "discoveryJobId": "dis_SEED"} | fields
    await store.collection(collection).upsert(doc_id, doc)


@pytest.fixture(scope="module")
async def gateway(nats_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Gateway]:
    """One gateway per test module (each module has its own NATS), with the tenants seeded."""
    data_dir: Path = tmp_path_factory.mktemp("gateway")
    settings = GatewaySettings(
        nats_url=nats_url,
        data_dir=data_dir,
        bootstrap_keys=f"{ORG}:{KEY},org_OTHER:{OTHER_KEY}",
        rpc_timeout_seconds=0.1,  # no scheduler here: answer from the preview at once
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        store: ReadStore = app.state.store
        await seed(store)
        transport = httpx.ASGITransport(app=app)
        listener = await nats.connect(nats_url)
        presence = WorkerPresence(listener.jetstream, interval_seconds=600)
        await presence.announce(COMMANDS, service="test-connector")
        async with (
            httpx.AsyncClient(
                transport=transport, base_url="http://gateway", headers={"Authorization": f"Bearer {KEY}"}
            ) as api,
            httpx.AsyncClient(
                transport=transport,
                base_url="http://gateway",
                headers={"Authorization": f"Bearer {OTHER_KEY}"},
            ) as other,
        ):
            yield Gateway(api, other, store, listener, presence, transport, settings)
        await listener.close()
