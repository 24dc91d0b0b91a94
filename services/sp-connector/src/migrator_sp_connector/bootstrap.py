"""The one place that builds sp-connector's clients and wires them together."""

from __future__ import annotations

import httpx
from migrator_contracts import readmodels
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.graph import GraphClient
from migrator_microsoft.identity import ClientCredentials
from migrator_platform.bus import BusPublisher
from migrator_platform.secret_box import SecretBox
from migrator_platform.service import Runtime, build_runtime, run_service

from migrator_sp_connector.adapters.sharepoint_api import SharePointApi
from migrator_sp_connector.config import ConnectorSettings
from migrator_sp_connector.entrypoints.app import wire
from migrator_sp_connector.migration.site_job import SiteMigrator
from migrator_sp_connector.tenants.tokens import tenant_tokens


async def ensure_indexes(runtime: Runtime) -> None:
    """Indexes the tenant read models and the site tasks are queried by."""
    store = runtime.store
    await store.collection(readmodels.TENANTS).ensure_index(["orgId", "domain"], unique=True)
    for name in (
        readmodels.DISCOVERED_USERS,
        readmodels.DISCOVERED_SITES,
        readmodels.DISCOVERED_TEAMS,
        readmodels.DISCOVERY_JOBS,
    ):
        await store.collection(name).ensure_index(["tenantId"])
    await store.collection(readmodels.SP_TASKS).ensure_index(["jobId"])
    await store.collection(readmodels.SP_STAGED).ensure_index(["unitId"])


async def main(settings: ConnectorSettings | None = None) -> None:
    """Run sp-connector until SIGTERM / SIGINT."""
    settings = settings or ConnectorSettings()
    box = SecretBox(settings.secrets_key)  # fails fast without a key: secrets are never stored in clear
    runtime = build_runtime("sp-connector", settings)
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0, connect=10.0)) as http:
        endpoints = Endpoints(settings.m365_base_url)
        credentials = ClientCredentials(
            client_id=settings.m365_client_id, client_secret=settings.m365_client_secret, endpoints=endpoints
        )
        tokens = tenant_tokens(runtime.store, credentials)  # the tenants' tokens, for Graph and SharePoint
        migrator = SiteMigrator(
            sp=SharePointApi(
                http, endpoints=endpoints, tokens=tokens, requests_per_minute=settings.sp_requests_per_minute
            ),
            store=runtime.store,
            box=box,
            publisher=BusPublisher(runtime.broker),
            poll_seconds=settings.queue_poll_seconds,
            fallback_after=settings.sp_progress_fallback_seconds,
        )
        wire(
            runtime,
            settings,
            endpoints=endpoints,
            credentials=credentials,
            tokens=tokens,
            graph=GraphClient(http, endpoints=endpoints, tokens=tokens, page_size=settings.graph_page_size),
            migrator=migrator,
        )
        await run_service(runtime, on_ready=ensure_indexes)
