"""Every subscription: the tenant requests (connect, consent, register a server), the discovery
and migration commands, and tenant removal."""

from __future__ import annotations

from migrator_contracts import subjects
from migrator_contracts.commands import DiscoverTenant, MigrateAtlassianScope
from migrator_contracts.events import TenantConnected, TenantDiscovered, TenantRemoved, UnitProgressed
from migrator_contracts.rpc import ConnectTenantRequest, ConsentRequest, RegisterServer
from migrator_contracts.streams import COMMANDS, EVENTS
from migrator_platform import job_log
from migrator_platform.bus import Send, declare_sends, event_send
from migrator_platform.consumer import Delivery, subscribe
from migrator_platform.rpc import answer_requests
from migrator_platform.service import Runtime

from migrator_atlassian_connector.config import AtlassianSettings
from migrator_atlassian_connector.migration.runner import AtlassianMigration
from migrator_atlassian_connector.migration.sizes import with_discovered_sizes
from migrator_atlassian_connector.tenants.connect import Connections
from migrator_atlassian_connector.tenants.consent_revoked import consent_revoked
from migrator_atlassian_connector.tenants.credentials import ConsentRevoked
from migrator_atlassian_connector.tenants.discovery import Discovery
from migrator_atlassian_connector.tenants.removal import forget_tenant

RPC_QUEUE = "atlassian-connector-rpc"
RPC_WORKERS = 8


# Every command and event atlassian-connector publishes (see migrator_platform.bus.declare_sends).
SENDS: tuple[Send, ...] = (
    (subjects.CMD_ATLASSIAN_DISCOVER, DiscoverTenant),  # a connected tenant's first discovery
    *(event_send(subjects.tenant_event, e) for e in (TenantConnected, TenantDiscovered)),
    event_send(subjects.unit_event, UnitProgressed),
    job_log.LINES,
)


def wire(
    runtime: Runtime,
    settings: AtlassianSettings,
    *,
    connections: Connections,
    discovery: Discovery,
    migration: AtlassianMigration,
) -> None:
    broker, store = runtime.broker, runtime.store
    declare_sends(broker, *SENDS)

    # A server being probed can take seconds to answer: one slow request must not hold the rest.
    answer_requests(
        runtime,
        subjects.RPC_ATLASSIAN_CONNECT,
        ConnectTenantRequest,
        connections.start_consent,
        queue=RPC_QUEUE,
        workers=RPC_WORKERS,
    )
    answer_requests(
        runtime,
        subjects.RPC_ATLASSIAN_CONSENT,
        ConsentRequest,
        connections.complete_consent,
        queue=RPC_QUEUE,
        workers=RPC_WORKERS,
    )
    answer_requests(
        runtime,
        subjects.RPC_ATLASSIAN_REGISTER,
        RegisterServer,
        connections.register_server,
        queue=RPC_QUEUE,
        workers=RPC_WORKERS,
    )

    async def on_discover(cmd: DiscoverTenant, _: Delivery) -> None:
        await discovery.discover(cmd)

    async def on_migrate(cmd: MigrateAtlassianScope, _: Delivery) -> None:
        try:
            await migration.run(await with_discovered_sizes(store, cmd))
        except ConsentRevoked as exc:  # nothing works there until the site is connected again
            await migration.fail(cmd, await consent_revoked(store, exc.tenant_id))

    async def on_tenant_removed(event: TenantRemoved, _: Delivery) -> None:
        await forget_tenant(store, event)

    subscribe(
        broker,
        subject=subjects.CMD_ATLASSIAN_DISCOVER,
        stream=COMMANDS,
        durable="atlassian-connector-discover",
        model=DiscoverTenant,
        handler=on_discover,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
    subscribe(
        broker,
        subject=subjects.CMD_ATLASSIAN_MIGRATE,
        stream=COMMANDS,
        durable="atlassian-connector-migrate",
        model=MigrateAtlassianScope,
        handler=on_migrate,
        max_workers=settings.atlassian_job_workers,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
    subscribe(
        broker,
        subject="migrator.evt.tenant.*.TenantRemoved",
        stream=EVENTS,
        durable="atlassian-connector-tenant-removed",
        model=TenantRemoved,
        handler=on_tenant_removed,
        ack_wait_seconds=settings.ack_wait_seconds,
        max_deliver=settings.max_deliver,
    )
