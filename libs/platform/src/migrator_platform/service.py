"""The life of a bus service: build clients once, provision streams, serve, shut down gracefully."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from faststream import FastStream
from faststream.nats import NatsBroker
from migrator_readstore import ReadStore
from migrator_readstore.factory import open_read_store

from migrator_platform.bus import create_broker, provision_streams
from migrator_platform.consumer import configured_durables, consumed_commands, converge_consumers
from migrator_platform.health import answer_health, serve_http_probes
from migrator_platform.metrics import refresh_consumer_lag
from migrator_platform.responder import Responder
from migrator_platform.settings import ServiceSettings
from migrator_platform.structured_logs import configure_logging, get_logger
from migrator_platform.telemetry import configure_tracing
from migrator_platform.workers import WorkerPresence

log = get_logger(__name__)


@dataclass
class Runtime:
    """What bootstrap hands to a service's wiring: its settings and its clients."""

    name: str
    settings: ServiceSettings
    broker: NatsBroker
    store: ReadStore
    ready: bool = False
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    responders: list[Responder] = field(default_factory=list)

    def spawn(self, coro: Coroutine[Any, Any, None], *, name: str) -> None:
        """Run a background loop for the service's lifetime; it is cancelled on shutdown."""
        self._tasks.append(asyncio.create_task(coro, name=name))

    def every(self, seconds: float, action: Callable[[], Awaitable[object]], *, name: str) -> None:
        """Run ``action`` now and then every ``seconds`` until shutdown; a failed pass is logged
        and the next one runs on time."""

        async def loop() -> None:
            while not self.stopping.is_set():
                try:
                    await action()
                except Exception:
                    log.exception("periodic task failed; retrying next time", task=name)
                try:
                    await asyncio.wait_for(self.stopping.wait(), timeout=seconds)
                except TimeoutError:
                    pass

        self.spawn(loop(), name=name)

    async def start_responders(self) -> None:
        """Subscribe the plain request/reply responders (the broker must be connected)."""
        for responder in self.responders:
            await responder.start(self.broker.connection)

    async def stop_responders(self) -> None:
        """No new requests; those in flight finish."""
        await asyncio.gather(*(r.stop() for r in self.responders))


def build_runtime(name: str, settings: ServiceSettings) -> Runtime:
    """Configure logs and traces, build the broker and the read store (nothing connects yet)."""
    configure_logging(service=name, level=settings.log_level, fmt=settings.log_format)
    provider = configure_tracing(
        service=name, exporter=settings.traces_exporter, sample_ratio=settings.traces_sample_ratio
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    broker = create_broker(nats_url=settings.nats_url, service=name, tracer_provider=provider)
    store = open_read_store(
        mongo_url=settings.mongo_url, sqlite_path=settings.sqlite_path, database=settings.mongo_database
    )
    return Runtime(name=name, settings=settings, broker=broker, store=store)


async def run_service(
    runtime: Runtime, *, on_ready: Callable[[Runtime], Awaitable[None]] | None = None
) -> None:
    """Serve until SIGINT/SIGTERM; in-flight handlers finish before the connection drains."""
    app = FastStream(runtime.broker)
    answer_health(runtime, is_ready=lambda: runtime.ready)
    probes: list[asyncio.Server] = []

    @app.on_startup
    async def _provision() -> None:
        await runtime.broker.connect()
        await provision_streams(
            runtime.broker.connection.jetstream(), replicas=runtime.settings.stream_replicas
        )
        await runtime.start_responders()
        if runtime.settings.health_port:
            probes.append(
                await serve_http_probes(port=runtime.settings.health_port, is_ready=lambda: runtime.ready)
            )

    @app.after_startup
    async def _ready() -> None:
        if on_ready is not None:
            await on_ready(runtime)
        js = runtime.broker.connection.jetstream()
        await converge_consumers(js)
        if commands := consumed_commands():
            # Announced before ready: a service that says it is ready can be given work.
            presence = WorkerPresence(lambda: js, interval_seconds=runtime.settings.worker_presence_seconds)
            await presence.announce(commands, service=runtime.name)
            runtime.every(
                presence.interval,
                lambda: presence.announce(commands, service=runtime.name),
                name="worker-presence",
            )
        runtime.ready = await runtime.store.ping()
        runtime.every(
            runtime.settings.consumer_lag_interval_seconds,
            lambda: refresh_consumer_lag(js, configured_durables()),
            name="consumer-lag",
        )
        log.info("service ready", ready=runtime.ready)

    @app.on_shutdown
    async def _stop() -> None:
        runtime.ready = False
        runtime.stopping.set()
        await runtime.stop_responders()
        for task in runtime._tasks:
            task.cancel()
        await asyncio.gather(*runtime._tasks, return_exceptions=True)
        for server in probes:
            server.close()
        log.info("service stopping")

    @app.after_shutdown
    async def _close() -> None:
        await runtime.store.close()

    await app.run()
