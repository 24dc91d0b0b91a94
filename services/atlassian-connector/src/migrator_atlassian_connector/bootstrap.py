"""The one place that builds atlassian-connector's clients and wires them together."""

from __future__ import annotations

import json

import httpx
from faststream.nats.annotations import NatsMessage
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import DiscoverTenant, MigrateAtlassianScope
from migrator_contracts.enums import JobType
from migrator_contracts.events import TenantRemoved
from migrator_contracts.rpc import (
    ConnectTenantRequest,
    ConsentReply,
    ConsentRequest,
    RegisterServer,
    RegisterServerReply,
)
from migrator_contracts.streams import COMMANDS, EVENTS
from migrator_platform.bus import BusPublisher
from migrator_platform.consumer import Delivery, subscribe
from migrator_platform.secret_box import SecretBox
from migrator_platform.service import Runtime, build_runtime, run_service
from pydantic import ValidationError

from migrator_atlassian_connector.config import AtlassianSettings
from migrator_atlassian_connector.migration.api import Budgets, MigrationApi
from migrator_atlassian_connector.migration.runner import AtlassianMigration, Resolve, Target
from migrator_atlassian_connector.tenants.connect import Connections, Refusal
from migrator_atlassian_connector.tenants.credentials import Credentials
from migrator_atlassian_connector.tenants.discovery import Discovery
from migrator_atlassian_connector.tenants.removal import forget_tenant

RPC_QUEUE = "atlassian-connector-rpc"


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
        source, dest = await tenants.get(cmd.source_tenant_id), await tenants.get(cmd.dest_tenant_id)
        if source is None or dest is None:
            raise LookupError("a tenant of the job is no longer connected")

        async def token() -> str:
            return await credentials.access_token(cmd.dest_tenant_id)

        api = MigrationApi(
            http, base_url=settings.atlassian_api_url, access_token=token, budget=budgets.of(dest["domain"])
        )
        return Target(api=api, server_id=str(source["externalTenantId"]), site_url=str(dest["siteUrl"]))

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
        )

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
                return ConsentReply(
                    ok=False, code="STATE_INVALID", error="Malformed consent callback"
                ).to_json()
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

        async def on_migrate(cmd: MigrateAtlassianScope, delivery: Delivery) -> None:
            await migration.run(await with_sizes(cmd))

        async def with_sizes(cmd: MigrateAtlassianScope) -> MigrateAtlassianScope:
            """Each unit's size as discovered: a project finished between two readings shows no
            progress of its own, and its issues still count."""
            name, field = (
                (readmodels.DISCOVERED_PROJECTS, "issueCount")
                if cmd.job_type == JobType.JIRA
                else (readmodels.DISCOVERED_SPACES, "pageCount")
            )
            found = store.collection(name)
            units = []
            for unit in cmd.units:
                doc = await found.get(f"{cmd.source_tenant_id}:{unit.key}")
                units.append(
                    unit.model_copy(update={"total_items": int((doc or {}).get(field) or unit.total_items)})
                )
            return cmd.model_copy(update={"units": units})

        for subject, durable, model, handler, workers in (
            (subjects.CMD_ATLASSIAN_DISCOVER, "atlassian-connector-discover", DiscoverTenant, on_discover, 1),
            (
                subjects.CMD_ATLASSIAN_MIGRATE,
                "atlassian-connector-migrate",
                MigrateAtlassianScope,
                on_migrate,
                settings.atlassian_job_workers,
            ),
        ):
            subscribe(
                broker,
                subject=subject,
                stream=COMMANDS,
                durable=durable,
                model=model,
                handler=handler,  # type: ignore[arg-type]
                ack_wait_seconds=settings.ack_wait_seconds,
                max_deliver=settings.max_deliver,
                max_workers=workers,
            )

        async def on_tenant_removed(event: TenantRemoved, _: Delivery) -> None:
            await forget_tenant(store, event)

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

        async def on_ready(rt: Runtime) -> None:
            await ensure_indexes(rt)

        await run_service(runtime, on_ready=on_ready)
