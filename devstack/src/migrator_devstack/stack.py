"""The whole system on one machine: infrastructure, simulator and every service, supervised.

``make run`` uses it interactively; the end-to-end tests use it to start the real system,
and to kill and restart single services in the middle of a job.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from migrator_devstack import infra
from migrator_devstack.secrets import load_or_create, new_api_key

SERVICES = {
    "scheduler": "migrator_scheduler",
    "sp-connector": "migrator_sp_connector",
    "mail-teams-connector": "migrator_mail_teams_connector",
    "atlassian-connector": "migrator_atlassian_connector",
    "device-hub": "migrator_device_hub",
    "log-stream": "migrator_log_stream",
    "gateway": "migrator_gateway",
}


def replica_name(service: str, replica: int) -> str:
    """A process's name: the service's for its first replica, ``scheduler.2`` for the second."""
    return service if replica == 1 else f"{service}.{replica}"


@dataclass
class Stack:
    """Starts and stops everything; ``env`` overrides what the services see. ``replicas``
    processes of every service share the bus and the store, as replicas do in a cluster."""

    data_dir: Path
    http_port: int = 8000
    env: dict[str, str] = field(default_factory=dict)
    procs: dict[str, infra.Proc] = field(default_factory=dict)
    api_key: str = ""
    org_id: str = ""
    replicas: int = 1
    # Each process's operations port (/healthz, /readyz, /metrics), kept across restarts.
    ops_ports: dict[str, int] = field(default_factory=dict)
    gateway_ports: dict[str, int] = field(default_factory=dict)

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def gateway_urls(self) -> list[str]:
        """Every gateway replica's API address (the first is ``api_url``)."""
        return [f"http://127.0.0.1:{port}" for port in self.gateway_ports.values()]

    def replica_names(self, service: str | None = None) -> list[str]:
        """The process names of one service's replicas, or of every service's."""
        services = [service] if service else list(SERVICES)
        return [replica_name(s, r) for s in services for r in range(1, self.replicas + 1)]

    def ops_url(self, name: str) -> str:
        """Where one process serves /healthz, /readyz and /metrics."""
        return f"http://127.0.0.1:{self.ops_ports[name]}"

    def start(self, *, timeout: float = 120.0) -> None:
        """Start everything and wait until the gateway's /readyz answers 200."""
        self.data_dir = self.data_dir.resolve()
        secrets = load_or_create(self.data_dir)
        bootstrap = self.env.get("MIGRATOR_BOOTSTRAP_KEYS") or os.environ.get("MIGRATOR_BOOTSTRAP_KEYS", "")
        if bootstrap:
            self.org_id, self.api_key = bootstrap.split(",")[0].split(":", 1)
        else:
            self.org_id, self.api_key = secrets["default_org_id"], new_api_key()
            bootstrap = f"{self.org_id}:{self.api_key}"
        # Ports and simulator memories live in the data directory: started again on it, the stack
        # goes on where it stopped (a registered Data Center URL, consents, sites made).
        ports = infra.StickyPorts(self.data_dir / "ports.json")
        nats = infra.start_nats(data_dir=self.data_dir / "nats", port=ports.get("nats"), log_dir=self.log_dir)
        self.procs["nats"] = nats
        azurite = infra.start_azurite(
            data_dir=self.data_dir / "azurite",
            log_dir=self.log_dir,
            ports=(ports.get("azurite-blob"), ports.get("azurite-queue"), ports.get("azurite-table")),
        )
        self.procs["azurite"] = azurite
        simulator_url = self._start_simulator(azurite, port=ports.get("m365-simulator"))
        atlassian_secret = secrets.get("atlassian_client_secret") or secrets["m365_client_secret"]
        atlassian_url = self._start_atlassian_simulator(
            atlassian_secret, port=ports.get("atlassian-simulator")
        )
        self.env = {
            **os.environ,
            "MIGRATOR_NATS_URL": nats.urls["nats"],
            "MIGRATOR_DATA_DIR": str(self.data_dir),
            "MIGRATOR_HTTP_PORT": str(self.http_port),
            "MIGRATOR_SECRETS_KEY": secrets["secrets_key"],
            "MIGRATOR_M365_CLIENT_SECRET": secrets["m365_client_secret"],
            "MIGRATOR_M365_BASE_URL": simulator_url,
            "MIGRATOR_ATLASSIAN_AUTH_URL": f"{atlassian_url}/auth",
            "MIGRATOR_ATLASSIAN_API_URL": f"{atlassian_url}/api",
            "MIGRATOR_ATLASSIAN_CLIENT_SECRET": atlassian_secret,
            **self.env,
            "MIGRATOR_BOOTSTRAP_KEYS": bootstrap,
        }
        for name in SERVICES:
            for replica in range(1, self.replicas + 1):
                self.start_service(name, replica=replica)
        self.wait_ready(timeout=timeout)

    def _start_simulator(self, azurite: infra.Proc, *, port: int) -> str:
        env = {
            **os.environ,
            "M365SIM_PORT": str(port),
            "M365SIM_STATE_FILE": str(self.data_dir / "simulators" / "m365.pickle"),
            "M365SIM_BLOB_URL": azurite.urls["blob"],
            "M365SIM_QUEUE_URL": azurite.urls["queue"],
        }
        env.update({k: v for k, v in self.env.items() if k.startswith("M365SIM_")})
        proc = _spawn_python("m365-simulator", "m365_simulator", env=env, log_dir=self.log_dir)
        infra.wait_for_port(int(env["M365SIM_PORT"]), proc=proc.popen, timeout=60)
        proc.urls = {"base": f"http://127.0.0.1:{env['M365SIM_PORT']}"}
        self.procs["m365-simulator"] = proc
        return proc.urls["base"]

    def _start_atlassian_simulator(self, client_secret: str, *, port: int) -> str:
        """Atlassian Cloud (OAuth, sites, the migration API) and a Server / DC, on one port."""
        env = {
            **os.environ,
            "ATLSIM_PORT": str(port),
            "ATLSIM_CLIENT_SECRET": client_secret,
            "ATLSIM_STATE_FILE": str(self.data_dir / "simulators" / "atlassian.pickle"),
        }
        env.update({k: v for k, v in self.env.items() if k.startswith("ATLSIM_")})
        proc = _spawn_python("atlassian-simulator", "atlassian_simulator", env=env, log_dir=self.log_dir)
        infra.wait_for_port(int(env["ATLSIM_PORT"]), proc=proc.popen, timeout=60)
        proc.urls = {"base": f"http://127.0.0.1:{env['ATLSIM_PORT']}"}
        self.procs["atlassian-simulator"] = proc
        return proc.urls["base"]

    def start_service(self, name: str, *, replica: int = 1) -> None:
        """(Re)start one replica of a service (``name`` may also be a replica's, ``scheduler.2``)."""
        service, _, number = name.partition(".")
        proc_name = replica_name(service, int(number) if number else replica)
        env = {**self.env, "MIGRATOR_HEALTH_PORT": str(self._port(self.ops_ports, proc_name))}
        if service == "gateway":
            port = self.http_port if proc_name == "gateway" else self._port(self.gateway_ports, proc_name)
            self.gateway_ports[proc_name] = port
            env["MIGRATOR_HTTP_PORT"] = str(port)
        self.procs[proc_name] = _spawn_python(proc_name, SERVICES[service], env=env, log_dir=self.log_dir)

    @staticmethod
    def _port(ports: dict[str, int], name: str) -> int:
        if name not in ports:
            ports[name] = infra.free_port()
        return ports[name]

    def start_extra_gateway(self, *, port: int) -> str:
        """A second gateway replica on ``port`` sharing the bus and the store; its URL."""
        env = {**self.env, "MIGRATOR_HTTP_PORT": str(port)}
        self.procs[f"gateway-{port}"] = _spawn_python(
            f"gateway-{port}", SERVICES["gateway"], env=env, log_dir=self.log_dir
        )
        infra.wait_for_port(port, proc=self.procs[f"gateway-{port}"].popen, timeout=60)
        return f"http://127.0.0.1:{port}"

    def kill_service(self, name: str) -> None:
        """SIGKILL one service: a crash, with no chance to finish anything."""
        self.procs[name].kill()

    @contextmanager
    def outage(self, name: str) -> Iterator[None]:
        """SIGKILL ``nats`` (or ``mongo``, when the stack runs on a MongoDB wire server) for the
        duration of the block, then start it again on the same port and data: an outage."""
        old = self.procs[name]
        old.kill()
        try:
            yield
        finally:
            if name == "nats":
                self.procs[name] = infra.start_nats(
                    data_dir=self.data_dir / "nats", port=_port(old.urls["nats"]), log_dir=self.log_dir
                )
            else:
                self.procs[name] = infra.start_mongo_wire(
                    log_dir=self.log_dir, data_dir=self.data_dir / "mongo", port=_port(old.urls["mongo"])
                )

    def wait_ready(self, *, timeout: float = 120.0) -> None:
        """Poll /readyz until 200 (or raise with the last answer and where the logs are)."""
        deadline, last = time.monotonic() + timeout, "no answer"
        while time.monotonic() < deadline:
            for name, proc in self.procs.items():
                if proc.popen.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.popen.returncode}; see {proc.log_path}")
            try:
                answers = [httpx.get(f"{url}/readyz", timeout=2.0) for url in self.gateway_urls]
                if all(a.status_code == 200 for a in answers):
                    return
                last = next(a.text for a in answers if a.status_code != 200)
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.25)
        raise TimeoutError(f"not ready after {timeout}s: {last}; logs in {self.log_dir}")

    def supervise_once(self) -> list[str]:
        """Restart services that died on their own; the names restarted."""
        restarted = []
        for name in self.replica_names():
            proc = self.procs.get(name)
            if proc is not None and proc.popen.poll() is not None:
                self.start_service(name)
                restarted.append(name)
        return restarted

    def stop(self) -> None:
        """Services first (they drain), then the simulator and the infrastructure."""
        extra = [name for name in self.procs if name.startswith("gateway-")]
        services = [name for service in reversed(SERVICES) for name in self.replica_names(service)]
        for name in [*extra, *services, "m365-simulator", "atlassian-simulator", "azurite", "nats"]:
            if name in self.procs:
                self.procs[name].stop(timeout=20)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/", 1)[0])


def _spawn_python(name: str, module: str, *, env: dict[str, str], log_dir: Path) -> infra.Proc:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "ab")
    popen = subprocess.Popen(
        [sys.executable, "-m", module], stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    return infra.Proc(name=name, popen=popen, log_path=log_path)
