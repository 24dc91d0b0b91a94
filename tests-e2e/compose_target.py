"""The compose stack as the suite's target (``MIGRATOR_E2E_TARGET=compose``, ``make e2e-compose``).

It offers the tests what the embedded :class:`~migrator_devstack.stack.Stack` does: the API's
address and key, the simulators' addresses, the bus's URL, and killing, stopping and starting a
service (here: its container). The suite's settings reach every container through an override
file, so both targets run the same tests with the same configuration.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
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
# simulators are called by the same *.localhost names from the containers and the host. The
# gateway is on 8000, and two replicas of it on 8000-8001 (see ComposeStack.gateway_urls).
PUBLISHED = {
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


def compose_command() -> list[str]:
    """``docker compose``, or MIGRATOR_COMPOSE (``make e2e-compose`` sets it to the Compose v2 it
    installed where the Docker CLI has no compose plugin)."""
    return shlex.split(os.environ.get("MIGRATOR_COMPOSE", "docker compose"))


def compose_files() -> list[Path]:
    """compose.yaml, then MIGRATOR_COMPOSE_OVERRIDES (``:``-separated, relative to the project):
    deploy/compose/no-registry.yaml where no registry is reachable."""
    extra = [part for part in os.environ.get("MIGRATOR_COMPOSE_OVERRIDES", "").split(":") if part]
    return [ROOT / "compose.yaml", *(ROOT / part for part in extra)]


def compose(*args: str, override: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    files = [*compose_files(), *([override] if override else [])]
    return subprocess.run(
        [*compose_command(), "-p", PROJECT, *(arg for path in files for arg in ("-f", str(path))), *args],
        cwd=ROOT,
        check=check,
        capture_output=True,
        text=True,
        env={**os.environ, **_compose_env},
    )


def docker(*args: str) -> subprocess.CompletedProcess[str]:
    """The Docker CLI on one container (compose's commands act on every replica of a service)."""
    return subprocess.run(
        ["docker", *args], check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


class _Container:
    """What the suite reads of a process, for a container: ``poll()`` is None while it runs."""

    def __init__(self, container: str) -> None:
        self.container = container

    def poll(self) -> int | None:
        state = docker(
            "inspect", "-f", "{{.State.Running}} {{.State.ExitCode}}", self.container
        ).stdout.split()
        if state[:1] == ["true"]:
            return None
        return int(state[1]) if len(state) == 2 and state[1].isdigit() else 1


@dataclass
class ServiceHandle:
    """One container (a replica of a compose service), standing in for an embedded process; named
    as the embedded stack names its processes: ``scheduler``, then ``scheduler.2``."""

    name: str
    log_dir: Path
    number: int = 1  # compose's number of the container (`docker compose port --index`)
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def service(self) -> str:
        return self.name.partition(".")[0]

    @property
    def container(self) -> str:
        return f"{PROJECT}-{self.service}-{self.number}"

    @property
    def popen(self) -> _Container:
        return _Container(self.container)

    @property
    def log_path(self) -> Path:
        """The container's output so far, written where the embedded stack keeps its logs."""
        return self.save_log()

    def save_log(self) -> Path:
        path = self.log_dir / f"{self.name}.log"
        path.write_text(docker("logs", self.container).stdout)
        return path

    def stop(self, *, timeout: float = 10.0) -> None:
        docker("stop", "-t", str(int(timeout)), self.container)

    def kill(self) -> None:
        docker("kill", "-s", "KILL", self.container)

    def start(self) -> None:
        docker("start", self.container)


@dataclass
class ComposeStack:
    """``docker compose up`` of compose.yaml with the suite's settings; ``scale`` runs more
    replicas of every service, as ``docker compose up --scale`` does."""

    data_dir: Path
    env: dict[str, str]
    api_key: str = ""
    org_id: str = ""
    procs: dict[str, ServiceHandle] = field(default_factory=dict)
    replicas: int = 1

    @property
    def log_dir(self) -> Path:
        """Every service's output so far, one file each, as the embedded stack keeps them."""
        for name in self.replica_names():
            self.procs[name].save_log()
        return self.data_dir / "logs"

    @property
    def api_url(self) -> str:
        return self.gateway_urls[0]

    @property
    def gateway_urls(self) -> list[str]:
        """Every gateway replica's API address: 8000 for one, a port each of 8000-8001 for two."""
        return [self._published(name, "8000") for name in self.replica_names("gateway")]

    def _published(self, name: str, port: str) -> str:
        handle = self.procs[name]
        out = compose("port", "--index", str(handle.number), handle.service, port, check=False).stdout
        return f"http://127.0.0.1:{out.strip().rsplit(':', 1)[-1]}"

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
        self._override()
        for name in ("nats", "mongo", "azurite", "m365-simulator", "atlassian-simulator"):
            self.procs[name] = ServiceHandle(name, logs)
        self.procs["m365-simulator"].urls = {"base": PUBLISHED["m365-simulator"]}
        self.procs["atlassian-simulator"].urls = {"base": PUBLISHED["atlassian-simulator"]}
        self.env = {**self.env, "MIGRATOR_NATS_URL": PUBLISHED["nats"]}
        self.scale(self.replicas, timeout=timeout, build=True)

    def scale(self, replicas: int, *, timeout: float = 600.0, build: bool = False) -> None:
        """``replicas`` containers of every service (``up --scale``); killed ones are started."""
        self._up(dict.fromkeys(SERVICES, replicas), timeout=timeout, build=build)
        self.replicas = replicas
        self.wait_ready(timeout=timeout)

    def start_extra_gateway(self, *, port: int) -> str:
        """A second gateway replica (``--scale gateway=2``; ``port`` is the embedded stack's): its
        URL. The next ``scale`` sets the gateway's replicas again."""
        self._up({**dict.fromkeys(SERVICES, self.replicas), "gateway": 2})
        return self._published("gateway.2", "8000")

    def _up(self, replicas: dict[str, int], *, timeout: float = 600.0, build: bool = False) -> None:
        scale = [arg for name, count in replicas.items() for arg in ("--scale", f"{name}={count}")]
        # Gateways publish a port each from 8000 on. Docker hands out a range's ports in turn, so
        # with one replica the range would not keep 8000, where consent redirects (MIGRATOR_PUBLIC_URL).
        gateways = replicas["gateway"]
        _compose_env["MIGRATOR_GATEWAY_PORT"] = "8000" if gateways == 1 else f"8000-{8000 + gateways - 1}"
        wait = ["--wait", "--wait-timeout", str(int(timeout))]
        build_args = ["--build"] if build else []
        up = compose("up", *build_args, "--detach", *wait, *scale, override=self._override_path, check=False)
        if up.returncode:
            raise RuntimeError(f"docker compose up failed:\n{up.stderr[-4000:]}")
        self._adopt()

    def _adopt(self) -> None:
        """A handle for each running container of a service, named in the order of compose's
        numbers (``gateway``, ``gateway.2``). Scaling down, compose keeps the containers it
        chooses (a running one over one a test killed), not always the lowest numbers."""
        out = compose("ps", "--format", "json", override=self._override_path).stdout.strip()
        rows = json.loads(out) if out.startswith("[") else [json.loads(line) for line in out.splitlines()]
        numbers: dict[str, list[int]] = {}
        for row in rows:
            if row["Service"] in SERVICES:
                numbers.setdefault(row["Service"], []).append(int(row["Name"].rsplit("-", 1)[1]))
        for name in [name for name in self.procs if name.partition(".")[0] in SERVICES]:
            del self.procs[name]
        for service, found in numbers.items():
            for replica, number in enumerate(sorted(found), start=1):
                name = service if replica == 1 else f"{service}.{replica}"
                self.procs[name] = ServiceHandle(name, self.data_dir / "logs", number=number)

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
        """(Re)start one replica's container (``name`` may also be a replica's, ``scheduler.2``)."""
        service, _, number = name.partition(".")
        index = int(number) if number else replica
        self.procs[service if index == 1 else f"{service}.{index}"].start()

    def replica_names(self, service: str | None = None) -> list[str]:
        services = [service] if service else list(SERVICES)
        return [s if r == 1 else f"{s}.{r}" for s in services for r in range(1, self.replicas + 1)]

    def ops_url(self, name: str) -> str:
        return self._published(name, OPS_PORT)

    @contextmanager
    def outage(self, name: str) -> Iterator[None]:
        self.procs[name].kill()
        try:
            yield
        finally:
            self.procs[name].start()

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
        # Every container's output stays with the test run, and where MIGRATOR_E2E_COMPOSE_LOGS
        # says (make e2e-compose: .migrator/e2e-compose/logs), since the containers go.
        for handle in self.procs.values():
            handle.save_log()
        keep = os.environ.get("MIGRATOR_E2E_COMPOSE_LOGS")
        if keep:
            shutil.copytree(self.data_dir / "logs", ROOT / keep, dirs_exist_ok=True)
        compose(
            "down",
            "--volumes",
            "--remove-orphans",
            override=getattr(self, "_override_path", None),
            check=False,
        )
