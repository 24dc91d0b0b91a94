"""The connector's parts against the Microsoft 365 simulator (the real app, in process), real NATS
and the embedded store: what a test needs to run a mailbox or a team and look at both sides."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
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
from migrator_contracts.events import TenantConnected
from migrator_mail_teams_connector.adapters.exchange import ExchangeApi
from migrator_mail_teams_connector.adapters.teams_graph import TeamsApi
from migrator_mail_teams_connector.controls import JobControls
from migrator_mail_teams_connector.mail.ledger import Ledger
from migrator_mail_teams_connector.mail.mailbox_job import MailboxMigrator
from migrator_mail_teams_connector.progress import UnitReporter
from migrator_mail_teams_connector.teams.team_job import TeamMigrator
from migrator_mail_teams_connector.tenants import TenantDirectory
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.graph import GraphClient
from migrator_platform.bus import BusPublisher, create_broker, provision_streams
from migrator_readstore.sqlite import SqliteReadStore

SOURCE, DEST = "ten_SRC", "ten_DST"
DOMAINS = {SOURCE: "contoso.com", DEST: "fabrikam.com"}


@dataclass
class World:
    """The simulator, the store, the connector's runners, and what they published."""

    sim: httpx.AsyncClient
    store: SqliteReadStore
    mail: MailboxMigrator
    teams: TeamMigrator
    controls: JobControls
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (subject, body) published
    source: str = SOURCE
    dest: str = DEST

    async def restarted(self) -> None:
        """After a run was cut off: what it had sent the store lands (or not) before the next run
        starts, as when a killed process is restarted — writes go through one queue, in order."""
        await self.store.collection("restarts").upsert("after-cut", {"at": datetime.now(UTC).isoformat()})

    async def reported(self, unit_id: str, status: str) -> dict[str, Any]:
        """The unit's last report, once it has this status."""
        for _ in range(200):
            reports = self.events("UnitProgressed", unit_id)
            if reports and reports[-1]["status"] == status:
                return reports[-1]
            await asyncio.sleep(0.02)
        raise AssertionError(
            f"no {status} report for {unit_id}: {self.events('UnitProgressed', unit_id)[-1:]}"
        )

    def events(self, name: str, unit_id: str | None = None) -> list[dict[str, Any]]:
        return [
            body
            for subject, body in self.seen
            if subject.endswith(name) and (unit_id is None or body.get("unitId") == unit_id)
        ]

    def lines(self, job_id: str) -> list[str]:
        return [body["message"] for subject, body in self.seen if subject == f"migrator.log.job.{job_id}"]

    async def faults(self, **switches: Any) -> None:
        (await self.sim.post("/_sim/faults", json=switches)).raise_for_status()

    async def mailbox(self, upn: str) -> dict[str, Any]:
        return dict((await self.sim.get("/_sim/mailboxes", params={"upn": upn})).json())


@pytest.fixture
async def broker(nats_url: str) -> AsyncIterator[NatsBroker]:
    broker = create_broker(nats_url=nats_url, service="mail-teams-test")
    await broker.connect()
    await provision_streams(broker.connection.jetstream())
    yield broker
    await broker.stop()


@pytest.fixture
async def world(broker: NatsBroker, tmp_path: Path) -> AsyncIterator[World]:
    app = create_app(SimSettings(seed=42, object_delay_ms=0))
    store = SqliteReadStore(tmp_path / "store.sqlite3")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as http:
        graph = GraphClient(http, endpoints=Endpoints("http://sim"), tokens=SimTokens(http, DOMAINS))
        publisher = BusPublisher(broker)
        tenants = TenantDirectory(store.collection(readmodels.GRAPH_TENANTS))
        for tenant_id, domain in DOMAINS.items():
            await tenants.connected(
                TenantConnected(
                    event_id=tenant_id,
                    seq=1,
                    occurred_at=datetime.now(UTC),
                    tenant_id=tenant_id,
                    org_id="org_1",
                    domain=domain,
                )
            )
        controls = JobControls(store.collection(readmodels.JOB_CONTROLS))
        mail_tasks, team_tasks = (
            store.collection(readmodels.MAILBOX_TASKS),
            store.collection(readmodels.TEAM_TASKS),
        )
        world = World(
            sim=http,
            store=store,
            mail=MailboxMigrator(
                exchange=ExchangeApi(graph, page_size=50),
                tenants=tenants,
                controls=controls,
                reporter=UnitReporter(publisher, mail_tasks, interval_seconds=0),
                publisher=publisher,
                tasks=mail_tasks,
                sync=store.collection(readmodels.MAILBOX_SYNC),
                ledger=Ledger(store.collection(readmodels.MAILBOX_ITEMS)),
                concurrency=4,
            ),
            teams=TeamMigrator(
                api=TeamsApi(graph),
                controls=controls,
                reporter=UnitReporter(publisher, team_tasks, interval_seconds=0),
                publisher=publisher,
                tasks=team_tasks,
                messages=store.collection(readmodels.TEAM_MESSAGES),
                files_poll_seconds=0.05,
            ),
            controls=controls,
        )

        async def heard(msg: Any) -> None:
            world.seen.append((msg.subject, json.loads(msg.data)))

        subscription = await broker.connection.subscribe("migrator.>", cb=heard)
        yield world
        await asyncio.sleep(0.1)  # let the last messages arrive before the subscription goes
        await subscription.unsubscribe()
    await store.close()
