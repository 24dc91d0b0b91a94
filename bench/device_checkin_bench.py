"""Agent check-ins through the gateway and device-hub, against a bare NATS request/reply round trip.

    .venv/bin/python bench/device_checkin_bench.py [DEVICES] [RATE] [SECONDS]

One gateway and one device-hub process (embedded store), one nats-server. DEVICES simulated
agents register through the gateway, then check in on a steady schedule: each every
DEVICES / RATE seconds with ±10 % jitter, so together RATE check-ins/s, the rate of 100,000
devices on a 3-minute interval at the default 600/s. Reported: check-ins/s achieved, latency
p50/p99, and how many answers were not 200. A peak phase then drives check-ins back to back on
64 connections. The baseline, in the same run: a bare responder process on the same NATS,
asked the same way (paced at RATE, then back to back) with a request of the same size.

The load generator speaks HTTP/1.1 on asyncio streams: an HTTP library in the same process
would be the bottleneck, not the services under test.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import nats
from migrator_devstack import infra
from migrator_devstack.secrets import new_api_key

CONNECTIONS = 64
BARE_RESPONDER = """
import asyncio, sys, nats
async def main():
    nc = await nats.connect(sys.argv[1])
    async def answer(msg):
        await msg.respond(b'{"status":200,"body":{"commands":[]}}')
    await nc.subscribe("bench.bare", queue="bare", cb=answer)
    await asyncio.Event().wait()
asyncio.run(main())
"""


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        return int(status_line.split(b" ", 2)[1]), await self.reader.readexactly(length)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


async def register(port: int, org: str, count: int) -> list[tuple[str, str]]:
    pool = [Connection("127.0.0.1", port) for _ in range(16)]
    devices: list[tuple[str, str]] = []

    async def one(conn: Connection, index: int) -> None:
        body = {
            "orgId": org,
            "hostname": f"DESKTOP-{index:06d}",
            "ipAddress": f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}",
            "domain": "contoso.local",
            "agentVersion": "0.7.0",
        }
        status, reply = await conn.post("/v1/devices/register", json.dumps(body).encode())
        assert status == 201, reply
        answer = json.loads(reply)
        devices.append((answer["deviceId"], answer["secret"]))

    async def worker(k: int) -> None:
        for index in range(k, count, len(pool)):
            await one(pool[k], index)

    await asyncio.gather(*(worker(k) for k in range(len(pool))))
    for conn in pool:
        conn.close()
    return devices


async def paced_checkins(
    port: int, devices: list[tuple[str, str]], *, rate: float, seconds: float
) -> tuple[float, list[float], int]:
    """Each agent checks in every len(devices)/rate s (±10 %), first at a random point of that
    interval; measured over ``seconds`` once every agent has checked in once (steady state)."""
    interval = len(devices) / rate
    pool = asyncio.Queue[Connection]()
    for _ in range(CONNECTIONS):
        pool.put_nowait(Connection("127.0.0.1", port))
    samples: list[tuple[float, float, int]] = []  # (finished at, latency ms, status)
    window_start = time.perf_counter() + interval
    deadline = window_start + seconds
    rng = random.Random(7)

    async def agent(device_id: str, secret: str) -> None:
        body = json.dumps({"deviceId": device_id, "secret": secret, "agentVersion": "0.7.0"}).encode()
        await asyncio.sleep(rng.uniform(0, interval))
        while time.perf_counter() < deadline:
            conn = await pool.get()
            start = time.perf_counter()
            try:
                status, _ = await conn.post("/v1/devices/checkin", body)
            finally:
                pool.put_nowait(conn)
            end = time.perf_counter()
            samples.append((end, (end - start) * 1000, status))
            await asyncio.sleep(interval * rng.uniform(0.9, 1.1))

    await asyncio.gather(*(agent(d, s) for d, s in devices))
    while not pool.empty():
        pool.get_nowait().close()
    steady = [(lat, status) for end, lat, status in samples if window_start <= end < deadline]
    failures = sum(status != 200 for _, status in steady)
    return len(steady) / seconds, [lat for lat, _ in steady], failures


async def peak_checkins(
    port: int, devices: list[tuple[str, str]], seconds: float
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(k: int) -> None:
        conn = Connection("127.0.0.1", port)
        i = k
        while time.perf_counter() < deadline:
            device_id, secret = devices[i % len(devices)]
            i += CONNECTIONS
            body = json.dumps({"deviceId": device_id, "secret": secret}).encode()
            start = time.perf_counter()
            status, _ = await conn.post("/v1/devices/checkin", body)
            latencies.append((time.perf_counter() - start) * 1000)
            assert status == 200
        conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(CONNECTIONS)))
    return len(latencies) / (time.perf_counter() - started), latencies


async def bare_round_trips(url: str, *, rate: float | None, seconds: float) -> tuple[float, list[float]]:
    """The same request/reply over the same NATS to a responder that does nothing."""
    nc = await nats.connect(url)
    body = json.dumps({"deviceId": "dev_" + "0" * 26, "secret": "0" * 64, "agentVersion": "0.7.0"}).encode()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    interval = CONNECTIONS / rate if rate else 0.0

    async def worker(offset: float) -> None:
        next_at = time.perf_counter() + offset
        while time.perf_counter() < deadline:
            if interval:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at += interval
            start = time.perf_counter()
            await nc.request("bench.bare", body, timeout=5)
            latencies.append((time.perf_counter() - start) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(worker(i * interval / CONNECTIONS) for i in range(CONNECTIONS)))
    rate_seen = len(latencies) / (time.perf_counter() - started)
    await nc.close()
    return rate_seen, latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 600.0
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    tmp = Path(tempfile.mkdtemp())
    nats_proc = infra.start_nats(data_dir=tmp / "nats", log_dir=tmp)
    url = nats_proc.urls["nats"]
    org, key = "org_BENCH", new_api_key()
    port = infra.free_port()
    env = {
        **os.environ,
        "MIGRATOR_NATS_URL": url,
        "MIGRATOR_DATA_DIR": str(tmp),
        "MIGRATOR_HTTP_PORT": str(port),
        "MIGRATOR_BOOTSTRAP_KEYS": f"{org}:{key}",
        "MIGRATOR_REQUIRED_SERVICES": "device-hub",
        "MIGRATOR_LOG_LEVEL": "WARNING",
    }
    procs = [
        spawn([sys.executable, "-m", "migrator_device_hub"], env, tmp / "device-hub.log"),
        spawn([sys.executable, "-m", "migrator_gateway"], env, tmp / "gateway.log"),
        spawn([sys.executable, "-c", BARE_RESPONDER, url], env, tmp / "bare.log"),
    ]
    try:
        infra.wait_for_port(port, proc=procs[1], timeout=60)
        deadline = time.monotonic() + 60
        while httpx.get(f"http://127.0.0.1:{port}/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the services did not become ready"
            time.sleep(0.2)
        started = time.perf_counter()
        devices = asyncio.run(register(port, org, count))
        print(f"{count:,} agents registered in {time.perf_counter() - started:.1f} s through the gateway")
        print(
            f"{seconds:.0f} s per phase, target {rate:,.0f} check-ins/s, {CONNECTIONS} connections, loopback"
        )
        bare_rate, bare_lat = asyncio.run(bare_round_trips(url, rate=rate, seconds=seconds))
        before = [cpu_seconds(p.pid) for p in procs[:2]]
        done, lat, failed = asyncio.run(paced_checkins(port, devices, rate=rate, seconds=seconds))
        hub_cpu, gateway_cpu = (cpu_seconds(p.pid) - b for p, b in zip(procs[:2], before, strict=True))
        total = done * seconds + count  # the warm-up interval's check-ins ran on the same CPU
        print(
            f"bare NATS req/reply at {bare_rate:6,.0f}/s:   p50 {pct(bare_lat, 50):6.2f} ms  "
            f"p99 {pct(bare_lat, 99):6.2f} ms"
        )
        print(
            f"check-ins via gateway {done:6,.0f}/s:   p50 {pct(lat, 50):6.2f} ms  p99 {pct(lat, 99):6.2f} ms"
            f"   not 200: {failed}"
        )
        print(
            f"CPU per check-in: gateway {gateway_cpu / total * 1000:.2f} ms, "
            f"device-hub {hub_cpu / total * 1000:.2f} ms"
        )
        bare_peak, _ = asyncio.run(bare_round_trips(url, rate=None, seconds=seconds / 2))
        peak, peak_lat = asyncio.run(peak_checkins(port, devices, seconds / 2))
        print(
            f"peak: bare NATS req/reply {bare_peak:7,.0f}/s   "
            f"check-ins {peak:7,.0f}/s (p99 {pct(peak_lat, 99):.1f} ms)"
        )
        print(f"check-ins / bare round trips at peak: {peak / bare_peak:.3f}")
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        nats_proc.stop()


if __name__ == "__main__":
    main()
