"""The compose stack as the suite's target (``MIGRATOR_E2E_TARGET=compose``, ``make e2e-compose``).

It offers the tests what the embedded :class:`~migrator_devstack.stack.Stack` does: the API's
address and key, the simulators' addresses, the bus's URL, and killing, stopping and starting a
service (here: its container). The suite's settings reach every container through an override
file, so both targets run the same tests with the same configuration.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from migrator_devstack.secrets import load_or_create

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "migrator-e2e"
SERVICES = (
    "gateway",
    "scheduler",
    "sp-connector",
    "mail-teams-connector",
    "atlassian-connector",
    "device-hub",
    "log-stream",
)
# What the host reaches of the stack: compose.yaml publishes these ports on loopback. The
# simulators are called by the same *.localhost names from the containers and the host.
PUBLISHED = {
    "gateway": "http://127.0.0.1:8000",
    "nats": "nats://127.0.0.1:4222",
    "m365-simulator": "http://m365-simulator.localhost:18080",
    "atlassian-simulator": "http://atlassian-simulator.localhost:18081",
}
OPS_PORT = "8081"  # MIGRATOR_HEALTH_PORT in compose.yaml: /healthz, /readyz, /metrics


def _resolve_localhost_names() -> None:
    """Resolve ``*.localhost`` to loopback in this process, as RFC 6761 asks and browsers do;
    glibc does not, and the consent links name the simulators so."""
    original = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return original(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


# compose.yaml reads its secrets from the environment (``${MIGRATOR_SECRETS_KEY:?…}``).
_compose_env: dict[str, str] = {}


def compose(*args: str, override: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    files = ["-f", str(ROOT / "compose.yaml")] + (["-f", str(override)] if override else [])
    return subprocess.run(
        ["docker", "compose", "-p", PROJECT, *files, *args],
        cwd=ROOT,
        check=check,
        capture_output=True,
        text=True,
        env={**os.environ, **_compose_env},
    )


class _Container:
    """What the suite reads of a process, for a container: ``poll()`` is None while it runs."""

    def __init__(self, name: str) -> None:
        self.name = name

    def poll(self) -> int | None:
        out = compose("ps", "--all", "--format", "json", self.name).stdout.strip()
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        if rows and rows[0].get("State") == "running":
            return None
        return int(rows[0].get("ExitCode", 1)) if rows else 1


@dataclass
class ServiceHandle:
    """One compose service, standing in for an embedded process."""

    name: str
    log_dir: Path
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def popen(self) -> _Container:
        return _Container(self.name)

    @property
    def log_path(self) -> Path:
        """The container's output so far, written where the embedded stack keeps its logs."""
        return self.save_log()

    def save_log(self) -> Path:
        path = self.log_dir / f"{self.name}.log"
        path.write_text(compose("logs", "--no-color", "--no-log-prefix", self.name).stdout)
        return path

    def stop(self, *, timeout: float = 10.0) -> None:
        compose("stop", "-t", str(int(timeout)), self.name)

    def kill(self) -> None:
        compose("kill", "-s", "SIGKILL", self.name)


@dataclass
class ComposeStack:
    """``docker compose up`` of compose.yaml with the suite's settings."""

    data_dir: Path
    env: dict[str, str]
    api_key: str = ""
    org_id: str = ""
    procs: dict[str, ServiceHandle] = field(default_factory=dict)
    replicas: int = 1

    @property
    def log_dir(self) -> Path:
        """Every service's output so far, one file each, as the embedded stack keeps them."""
        if self.procs:
            self.save_logs()
        return self.data_dir / "logs"

    def save_logs(self) -> None:
        for name in SERVICES:
            self.procs[name].save_log()

    @property
    def api_url(self) -> str:
        return PUBLISHED["gateway"]

    @property
    def gateway_urls(self) -> list[str]:
        return [self.api_url]

    def start(self, *, timeout: float = 600.0) -> None:
        logs = self.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.org_id, self.api_key = self.env["MIGRATOR_BOOTSTRAP_KEYS"].split(",")[0].split(":", 1)
        generated = load_or_create(self.data_dir)
        self.env = {
            "MIGRATOR_SECRETS_KEY": generated["secrets_key"],
            "MIGRATOR_M365_CLIENT_SECRET": generated["m365_client_secret"],
            "MIGRATOR_ATLASSIAN_CLIENT_SECRET": generated["atlassian_client_secret"],
            **self.env,
        }
        # compose.yaml's required variables; the override then sets every organisation's key.
        _compose_env.update(
            {
                "MIGRATOR_ORG_ID": self.org_id,
                "MIGRATOR_API_KEY": self.api_key,
                "MIGRATOR_SECRETS_KEY": self.env["MIGRATOR_SECRETS_KEY"],
                "MIGRATOR_M365_CLIENT_SECRET": self.env["MIGRATOR_M365_CLIENT_SECRET"],
                "MIGRATOR_ATLASSIAN_CLIENT_SECRET": self.env["MIGRATOR_ATLASSIAN_CLIENT_SECRET"],
            }
        )
        _resolve_localhost_names()
        override = self._override()
        for name in (*SERVICES, "nats", "mongo", "azurite", "m365-simulator", "atlassian-simulator"):
            self.procs[name] = ServiceHandle(name, logs)
        self.procs["m365-simulator"].urls = {"base": PUBLISHED["m365-simulator"]}
        self.procs["atlassian-simulator"].urls = {"base": PUBLISHED["atlassian-simulator"]}
        self.env = {**self.env, "MIGRATOR_NATS_URL": PUBLISHED["nats"]}
        up = compose(
            "up", "--build", "--detach", "--wait", "--wait-timeout", str(int(timeout)), override=override
        )
        if up.returncode:
            raise RuntimeError(f"docker compose up failed:\n{up.stderr[-4000:]}")
        self.wait_ready(timeout=timeout)

    def _override(self) -> Path:
        """The suite's settings for every container, and the host's trace receiver reachable."""
        service_env = {k: v for k, v in self.env.items() if k.startswith(("MIGRATOR_", "OTEL_"))}
        if "OTEL_EXPORTER_OTLP_ENDPOINT" in service_env:
            service_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = service_env["OTEL_EXPORTER_OTLP_ENDPOINT"].replace(
                "127.0.0.1", "host.docker.internal"
            )
        services: dict[str, Any] = {
            name: {
                "environment": dict(service_env),
                "extra_hosts": ["host.docker.internal:host-gateway"],
                "ports": [f"127.0.0.1::{OPS_PORT}"],  # each operations port on a free host port
            }
            for name in SERVICES
        }
        services["m365-simulator"] = {
            "environment": {k: v for k, v in self.env.items() if k.startswith("M365SIM_")}
        }
        services["atlassian-simulator"] = {
            "environment": {k: v for k, v in self.env.items() if k.startswith("ATLSIM_")}
        }
        path = self.data_dir / "compose.e2e.yaml"
        path.write_text(yaml.safe_dump({"services": services}, sort_keys=True))
        self._override_path = path
        return path

    def kill_service(self, name: str) -> None:
        self.procs[name].kill()

    def start_service(self, name: str, *, replica: int = 1) -> None:
        compose("start", name)

    def replica_names(self, service: str | None = None) -> list[str]:
        return [service] if service else list(SERVICES)

    def ops_url(self, name: str) -> str:
        port = compose("port", name, OPS_PORT).stdout.strip().rsplit(":", 1)[-1]
        return f"http://127.0.0.1:{port}"

    @contextmanager
    def outage(self, name: str) -> Iterator[None]:
        self.procs[name].kill()
        try:
            yield
        finally:
            compose("start", name)

    def wait_ready(self, *, timeout: float = 120.0) -> None:
        deadline, last = time.monotonic() + timeout, "no answer"
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{self.api_url}/readyz", timeout=2.0)
                if response.status_code == 200:
                    return
                last = response.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.5)
        raise TimeoutError(f"compose stack not ready after {timeout}s: {last}")

    def stop(self) -> None:
        self.save_logs()  # each service's output stays with the test run
        compose(
            "down",
            "--volumes",
            "--remove-orphans",
            override=getattr(self, "_override_path", None),
            check=False,
        )
