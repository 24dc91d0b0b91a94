"""Subscribing the tenant handlers: consent request/reply, discovery and revocation."""

from __future__ import annotations

import json

import httpx
from faststream.nats.annotations import NatsMessage
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import DiscoverTenant, RevokeTenant
from migrator_contracts.rpc import ConnectTenantRequest, ConsentReply, ConsentRequest
from migrator_contracts.streams import COMMANDS
from migrator_microsoft.endpoints import Endpoints
from migrator_microsoft.graph import GraphClient
from migrator_microsoft.identity import ClientCredentials, TenantTokens
from migrator_platform.consumer import Delivery, subscribe
from migrator_platform.service import Runtime
from migrator_platform.structured_logs import get_logger
from pydantic import ValidationError

from migrator_sp_connector.config import ConnectorSettings
from migrator_sp_connector.tenants.consent import complete_consent, start_consent
from migrator_sp_connector.tenants.discovery import discover_tenant
from migrator_sp_connector.tenants.removal import revoke_tenant
from migrator_sp_connector.tenants.tokens import tenant_tokens

log = get_logger(__name__)


def register(
    runtime: Runtime,
    settings: ConnectorSettings,
    *,
    http: httpx.AsyncClient,
    endpoints: Endpoints,
    credentials: ClientCredentials,
) -> TenantTokens:
    """Wire consent and discovery; returns the tenants' tokens the site migrations use too."""
    store, broker = runtime.store, runtime.broker
    tokens = tenant_tokens(store, credentials)
    graph = GraphClient(http, endpoints=endpoints, tokens=tokens, page_size=settings.graph_page_size)

    @broker.subscriber(subjects.RPC_TENANT_CONNECT, queue="sp-connector-rpc", title="tenants:connect")
    async def _connect(msg: NatsMessage) -> bytes:
        try:
            request = ConnectTenantRequest.model_validate(json.loads(msg.body))
        except (ValueError, ValidationError) as exc:
            return json.dumps({"error": f"invalid request: {exc}"[:300]}).encode()
        return (await start_consent(request, store=store, endpoints=endpoints, settings=settings)).to_json()

    @broker.subscriber(subjects.RPC_TENANT_CONSENT, queue="sp-connector-rpc", title="tenants:consent")
    async def _consent(msg: NatsMessage) -> bytes:
        try:
            request = ConsentRequest.model_validate(json.loads(msg.body))
        except (ValueError, ValidationError):
            return ConsentReply(ok=False, code="STATE_INVALID", error="Malformed consent callback").to_json()
        reply = await complete_consent(request, store=store, credentials=credentials, broker=broker)
        return reply.to_json()

    async def on_discover(cmd: DiscoverTenant, _: Delivery) -> None:
        await discover_tenant(cmd, graph=graph, store=store, broker=broker)

    async def on_revoke(cmd: RevokeTenant, _: Delivery) -> None:
        tokens.forget(cmd.tenant_id)
        await revoke_tenant(cmd, store=store, broker=broker)

    commands = (
        (subjects.CMD_TENANT_DISCOVER, "sp-connector-discover", DiscoverTenant, on_discover),
        (subjects.CMD_TENANT_REVOKE, "sp-connector-revoke", RevokeTenant, on_revoke),
    )
    for subject, durable, model, handler in commands:
        subscribe(
            broker,
            subject=subject,
            stream=COMMANDS,
            durable=durable,
            model=model,
            handler=handler,  # type: ignore[arg-type]
            ack_wait_seconds=settings.ack_wait_seconds,
            max_deliver=settings.max_deliver,
        )
    return tokens


async def ensure_indexes(runtime: Runtime) -> None:
    """Indexes the tenant read models are queried by."""
    store = runtime.store
    await store.collection(readmodels.TENANTS).ensure_index(["orgId", "domain"], unique=True)
    for name in (
        readmodels.DISCOVERED_USERS,
        readmodels.DISCOVERED_SITES,
        readmodels.DISCOVERED_TEAMS,
        readmodels.DISCOVERY_JOBS,
    ):
        await store.collection(name).ensure_index(["tenantId"])
