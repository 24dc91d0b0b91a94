"""Every subscription: the tenant requests (connect, consent, register a server), the discovery
and migration commands, and tenant removal."""

from __future__ import annotations

import json

from faststream.nats.annotations import NatsMessage
from migrator_contracts import subjects
from migrator_contracts.commands import DiscoverTenant, MigrateAtlassianScope
from migrator_contracts.events import TenantRemoved
from migrator_contracts.rpc import (
    ConnectTenantRequest,
    ConsentReply,
    ConsentRequest,
    RegisterServer,
    RegisterServerReply,
)
from migrator_contracts.streams import COMMANDS, EVENTS
from migrator_platform.consumer import Delivery, subscribe
from migrator_platform.service import Runtime
from pydantic import ValidationError

from migrator_atlassian_connector.config import AtlassianSettings
from migrator_atlassian_connector.migration.runner import AtlassianMigration
from migrator_atlassian_connector.migration.sizes import with_discovered_sizes
from migrator_atlassian_connector.tenants.connect import Connections, Refusal
from migrator_atlassian_connector.tenants.discovery import Discovery
from migrator_atlassian_connector.tenants.removal import forget_tenant

RPC_QUEUE = "atlassian-connector-rpc"


def wire(
    runtime: Runtime,
    settings: AtlassianSettings,
    *,
    connections: Connections,
    discovery: Discovery,
    migration: AtlassianMigration,
) -> None:
    broker, store = runtime.broker, runtime.store

    @broker.subscriber(subjects.RPC_ATLASSIAN_CONNECT, queue=RPC_QUEUE, title="atlassian:connect")
    async def _connect(msg: NatsMessage) -> bytes:
        try:
            request = ConnectTenantRequest.model_validate(json.loads(msg.body))
        except (ValueError, ValidationError) as exc:
            return json.dumps({"error": f"invalid request: {exc}"[:300]}).encode()
        return (await connections.start_consent(request)).to_json()

    @broker.subscriber(subjects.RPC_ATLASSIAN_CONSENT, queue=RPC_QUEUE, title="atlassian:consent")
    async def _consent(msg: NatsMessage) -> bytes:
        try:
            request = ConsentRequest.model_validate(json.loads(msg.body))
        except (ValueError, ValidationError):
            return ConsentReply(ok=False, code="STATE_INVALID", error="Malformed consent callback").to_json()
        return (await connections.complete_consent(request)).to_json()

    @broker.subscriber(subjects.RPC_ATLASSIAN_REGISTER, queue=RPC_QUEUE, title="atlassian:register")
    async def _register(msg: NatsMessage) -> bytes:
        try:
            request = RegisterServer.model_validate(json.loads(msg.body))
            tenant = await connections.register_server(request)
            return RegisterServerReply(ok=True, tenant_id=tenant["tenantId"]).to_json()
        except (ValueError, ValidationError) as exc:
            return RegisterServerReply(ok=False, code="VALIDATION_ERROR", error=str(exc)[:300]).to_json()
        except Refusal as exc:
            return RegisterServerReply(ok=False, code=exc.code, error=exc.message).to_json()

    async def on_discover(cmd: DiscoverTenant, _: Delivery) -> None:
        await discovery.discover(cmd)

    async def on_migrate(cmd: MigrateAtlassianScope, _: Delivery) -> None:
        await migration.run(await with_discovered_sizes(store, cmd))

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
