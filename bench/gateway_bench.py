"""Gateway reads against bare FastAPI endpoints serving the same JSON, in the same run.

    .venv/bin/python bench/gateway_bench.py [seconds-per-phase]

Each runs under uvicorn in its own process on loopback; one load generator (32 keep-alive
connections) drives each in turn: peak throughput, then latency at half of the peak rate.
The gateway does what it does per request: API-key lookup (cached), the rate-limit counter
on NATS KV, the read-store query, the response shape. The bare endpoints do nothing but
answer: one with the response as ready bytes, one with it as a dict FastAPI encodes.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from migrator_devstack import infra
from migrator_devstack.secrets import new_api_key

CONCURRENCY = 32
# Two bare endpoints: the JSON as ready bytes (nothing to do but send), and the same JSON as a
# dict (the usual FastAPI endpoint: FastAPI encodes it per request).
BARE_APP = """
import json, sys
from fastapi import FastAPI
from fastapi.responses import Response
one, page = open(sys.argv[1]).read(), open(sys.argv[2]).read()
app = FastAPI()
if sys.argv[3] == "bytes":
    @app.get("/v1/jobs/{job_id}")
    async def job(job_id: str) -> Response:
        return Response(one, media_type="application/json")
    @app.get("/v1/jobs")
    async def jobs() -> Response:
        return Response(page, media_type="application/json")
else:
    one_doc, page_doc = json.loads(one), json.loads(page)
    @app.get("/v1/jobs/{job_id}")
    async def job(job_id: str) -> dict:
        return one_doc
    @app.get("/v1/jobs")
    async def jobs() -> dict:
        return page_doc
"""


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET; the status code (the body is read and dropped)."""
    writer.write(request)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return int(status_line.split(b" ", 2)[1])


async def load(
    url: str, headers: dict[str, str], *, seconds: float, rate: float | None
) -> tuple[float, list[float]]:
    """Requests/s and latencies (ms); ``rate`` paces the whole load to that many requests/s.

    A minimal keep-alive client on asyncio streams: an HTTP library in the same process would be
    the bottleneck, not the servers under test.
    """
    parts = httpx.URL(url)
    target = parts.raw_path.decode()
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"GET {target} HTTP/1.1\r\nHost: {parts.host}\r\n{extra}\r\n".encode()
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    interval = CONCURRENCY / rate if rate else 0.0

    async def worker(offset: float) -> None:
        reader, writer = await asyncio.open_connection(parts.host, parts.port)
        next_at = time.perf_counter() + offset
        try:
            while time.perf_counter() < deadline:
                if interval:
                    await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                    next_at += interval
                start = time.perf_counter()
                status = await _get(reader, writer, request)
                latencies.append((time.perf_counter() - start) * 1000)
                assert status == 200, status
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(i * interval / CONCURRENCY) for i in range(CONCURRENCY)))
    return len(latencies) / (time.perf_counter() - started), latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def spawn(args: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(args, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
    infra.wait_for_port(port, proc=proc, timeout=60)
    return proc


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
    tmp = Path(tempfile.mkdtemp())
    nats_proc = infra.start_nats(data_dir=tmp / "nats", log_dir=tmp)
    org, key = "org_BENCH", new_api_key()
    gw_port = infra.free_port()
    bare_ports = {"bare (bytes)": infra.free_port(), "bare (dict)": infra.free_port()}
    env = {
        **os.environ,
        "MIGRATOR_NATS_URL": nats_proc.urls["nats"],
        "MIGRATOR_DATA_DIR": str(tmp),
        "MIGRATOR_HTTP_PORT": str(gw_port),
        "MIGRATOR_BOOTSTRAP_KEYS": f"{org}:{key}",
        "MIGRATOR_RATE_LIMIT_PER_MINUTE": "100000000",
        "MIGRATOR_LOG_LEVEL": "WARNING",
    }
    procs = [spawn([sys.executable, "-m", "migrator_gateway"], env, gw_port, tmp / "gateway.log")]
    try:
        asyncio.run(seed_jobs(tmp, org))
        gw = f"http://127.0.0.1:{gw_port}"
        auth = {"Authorization": f"Bearer {key}"}
        one = httpx.get(f"{gw}/v1/jobs/job_BENCH0000", headers=auth).text
        page = httpx.get(f"{gw}/v1/jobs?limit=20", headers=auth).text
        (tmp / "one.json").write_text(one)
        (tmp / "page.json").write_text(page)
        for port, mode in zip(bare_ports.values(), ("bytes", "dict"), strict=True):
            bare = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    BARE_APP + f"\nimport uvicorn; uvicorn.run(app, port={port}, "
                    "log_level='warning', access_log=False)",
                    str(tmp / "one.json"),
                    str(tmp / "page.json"),
                    mode,
                ],
                env=env,
            )
            procs.append(bare)
            infra.wait_for_port(port, proc=bare)
        print(f"{seconds:.0f}s per phase, {CONCURRENCY} connections, one process each, loopback")
        for name, path in (
            ("GET /v1/jobs/{id}", "/v1/jobs/job_BENCH0000"),
            ("GET /v1/jobs", "/v1/jobs?limit=20"),
        ):
            results = {}
            sides = [(side, f"http://127.0.0.1:{port}") for side, port in bare_ports.items()]
            for side, base in [*sides, ("gateway", gw)]:
                peak, _ = asyncio.run(load(base + path, auth, seconds=seconds, rate=None))
                _, lat = asyncio.run(load(base + path, auth, seconds=seconds, rate=peak / 2))
                results[side] = peak
                print(
                    f"{name:18} {side:12} peak {peak:7,.0f} req/s   at half peak: p50 {pct(lat, 50):6.2f} ms"
                    f"  p99 {pct(lat, 99):6.2f} ms"
                )
            for side, _ in sides:
                print(f"{name:18} gateway / {side}: {results['gateway'] / results[side]:.2f}")
    finally:
        for proc in procs:
            if proc is not None:
                proc.terminate()
                proc.wait()
        nats_proc.stop()


async def seed_jobs(tmp: Path, org: str) -> None:
    from migrator_contracts.readmodels import JobDoc
    from migrator_readstore.sqlite import SqliteReadStore

    store = SqliteReadStore(tmp / "readstore.sqlite3")
    jobs = store.collection("jobs")
    for i in range(200):
        job = JobDoc(  # as the scheduler writes it
            id=f"job_BENCH{i:04d}",
            org_id=org,
            type="SHAREPOINT",
            status="RUNNING",
            source_tenant_id="ten_A",
            dest_tenant_id="ten_B",
            scope={},
            options={},
            total_items=48210,
            done_items=31405,
            error_items=12,
            skipped_items=3,
            bytes_transferred=5368709120,
            created_at=f"2026-05-09T08:{i // 60:02d}:{i % 60:02d}Z",
        )
        await jobs.insert(job.id, job.to_doc())
    await jobs.ensure_index(["orgId", "deleted", "createdAt"])
    await store.close()


if __name__ == "__main__":
    main()
