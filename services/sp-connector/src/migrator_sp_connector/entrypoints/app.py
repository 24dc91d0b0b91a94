"""Every subscription: the consent requests, the discovery and revocation commands, and the
site migrations."""

from __future__ import annotations

from migrator_contracts import subjects
from migrator_contracts.commands import DiscoverTenant, MigrateSite, RevokeTenant
from migrator_contracts.events import (
    ItemFailed,
    TenantConnected,
    TenantConsentLost,
    TenantDiscovered,
    TenantRemoved,
    UnitProgressed,
)
from migrator_contracts.rpc import ConnectTenantReply, ConnectTenantRequest, ConsentReply, ConsentRequest
from migrator_contracts.streams import COMMANDS, EVENTS
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.graph import GraphClient
from migrator_microsoft.identity import ClientCredentials, ConsentLost, TenantTokens, TokenError
from migrator_platform import job_log
from migrator_platform.bus import BusPublisher, Send, declare_sends, event_send
from migrator_platform.consent_states import announce_consent_lost
from migrator_platform.consumer import Delivery, subscribe
from migrator_platform.rpc import answer_requests
from migrator_platform.service import Runtime

from migrator_sp_connector.adapters.sharepoint_api import SharePointError
from migrator_sp_connector.config import ConnectorSettings
from migrator_sp_connector.domain.manifest_stream import ManifestError
from migrator_sp_connector.migration.amr_reader import ReadFailed
from migrator_sp_connector.migration.job_events import JobVanished
from migrator_sp_connector.migration.site_job import SiteMigrator
from migrator_sp_connector.tenants.consent import complete_consent, start_consent
from migrator_sp_connector.tenants.consent_lost import mark_consent_lost, reconnect_words
from migrator_sp_connector.tenants.discovery import discover_tenant
from migrator_sp_connector.tenants.removal import revoke_tenant

RPC_QUEUE = "sp-connector-rpc"
RPC_WORKERS = 8

# Failures that a retry cannot fix: SharePoint refused for good, tenant not connected, no token,
# a source read that failed or cannot be read, an import SharePoint has forgotten.
PERMANENT = (SharePointError, LookupError, TokenError, ReadFailed, ManifestError, JobVanished)


# Every command and event sp-connector publishes (see migrator_platform.bus.declare_sends).
SENDS: tuple[Send, ...] = (
    (subjects.CMD_TENANT_DISCOVER, DiscoverTenant),  # a consented tenant's first discovery
    *(
        event_send(subjects.tenant_event, e)
        for e in (TenantConnected, TenantDiscovered, TenantRemoved, TenantConsentLost)
    ),
    *(event_send(subjects.unit_event, e) for e in (UnitProgressed, ItemFailed)),
    job_log.LINES,
)


def wire(
    runtime: Runtime,
    settings: ConnectorSettings,
    *,
    endpoints: Endpoints,
    credentials: ClientCredentials,
    tokens: TenantTokens,
    graph: GraphClient,
    migrator: SiteMigrator,
) -> None:
    store, broker = runtime.store, runtime.broker
    declare_sends(broker, *SENDS)
    publisher = BusPublisher(broker)

    async def connect(request: ConnectTenantRequest) -> ConnectTenantReply:
        return await start_consent(request, store=store, endpoints=endpoints, settings=settings)

    async def consent(request: ConsentRequest) -> ConsentReply:
        return await complete_consent(request, store=store, credentials=credentials, broker=broker)

    # A consent waits on the identity provider's token: one slow callback must not hold the rest.
    answer_requests(
        runtime,
        subjects.RPC_TENANT_CONNECT,
        ConnectTenantRequest,
        connect,
        queue=RPC_QUEUE,
        workers=RPC_WORKERS,
    )
    answer_requests(
        runtime, subjects.RPC_TENANT_CONSENT, ConsentRequest, consent, queue=RPC_QUEUE, workers=RPC_WORKERS
    )

    async def on_discover(cmd: DiscoverTenant, _: Delivery) -> None:
        await discover_tenant(cmd, graph=graph, store=store, broker=broker)

    async def on_revoke(cmd: RevokeTenant, _: Delivery) -> None:
        tokens.forget(cmd.tenant_id)
        await revoke_tenant(cmd, store=store, broker=broker)

    async def on_consent_lost(event: TenantConsentLost, _: Delivery) -> None:
        await mark_consent_lost(store, event)

    async def on_migrate_site(cmd: MigrateSite, delivery: Delivery) -> None:
        try:
            await migrator.migrate(cmd)
        except ConsentLost as exc:  # nothing works there until the tenant is connected again
            lost = exc.tenant_id or cmd.source_tenant_id
            message = await reconnect_words(store, lost)
            await announce_consent_lost(publisher, lost, message)
            await migrator.fail(cmd, message)
        except PERMANENT as exc:  # retrying cannot help: the site ends ERROR now
            await migrator.fail(cmd, str(exc))
        except Exception as exc:
            if delivery.attempt >= settings.max_deliver:  # the last try: report before dead-lettering
                await migrator.fail(cmd, f"gave up after {delivery.attempt} attempts: {exc}")
            raise

    subscribe(
        broker,
        subject=subjects.CMD_TENANT_DISCOVER,
        stream=COMMANDS,
        durable="sp-connector-discover",
        model=DiscoverTenant,
        handler=on_discover,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
    subscribe(
        broker,
        subject=subjects.CMD_TENANT_REVOKE,
        stream=COMMANDS,
        durable="sp-connector-revoke",
        model=RevokeTenant,
        handler=on_revoke,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
    # Either connector may find a tenant's consent gone; this one owns the tenants and marks it.
    subscribe(
        broker,
        subject="migrator.evt.tenant.*.TenantConsentLost",
        stream=EVENTS,
        durable="sp-connector-consent-lost",
        model=TenantConsentLost,
        handler=on_consent_lost,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
    subscribe(
        broker,
        subject=subjects.CMD_SITE_MIGRATE,
        stream=COMMANDS,
        durable="sp-connector-migrate-site",
        model=MigrateSite,
        handler=on_migrate_site,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
        max_workers=settings.site_workers,
    )
