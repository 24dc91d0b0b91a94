"""sp-connector's parts against the Microsoft 365 simulator (the real app, in process), Azurite (the
Azure Storage the SharePoint Migration API hands out), real NATS and the embedded store."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.nats import NatsBroker
from m365_simulator.app import create_app
from m365_simulator.app_tokens import SimTokens
from m365_simulator.config import SimSettings
from migrator_contracts import readmodels
from migrator_contracts.base import iso
from migrator_contracts.commands import MigrateSite
from migrator_contracts.enums import TenantRole
from migrator_contracts.readmodels import TenantDoc
from migrator_contracts.streams import ALL_STREAMS
from migrator_devstack import infra
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.graph import GraphClient
from migrator_platform.bus import BusPublisher, create_broker, provision_streams
from migrator_platform.secret_box import SecretBox
from migrator_readstore.sqlite import SqliteReadStore
from migrator_sp_connector.adapters.sharepoint_api import SharePointApi
from migrator_sp_connector.migration.site_job import SiteMigrator

SOURCE, DEST = "ten_SRC", "ten_DST"
DOMAINS = {SOURCE: "contoso.com", DEST: "fabrikam.com"}
ORG = "org_1"
# The ack wait of the consumers tests subscribe (production's is 30 s); the consumer keeps a
# running handler's delivery alive at a third of it.
ACK_WAIT_SECONDS = 1.0


@dataclass
class World:
    """The simulator, the store, the bus, and sp-connector's parts wired as bootstrap wires them."""

    sim: httpx.AsyncClient
    store: SqliteReadStore
    broker: NatsBroker
    sites: SiteMigrator
    graph: GraphClient
    sp: SharePointApi

    def migrate_site(self, source_url: str, **options: Any) -> MigrateSite:
        """A MigrateSite command for a new job of one unit, to the same site path at the destination."""
        job_id = f"job_{uuid.uuid4().hex[:12]}"
        return MigrateSite(
            job_id=job_id,
            unit_id=f"{job_id}_0",
            org_id=ORG,
            source_tenant_id=SOURCE,
            dest_tenant_id=DEST,
            source_site_url=source_url,
            **options,
        )

    def before_each_call(self, hook: Callable[[httpx.Request], Awaitable[None]]) -> None:
        """Run ``hook`` before each call sp-connector makes to the simulator (the test's own
        ``/_sim`` calls aside): where a test stops a run, or changes the faults, part way through."""

        async def on_request(request: httpx.Request) -> None:
            if not request.url.path.startswith("/_sim"):
                await hook(request)

        self.sim.event_hooks["request"].append(on_request)

    def faults_once_submitted(self, cmd: MigrateSite, **switches: Any) -> Callable[[], bool]:
        """Switch these faults on once the site's import is submitted (SharePoint's side of it
        from then on); the answer tells whether that moment came."""
        armed = False

        async def arm(_: httpx.Request) -> None:
            nonlocal armed
            if not armed and await self.phase(cmd) == "submitted":
                armed = True
                await self.faults(**switches)

        self.before_each_call(arm)
        return lambda: armed

    async def phase(self, cmd: MigrateSite) -> str | None:
        """Where the site's migration is (its task's phase), or None before it started."""
        task = await self.store.collection(readmodels.SP_TASKS).get(cmd.unit_id)
        return None if task is None else str(task["phase"])

    async def faults(self, **switches: Any) -> None:
        (await self.sim.post("/_sim/faults", json=switches)).raise_for_status()

    async def site(self, url: str) -> list[dict[str, Any]]:
        """Every folder and file of the site's library (path, type, size, SHA-256) in the simulator."""
        body = (await self.sim.get("/_sim/sites", params={"url": url})).json()
        return list(body["items"])

    async def imports(self, site_url: str) -> list[dict[str, Any]]:
        """The import jobs SharePoint was given for this site."""
        jobs = (await self.sim.get("/_sim/migration-jobs", params={"site": site_url})).json()["jobs"]
        return [job for job in jobs if job["kind"] == "import"]

    async def published(self, subject: str) -> list[dict[str, Any]]:
        """What JetStream holds on ``subject`` (wildcards allowed), oldest first."""
        js = self.broker.connection.jetstream()
        stream = next(s.name for s in ALL_STREAMS if subject.startswith(s.subjects[0].rstrip(">")))
        info = await js.stream_info(stream, subjects_filter=subject)
        count = sum((info.state.subjects or {}).values())
        if count == 0:
            return []
        sub = await js.subscribe(subject, stream=stream, ordered_consumer=True)
        try:
            return [json.loads((await sub.next_msg(timeout=5)).data) for _ in range(count)]
        finally:
            await sub.unsubscribe()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[infra.Proc]:
    """Azurite blob + queue: where the simulated Migration API provisions containers and queues."""
    tmp = tmp_path_factory.mktemp("azurite")
    proc = infra.start_azurite(data_dir=tmp / "data", log_dir=tmp)
    yield proc
    proc.stop()


@pytest.fixture
async def broker(nats_url: str) -> AsyncIterator[NatsBroker]:
    broker = create_broker(nats_url=nats_url, service="sp-connector-test")
    await broker.connect()
    await provision_streams(broker.connection.jetstream())
    yield broker
    await broker.stop()


@pytest.fixture
async def world(broker: NatsBroker, azurite: infra.Proc, tmp_path: Path) -> AsyncIterator[World]:
    settings = SimSettings(
        seed=42, object_delay_ms=0, blob_url=azurite.urls["blob"], queue_url=azurite.urls["queue"]
    )
    app = create_app(settings)
    store = SqliteReadStore(tmp_path / "store.sqlite3")
    tenants = store.collection(readmodels.TENANTS)
    for tenant_id, domain in DOMAINS.items():  # connected, as the consent flow leaves them
        doc = TenantDoc(
            id=tenant_id,
            org_id=ORG,
            domain=domain,
            role=TenantRole.SOURCE if tenant_id == SOURCE else TenantRole.DESTINATION,
            workloads=["SHAREPOINT"],
            connected_at=iso(datetime.now(UTC)),
        ).to_doc()
        await tenants.insert(tenant_id, doc | {"latestDiscoveryJobId": None})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
        endpoints, tokens = Endpoints("http://sim"), SimTokens(http, DOMAINS)
        sp = SharePointApi(http, endpoints=endpoints, tokens=tokens)
        yield World(
            sim=http,
            store=store,
            broker=broker,
            sp=sp,
            sites=SiteMigrator(
                sp=sp,
                store=store,
                box=SecretBox(base64.b64encode(os.urandom(32)).decode()),
                publisher=BusPublisher(broker),
                poll_seconds=0.05,
                fallback_after=5.0,
            ),
            graph=GraphClient(http, endpoints=endpoints, tokens=tokens),
        )
    await store.close()
