"""The one place that builds mail-teams-connector's clients and wires them together."""

from __future__ import annotations

import httpx
from migrator_contracts import readmodels
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.graph import GraphClient
from migrator_microsoft.identity import ClientCredentials, TenantTokens
from migrator_platform.bus import BusPublisher
from migrator_platform.service import Runtime, build_runtime, run_service

from migrator_mail_teams_connector.adapters.exchange import ExchangeApi
from migrator_mail_teams_connector.adapters.teams_graph import TeamsApi
from migrator_mail_teams_connector.config import ConnectorSettings
from migrator_mail_teams_connector.controls import JobControls
from migrator_mail_teams_connector.entrypoints.app import wire
from migrator_mail_teams_connector.mail.ledger import Ledger
from migrator_mail_teams_connector.mail.mailbox_job import MailboxMigrator
from migrator_mail_teams_connector.progress import UnitReporter
from migrator_mail_teams_connector.teams.team_job import TeamMigrator
from migrator_mail_teams_connector.tenants import TenantDirectory

NAME = "mail-teams-connector"


async def main(settings: ConnectorSettings | None = None) -> None:
    """Run mail-teams-connector until SIGTERM / SIGINT."""
    settings = settings or ConnectorSettings()
    runtime = build_runtime(NAME, settings)
    store = runtime.store
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0), limits=limits) as http:
        endpoints = Endpoints(settings.m365_base_url)
        credentials = ClientCredentials(
            client_id=settings.m365_client_id, client_secret=settings.m365_client_secret, endpoints=endpoints
        )
        tenants = TenantDirectory(store.collection(readmodels.GRAPH_TENANTS))
        tokens = TenantTokens(credentials, tenants.directory_of)
        graph = GraphClient(http, endpoints=endpoints, tokens=tokens)
        publisher = BusPublisher(runtime.broker)
        controls = JobControls(store.collection(readmodels.JOB_CONTROLS))
        mailbox_tasks = store.collection(readmodels.MAILBOX_TASKS)
        team_tasks = store.collection(readmodels.TEAM_TASKS)
        mail = MailboxMigrator(
            exchange=ExchangeApi(graph, page_size=settings.mail_page_size),
            tenants=tenants,
            controls=controls,
            reporter=UnitReporter(
                publisher, mailbox_tasks, interval_seconds=settings.progress_interval_seconds
            ),
            publisher=publisher,
            tasks=mailbox_tasks,
            sync=store.collection(readmodels.MAILBOX_SYNC),
            ledger=Ledger(store.collection(readmodels.MAILBOX_ITEMS)),
            concurrency=settings.mailbox_concurrency,
        )
        teams = TeamMigrator(
            api=TeamsApi(graph),
            controls=controls,
            reporter=UnitReporter(publisher, team_tasks, interval_seconds=settings.progress_interval_seconds),
            publisher=publisher,
            tasks=team_tasks,
            messages=store.collection(readmodels.TEAM_MESSAGES),
            files_poll_seconds=settings.files_poll_seconds,
        )
        wire(runtime, settings, mail=mail, teams=teams, controls=controls, tenants=tenants, tokens=tokens)

        async def on_ready(rt: Runtime) -> None:
            items = rt.store.collection(readmodels.MAILBOX_ITEMS)
            await items.ensure_index(["pair", "srcFolderId", "status"])
            await items.ensure_index(["pair", "destFolderId", "status"])
            await items.ensure_index(["unitId", "batch"])
            await rt.store.collection(readmodels.TEAM_MESSAGES).ensure_index(["unitId", "batch"])

        await run_service(runtime, on_ready=on_ready)
