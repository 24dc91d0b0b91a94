"""Start the real infrastructure on loopback: NATS with JetStream, Azurite, a MongoDB wire server.

Used by ``make run`` and by the test suite, so both exercise exactly the same processes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
AZURITE_ACCOUNT = "devstoreaccount1"
# Azurite's published development key (not a secret: it is the emulator's documented default).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def _is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A TCP port free on loopback now, and handed out once per process.

    Chosen below the kernel's ephemeral range, not by binding port 0: a port from that range
    can be taken, between this call and the service's own bind, by any outgoing connection
    (the next HTTP request, a NATS client), and the service then fails with "address already
    in use". Below the range only listeners bind. Each process draws from its own slice of
    that span (by process id), so two test runs side by side do not pick the same port
    before either has bound it.
    """
    low = _ephemeral_low()
    span = max(1024, low - 16_000), low
    width = (span[1] - span[0]) // _SLICES
    start = span[0] + (os.getpid() % _SLICES) * width
    for _ in range(500):
        port = random.randrange(start, start + width)
        if port in _handed_out or not _is_free(port):
            continue
        _handed_out.add(port)
        return port
    raise RuntimeError(f"no free port found on loopback below {low}")


_handed_out: set[int] = set()
_SLICES = 8


class StickyPorts:
    """Ports remembered in a data directory (``ports.json``), so a restarted stack listens where
    it did: the Data Center URL a user registered and the storage URLs a job in flight holds
    keep working. A remembered port taken by something else is replaced by a free one."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._ports: dict[str, int] = json.loads(path.read_text()) if path.exists() else {}

    def get(self, name: str) -> int:
        port = self._ports.get(name)
        if port is None or not _is_free(port):
            port = free_port()
            self._ports[name] = port
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._path.write_text(json.dumps(self._ports, indent=2, sort_keys=True) + "\n")
        _handed_out.add(port)
        return port


def _ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (Linux's default when unknown)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def wait_for_port(port: int, *, timeout: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Block until something accepts connections on ``port`` (or fail with a clear error)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(
                f"process {proc.args!r} exited with {proc.returncode} before listening on {port}"
            )
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


@dataclass
class Proc:
    """A started child process and where its output goes."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    urls: dict[str, str] = field(default_factory=dict)

    def stop(self, *, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def kill(self) -> None:
        """SIGKILL: the crash a resilience test simulates."""
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


def _spawn(name: str, args: list[str], *, log_dir: Path, env: dict[str, str] | None = None) -> Proc:
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    log = open(log_path, "ab")
    popen = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    return Proc(name=name, popen=popen, log_path=log_path)


def _venv_bin(tool: str) -> str:
    candidate = Path(sys.executable).parent / tool
    if candidate.exists():
        return str(candidate)
    found = shutil.which(tool)
    if not found:
        raise FileNotFoundError(f"{tool} not found next to {sys.executable} or on PATH; run 'make install'")
    return found


def start_nats(*, data_dir: Path, port: int | None = None, log_dir: Path) -> Proc:
    """nats-server with JetStream, its store under ``data_dir``."""
    port = port or free_port()
    monitor = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        _venv_bin("nats-server"),
        "-a",
        "127.0.0.1",
        "-p",
        str(port),
        "-js",
        "-sd",
        str(data_dir),
        "-m",
        str(monitor),
        "-n",
        "migrator",
    ]
    proc = _spawn("nats", args, log_dir=log_dir)
    wait_for_port(port, proc=proc.popen)
    proc.urls = {"nats": f"nats://127.0.0.1:{port}", "monitor": f"http://127.0.0.1:{monitor}"}
    return proc


def azurite_bin() -> str:
    """The Azurite launcher installed by ``npm ci --prefix tools``."""
    path = REPO_ROOT / "tools" / "node_modules" / ".bin" / "azurite"
    if not path.exists():
        raise FileNotFoundError(f"{path} missing; run 'make install' (npm ci --prefix tools)")
    return str(path)


def start_azurite(*, data_dir: Path, log_dir: Path, ports: tuple[int, int, int] | None = None) -> Proc:
    """Azurite blob + queue (+ table) on ``ports`` (free ones by default), data under ``data_dir``."""
    blob, queue, table = ports or (free_port(), free_port(), free_port())
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        azurite_bin(),
        "--silent",
        "--skipApiVersionCheck",
        "--disableTelemetry",
        "--loose",
        "--location",
        str(data_dir),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(blob),
        "--queueHost",
        "127.0.0.1",
        "--queuePort",
        str(queue),
        "--tableHost",
        "127.0.0.1",
        "--tablePort",
        str(table),
    ]
    proc = _spawn("azurite", args, log_dir=log_dir)
    wait_for_port(blob, proc=proc.popen, timeout=60)
    wait_for_port(queue, proc=proc.popen, timeout=60)
    proc.urls = {
        "blob": f"http://127.0.0.1:{blob}/{AZURITE_ACCOUNT}",
        "queue": f"http://127.0.0.1:{queue}/{AZURITE_ACCOUNT}",
        "connection_string": (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"BlobEndpoint=http://127.0.0.1:{blob}/{AZURITE_ACCOUNT};"
            f"QueueEndpoint=http://127.0.0.1:{queue}/{AZURITE_ACCOUNT};"
        ),
    }
    return proc


def start_mongo_wire(*, log_dir: Path, data_dir: Path | None = None, port: int | None = None) -> Proc:
    """nx-27017, a MongoDB wire-protocol server on SQLite (tests of the MongoDB backend)."""
    port = port or free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    storage = ["--data-dir", str(data_dir)] if data_dir else ["--db", "memory"]
    args = [
        _venv_bin("nx-27017"),
        *storage,
        "--host",
        "127.0.0.1",
        "-p",
        str(port),
        "--log-file",
        str(log_dir / "nx-27017.inner.log"),
        "--pid-file",
        str(log_dir / f"nx-27017-{port}.pid"),
    ]
    proc = _spawn("nx-27017", args, log_dir=log_dir, env=dict(os.environ))
    wait_for_port(port, proc=proc.popen)
    proc.urls = {"mongo": f"mongodb://127.0.0.1:{port}/?directConnection=true"}
    return proc
