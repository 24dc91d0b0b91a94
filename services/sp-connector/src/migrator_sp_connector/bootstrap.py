"""The one place that builds sp-connector's clients and wires them together."""

from __future__ import annotations

import httpx
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import MigrateSite
from migrator_contracts.streams import COMMANDS
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.identity import ClientCredentials, TokenError
from migrator_platform.bus import BusPublisher
from migrator_platform.consumer import Delivery, subscribe
from migrator_platform.secret_box import SecretBox
from migrator_platform.service import Runtime, build_runtime, run_service

from migrator_sp_connector.config import ConnectorSettings
from migrator_sp_connector.migration.amr_reader import ReadFailed
from migrator_sp_connector.migration.job_events import JobVanished
from migrator_sp_connector.migration.manifest_stream import ManifestError
from migrator_sp_connector.migration.sharepoint_api import SharePointApi, SharePointError
from migrator_sp_connector.migration.site_job import SiteMigrator
from migrator_sp_connector.tenants.wiring import ensure_indexes
from migrator_sp_connector.tenants.wiring import register as register_tenants

# Failures that a retry cannot fix: SharePoint refused for good, tenant not connected, no token,
# a source read that failed or cannot be read, an import SharePoint has forgotten.
PERMANENT = (SharePointError, LookupError, TokenError, ReadFailed, ManifestError, JobVanished)


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
        tokens = register_tenants(runtime, settings, http=http, endpoints=endpoints, credentials=credentials)
        migrator = SiteMigrator(
            sp=SharePointApi(
                http, endpoints=endpoints, tokens=tokens, requests_per_minute=settings.sp_requests_per_minute
            ),
            tasks=runtime.store.collection(readmodels.SP_TASKS),
            tenants=runtime.store.collection(readmodels.TENANTS),
            sync=runtime.store.collection(readmodels.SP_SYNC),
            box=box,
            publisher=BusPublisher(runtime.broker),
            poll_seconds=settings.queue_poll_seconds,
            fallback_after=settings.sp_progress_fallback_seconds,
        )

        async def on_migrate_site(cmd: MigrateSite, delivery: Delivery) -> None:
            try:
                await migrator.migrate(cmd)
            except PERMANENT as exc:  # retrying cannot help: the site ends ERROR now
                await migrator.fail(cmd, str(exc))
            except Exception as exc:
                if delivery.attempt >= settings.max_deliver:  # the last try: report before dead-lettering
                    await migrator.fail(cmd, f"gave up after {delivery.attempt} attempts: {exc}")
                raise

        subscribe(
            runtime.broker,
            subject=subjects.CMD_SITE_MIGRATE,
            stream=COMMANDS,
            durable="sp-connector-migrate-site",
            model=MigrateSite,
            handler=on_migrate_site,
            ack_wait_seconds=settings.ack_wait_seconds,
            max_deliver=settings.max_deliver,
            max_workers=settings.site_workers,
        )

        async def on_ready(rt: Runtime) -> None:
            await ensure_indexes(rt)
            await rt.store.collection(readmodels.SP_TASKS).ensure_index(["jobId"])

        await run_service(runtime, on_ready=on_ready)
