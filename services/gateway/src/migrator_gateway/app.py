"""The gateway application: routes, error handling, and the lifespan that owns its clients."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from faststream.nats import NatsBroker
from migrator_contracts import subjects
from migrator_contracts.events import ApiKeyRevoked
from migrator_platform.bus import create_broker, declare_sends, provision_streams
from migrator_platform.health import serve_http_probes
from migrator_platform.metrics import HttpMetrics
from migrator_platform.structured_logs import get_logger
from migrator_platform.telemetry import configure_tracing
from migrator_platform.workers import WorkerPresence
from migrator_readstore import open_read_store
from nats.aio.msg import Msg

from migrator_gateway.api import hot_reads
from migrator_gateway.api.device_limits import DeviceOrgs
from migrator_gateway.api.errors import guard_shadowed_paths, install_error_handlers
from migrator_gateway.api.routes import (
    asyncapi,
    dashboard,
    devices,
    docs,
    health,
    job_logs,
    job_units,
    jobs,
    keys,
    session,
    tenants,
)
from migrator_gateway.auth import sessions
from migrator_gateway.auth.api_keys import KeyCache, ensure_key, parse_bootstrap
from migrator_gateway.config import GatewaySettings
from migrator_gateway.log_tails import LogTails
from migrator_gateway.rate_limit import RateLimiter
from migrator_gateway.sends import SENDS

log = get_logger(__name__)


def create_app(settings: GatewaySettings) -> FastAPI:
    """Build the app; clients are created in the lifespan, once per process."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        provider = configure_tracing(
            service="gateway", exporter=settings.traces_exporter, sample_ratio=settings.traces_sample_ratio
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = open_read_store(
            mongo_url=settings.mongo_url, sqlite_path=settings.sqlite_path, database=settings.mongo_database
        )
        broker = create_broker(nats_url=settings.nats_url, service="gateway", tracer_provider=provider)
        declare_sends(broker, *SENDS)
        await broker.connect()
        await provision_streams(broker.connection.jetstream(), replicas=settings.stream_replicas)
        for org_id, key in parse_bootstrap(settings.bootstrap_keys):
            await ensure_key(store, org_id=org_id, key=key)
        await store.collection("jobs").ensure_index(["orgId", "deleted", "createdAt"])
        app.state.settings, app.state.store, app.state.broker = settings, store, broker
        # Read only: a job type whose command subjects no running connector consumes is refused.
        app.state.presence = WorkerPresence(
            broker.connection.jetstream, interval_seconds=settings.worker_presence_seconds
        )
        app.state.keys = KeyCache(store, ttl_seconds=settings.api_key_cache_seconds)
        await _forget_revoked_keys(broker, app.state.keys)
        app.state.rate_limiter = await RateLimiter.open(
            broker.connection.jetstream(),
            limit=settings.rate_limit_per_minute,
            connected=lambda: broker.connection.is_connected,
        )
        app.state.device_rate_limiter = await RateLimiter.open(
            broker.connection.jetstream(),
            limit=settings.device_rate_limit_per_minute,
            connected=lambda: broker.connection.is_connected,
        )
        app.state.device_orgs = DeviceOrgs(store)
        app.state.log_tails = LogTails(
            broker.connection.jetstream(),
            client_buffer=settings.sse_client_buffer,
            flush_seconds=settings.sse_flush_ms / 1000,
        )
        _end_streams_on_signal(app.state.log_tails)
        # The operations port, as on every service: /metrics for Prometheus, and a /readyz that is
        # this replica's own (connected to the bus), for a load balancer. The API's /readyz asks
        # every service too: one service down must not take every gateway out of rotation.
        probes = (
            await serve_http_probes(
                port=settings.health_port, is_ready=lambda: broker.connection.is_connected
            )
            if settings.health_port
            else None
        )
        log.info("gateway ready", url=settings.base_url)
        try:
            yield
        finally:
            if probes is not None:
                probes.close()
            await app.state.log_tails.close()
            await broker.stop()
            await store.close()

    app = FastAPI(
        title="Migrator API",
        version="1.0.0",
        lifespan=lifespan,
        # /docs is ours (api/routes/docs.py: Swagger UI from the gateway, not a CDN); ReDoc, which
        # FastAPI would also load from a CDN, is not served.
        docs_url=None,
        redoc_url=None,
        # One span per request when traces are exported (the trace then follows the command
        # over NATS); none otherwise, and never spans per dependency or serialisation step,
        # which cost more than the request's own work.
        telemetry={
            "tracing": settings.traces_exporter != "none",
            "operation_spans": False,
            "metrics": False,
            "logs": False,
            "exclude": lambda scope: scope.get("path") in ("/healthz", "/readyz"),
        },
    )
    install_error_handlers(app)
    app.add_middleware(HttpMetrics, skip=frozenset({"/healthz", "/readyz"}))
    _document_bearer_auth(app)
    app.router.routes.extend(hot_reads.ROUTES)  # first: they answer GETs their FastAPI twins document
    for module in (
        health,
        session,
        tenants,
        jobs,
        job_units,
        job_logs,
        devices,
        keys,
        asyncapi,
        docs,
        dashboard,
    ):
        # Routes straight on the app: FastAPI walks every included router's routes again on
        # each request (a fifth of a read's CPU here). Ours already carry their prefix and
        # docs, and the routers add no dependencies, so nothing else changes.
        app.router.routes.extend(module.router.routes)
    guard_shadowed_paths(app)
    return app


async def _forget_revoked_keys(broker: NatsBroker, keys: KeyCache) -> None:
    """Every replica hears of a revocation at once (core NATS: each replica its own copy) and
    forgets the key, so it stops working everywhere, not a cache lifetime later. A replica cut
    off from the bus meanwhile lets the key go when its cache entry expires."""

    async def revoked(msg: Msg) -> None:
        try:
            keys.forget(ApiKeyRevoked.model_validate_json(msg.data).key_id)
        except ValueError as exc:
            log.warning("unreadable ApiKeyRevoked ignored", subject=msg.subject, error=str(exc))

    await broker.connection.subscribe(subjects.apikey_event("*", "ApiKeyRevoked"), cb=revoked)


def _end_streams_on_signal(tails: LogTails) -> None:
    """On SIGTERM/SIGINT, end the live log streams first. uvicorn waits for open connections
    before it shuts the app down, and a log stream stays open until its job ends: without this,
    every stop would wait out the graceful-shutdown timeout. uvicorn has installed its own
    handlers by now; ours runs, then calls it."""
    if threading.current_thread() is not threading.main_thread():
        return  # served in a thread (a test client): signals are not ours to take
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue

        def handler(signum: int, frame: FrameType | None, previous: Callable[..., Any] = previous) -> None:
            loop.call_soon_threadsafe(tails.end_all_streams)
            previous(signum, frame)

        signal.signal(sig, handler)


PUBLIC_PATHS = (
    "/v1/tenants/callback",  # reached by the admin's browser, authenticated by state
    # called by agents, authenticated by the device secret (registering: by the enrolment token
    # when the organisation requires one)
    "/v1/devices/register",
    "/v1/devices/checkin",
    "/v1/devices/result",
)


def _document_bearer_auth(app: FastAPI) -> None:
    """Declare the API-key scheme in /openapi.json, so generated clients send the key.

    Authentication is the ``Caller`` dependency rather than FastAPI's security classes,
    which would add a dependency (and its cost) to every request.
    """

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key: tmk_live_… or tmk_test_…",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": sessions.COOKIE,
                    "description": "The dashboard's session (POST /v1/session). POST, PUT, PATCH and "
                    f"DELETE also need its {sessions.CSRF_HEADER} header.",
                },
            }
            for path, operations in schema["paths"].items():
                if path.startswith("/v1/") and path not in PUBLIC_PATHS:
                    for method, operation in operations.items():
                        operation["security"] = _security(path, method)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _security(path: str, method: str) -> list[dict[str, list[str]]]:
    """Either the API key or the dashboard's session; signing in takes the key in its body."""
    if path == "/v1/session":
        return [] if method == "post" else [{"sessionCookie": []}]
    return [{"bearerAuth": []}, {"sessionCookie": []}]
