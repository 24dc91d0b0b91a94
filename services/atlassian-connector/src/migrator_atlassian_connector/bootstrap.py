"""The one place that builds atlassian-connector's clients and wires them together."""

from __future__ import annotations

import httpx
from migrator_contracts import readmodels
from migrator_contracts.commands import MigrateAtlassianScope
from migrator_platform.bus import BusPublisher
from migrator_platform.secret_box import SecretBox
from migrator_platform.service import Runtime, build_runtime, run_service

from migrator_atlassian_connector.adapters.migration_api import Budgets, MigrationApi
from migrator_atlassian_connector.config import AtlassianSettings
from migrator_atlassian_connector.entrypoints.app import wire
from migrator_atlassian_connector.migration.runner import AtlassianMigration, Resolve, Target
from migrator_atlassian_connector.tenants.connect import Connections
from migrator_atlassian_connector.tenants.credentials import Credentials
from migrator_atlassian_connector.tenants.discovery import Discovery


async def ensure_indexes(runtime: Runtime) -> None:
    for name in (readmodels.DISCOVERED_PROJECTS, readmodels.DISCOVERED_SPACES):
        await runtime.store.collection(name).ensure_index(["tenantId"])


def _resolver(
    runtime: Runtime,
    http: httpx.AsyncClient,
    credentials: Credentials,
    budgets: Budgets,
    settings: AtlassianSettings,
) -> Resolve:
    """Where a job goes: its destination site's API (with that site's budget), its source server."""
    tenants = runtime.store.collection(readmodels.TENANTS)

    async def resolve(cmd: MigrateAtlassianScope) -> Target:
        found = [await tenants.get(cmd.source_tenant_id), await tenants.get(cmd.dest_tenant_id)]
        if None in found:
            raise LookupError("a tenant of the job is no longer connected")
        source, dest = (readmodels.TenantDoc.model_validate(doc) for doc in found)

        async def token(renew: bool) -> str:
            return await credentials.access_token(cmd.dest_tenant_id, renew=renew)

        api = MigrationApi(
            http, base_url=settings.atlassian_api_url, access_token=token, budget=budgets.of(dest.domain)
        )
        return Target(api=api, server_id=str(source.external_tenant_id), site_url=str(dest.site_url))

    return resolve


async def main(settings: AtlassianSettings | None = None) -> None:
    """Run atlassian-connector until SIGTERM / SIGINT."""
    settings = settings or AtlassianSettings()
    box = SecretBox(settings.secrets_key)  # fails fast without a key: secrets are never stored in clear
    runtime = build_runtime("atlassian-connector", settings)
    broker, store = runtime.broker, runtime.store
    publisher = BusPublisher(broker)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
        credentials = Credentials(http, store=store, box=box, settings=settings)
        connections = Connections(
            http, store=store, credentials=credentials, publisher=publisher, settings=settings
        )
        discovery = Discovery(
            http, store=store, credentials=credentials, publisher=publisher, settings=settings
        )
        budgets = Budgets(
            creates_per_minute=settings.atlassian_creates_per_minute,
            reads_per_minute=settings.atlassian_reads_per_minute,
        )
        migration = AtlassianMigration(
            tasks=store.collection(readmodels.ATLASSIAN_TASKS),
            checks=store.collection(readmodels.JOB_CHECKS),
            publisher=publisher,
            resolve=_resolver(runtime, http, credentials, budgets, settings),
            poll_seconds=settings.atlassian_poll_seconds,
            node_wait_seconds=settings.atlassian_node_wait_seconds,
        )

        wire(runtime, settings, connections=connections, discovery=discovery, migration=migration)

        async def on_ready(rt: Runtime) -> None:
            await ensure_indexes(rt)

        await run_service(runtime, on_ready=on_ready)
