"""The whole system, shared by the end-to-end tests: started as `make run` starts it (the
default), or as `docker compose up` of compose.yaml when MIGRATOR_E2E_TARGET=compose
(`make e2e-compose`). The same tests run against both; the few that reach into the embedded
stack's files and processes are marked ``embedded_only``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from compose_target import ComposeStack
from migrator_devstack import infra
from migrator_devstack.secrets import new_api_key
from migrator_devstack.stack import Stack
from support import (
    CONSENT_TTL_SECONDS,
    FUZZ_KEY,
    ORGANISATIONS,
    OTHER_KEY,
    RATE_KEY,
    SEED_KEY,
    TENANT_DELETE_KEY,
    Organisation,
    connect_contoso_and_fabrikam,
    delete_unfinished_jobs,
)
from trace_sink import TraceSink

TARGET = os.environ.get("MIGRATOR_E2E_TARGET", "embedded")
if TARGET not in ("embedded", "compose"):
    raise pytest.UsageError(f"MIGRATOR_E2E_TARGET must be embedded or compose, not {TARGET!r}")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TARGET != "compose":
        return
    skip = pytest.mark.skip(reason="reaches into the embedded stack (MIGRATOR_E2E_TARGET=compose)")
    for item in items:
        if "embedded_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def trace_sink() -> Iterator[TraceSink]:
    # Containers reach the host's receiver through host.docker.internal, not loopback.
    sink = TraceSink(host="0.0.0.0" if TARGET == "compose" else "127.0.0.1")
    yield sink
    sink.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, trace_sink: TraceSink) -> Iterator[Stack]:
    data_dir: Path = tmp_path_factory.mktemp("migrator")
    extra: dict[str, str] = {}
    mongo = None
    if os.environ.get("MIGRATOR_E2E_STORE") == "mongo-wire" and TARGET == "embedded":
        # The production read-store backend (PyMongo) under the whole system, on a MongoDB wire server.
        mongo = infra.start_mongo_wire(log_dir=data_dir / "logs", data_dir=data_dir / "mongo")
        extra["MIGRATOR_MONGO_URL"] = mongo.urls["mongo"]
    settings = {
        # The first organisation is the stack's own (`make run`'s key); org_OTHER only ever tries
        # to see the tests' data; each test has an organisation of its own from ORGANISATIONS.
        "MIGRATOR_BOOTSTRAP_KEYS": ",".join(
            [
                f"org_E2E:{new_api_key()},org_OTHER:{OTHER_KEY},org_RATE:{RATE_KEY}",
                f"org_TDEL:{TENANT_DELETE_KEY},org_SEED:{SEED_KEY},org_FUZZ:{FUZZ_KEY}",
                *(f"{org.id}:{org.key}" for org in ORGANISATIONS),
            ]
        ),
        "MIGRATOR_ACK_WAIT_SECONDS": "6",
        # Consent links expire quickly, so the expiry can be tested (every flow follows at once).
        "MIGRATOR_CONSENT_TTL_SECONDS": str(CONSENT_TTL_SECONDS),
        # One unit of a job at a time, so a pause visibly holds the rest back.
        "MIGRATOR_UNITS_IN_FLIGHT_PER_JOB": "1",
        "M365SIM_OBJECT_DELAY_MS": "40",
        # AMR splits its manifests at 1 MB rather than 25 MB, so a test site spans several.
        "M365SIM_AMR_MANIFEST_SPLIT_BYTES": str(1024 * 1024),
        # A silent report queue is backed by GetMigrationJobProgress after 3 s, not 60.
        "MIGRATOR_SP_PROGRESS_FALLBACK_SECONDS": "3",
        # The per-tenant request budget of a big tenant would pace the 10,000-item test to
        # 100 calls a second; the simulator takes more.
        "MIGRATOR_SP_REQUESTS_PER_MINUTE": "60000",
        # Log streams send their keep-alive comment often enough for a test to see one.
        "MIGRATOR_SSE_PING_SECONDS": "2",
        # Atlassian migrations are read every second, not every five.
        "MIGRATOR_ATLASSIAN_POLL_SECONDS": "1",
        # The suite creates more Atlassian jobs a minute than the real budget of 5 allows;
        # the pacing itself is tested in atlassian-connector's integration tests.
        "MIGRATOR_ATLASSIAN_CREATES_PER_MINUTE": "60",
        "ATLSIM_CREATES_PER_MINUTE": "60",
        "MIGRATOR_LOG_LEVEL": "INFO",
        # Services say what they consume every second, so a stopped connector is missed within 3 s.
        "MIGRATOR_WORKER_PRESENCE_SECONDS": "1",
        # Every service exports spans to the suite's receiver, but records only the traces a
        # caller asks for (a sampled traceparent): the rest of the suite pays nothing for it.
        "MIGRATOR_TRACES_EXPORTER": "otlp",
        "MIGRATOR_TRACES_SAMPLE_RATIO": "0",
        "OTEL_EXPORTER_OTLP_ENDPOINT": trace_sink.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
        **extra,
    }
    if TARGET == "compose":
        target = ComposeStack(data_dir=data_dir, env=settings)
        try:
            target.start()
            yield target  # type: ignore[misc]  # ComposeStack offers the surface the tests use
        finally:
            target.stop()
        return
    stack = Stack(data_dir=data_dir, http_port=infra.free_port(), env=settings)
    if mongo is not None:
        stack.procs["mongo"] = mongo  # so a test can restart the database under the running system
    try:
        stack.start(timeout=120)
        yield stack
    finally:
        stack.stop()
        if "mongo" in stack.procs:
            stack.procs["mongo"].stop()


@pytest.fixture(autouse=True)
def faults_end_with_the_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test's simulator faults are its own: whatever it switched on (faults, Atlassian check
    outcomes) is off when it ends, passed or failed, before the next test starts."""
    yield
    if "stack" not in request.fixturenames:
        return
    stack = request.getfixturevalue("stack")
    resets = {
        "m365-simulator": [("DELETE", "/_sim/faults", None)],
        "atlassian-simulator": [("DELETE", "/_sim/faults", None)]
        + [("POST", "/_sim/checks", {"flow": flow, "outcomes": {}}) for flow in ("jira", "confluence")],
    }
    for name, calls in resets.items():
        proc = stack.procs.get(name)
        for method, path, body in calls if proc is not None else []:
            try:
                httpx.request(method, proc.urls["base"] + path, json=body, timeout=10).raise_for_status()
            except httpx.TransportError:
                break  # the test stopped that simulator: it fails on its own account


@pytest.fixture(scope="session")
def unused_organisations() -> Iterator[Organisation]:
    return iter(ORGANISATIONS)


@pytest.fixture
def organisation(unused_organisations: Iterator[Organisation]) -> Organisation:
    """An organisation no other test uses."""
    org = next(unused_organisations, None)
    if org is None:
        raise pytest.UsageError(f"every one of the {len(ORGANISATIONS)} ORGANISATIONS is taken: add more")
    return org


@pytest.fixture
def api(stack: Stack, organisation: Organisation) -> Iterator[httpx.Client]:
    """The API as the test's own organisation; a job the test leaves unfinished is deleted when
    it ends, so that it takes no capacity or simulator fault from the tests after it."""
    with httpx.Client(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {organisation.key}"}, timeout=30
    ) as client:
        yield client
        delete_unfinished_jobs(client)


@pytest.fixture(scope="session")
def simulator(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.procs["m365-simulator"].urls["base"], timeout=30) as client:
        yield client


@pytest.fixture
def tenants(api: httpx.Client) -> dict[str, str]:
    """contoso.com (source) and fabrikam.com (destination), connected to the test's organisation."""
    return connect_contoso_and_fabrikam(api)


@pytest.fixture(scope="session")
def other_org_api(stack: Stack) -> Iterator[httpx.Client]:
    """A client of another organisation on the same deployment."""
    with httpx.Client(
        base_url=stack.api_url, headers={"Authorization": f"Bearer {OTHER_KEY}"}, timeout=30
    ) as client:
        yield client
