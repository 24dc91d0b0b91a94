"""Live log fan-out over real HTTP: many SSE clients on one job, against a bare NATS subscriber.

    .venv/bin/python bench/sse_fanout_bench.py [CLIENTS] [LINES_PER_SECOND] [SECONDS] [CLIENT_PROCESSES]

A gateway and log-stream run as their own processes on a fresh nats-server, as deployed.
CLIENTS (default 1,000) SSE connections to ``GET /v1/jobs/{id}/logs`` are spread over
CLIENT_PROCESSES (default 2) load processes (minimal asyncio clients: an HTTP library would be
the bottleneck). This process publishes LINES_PER_SECOND (default 100) lines on the job's
subject for SECONDS (default 10), each stamped with its send time, and subscribes to the same
subject with bare nats-py. Lag is send → the line's frame read by a client. Everything shares
this machine's cores, so the ratio to the bare subscriber is the figure to read.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nats
from migrator_contracts.streams import LOGS
from migrator_devstack import infra
from migrator_devstack.secrets import new_api_key
from nats.aio.msg import Msg

JOB, ORG = "job_FANOUT", "org_FANOUT"
MARK = b'"sentAt":'
WARM_UP = 2.0  # seconds of the run reported apart: 1,000 streams' first writes


class Countdown:
    """Set once ``n`` clients have their stream open."""

    def __init__(self, n: int) -> None:
        self.left, self.event = n, asyncio.Event()

    def tick(self) -> None:
        self.left -= 1
        if self.left <= 0:
            self.event.set()


async def _client(port: int, key: str, lags: list[tuple[float, float]], ready: Countdown) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    writer.write(
        f"GET /v1/jobs/{JOB}/logs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    status = await reader.readline()
    assert b" 200 " in status, status
    ready.tick()
    buffer = b""
    while True:
        chunk = await reader.read(65536)
        if not chunk:
            return
        now = time.time()
        buffer += chunk
        start = 0
        while (at := buffer.find(MARK, start)) != -1:
            end = at + len(MARK)
            stop = end
            while buffer[stop : stop + 1] not in (b",", b"}", b""):
                stop += 1
            if buffer[stop : stop + 1] == b"":
                break
            sent = float(buffer[end:stop])
            lags.append((sent, now - sent))
            start = stop
        if b"event: done" in buffer:
            writer.close()
            return
        buffer = buffer[start:]


def _load_process(
    port: int, key: str, clients: int, out: multiprocessing.Queue[Any], started: multiprocessing.Queue[int]
) -> None:
    async def run() -> list[tuple[float, float]]:
        lags: list[tuple[float, float]] = []
        ready = Countdown(clients)
        tasks = [asyncio.create_task(_client(port, key, lags, ready)) for _ in range(clients)]
        await ready.event.wait()
        started.put(clients)
        await asyncio.gather(*tasks)
        return lags

    out.put(asyncio.run(run()))


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


async def _publish(url: str, per_second: int, seconds: float) -> tuple[int, list[float]]:
    nc = await nats.connect(url)
    bare_conn = await nats.connect(url)
    bare: list[float] = []

    async def on_bare(msg: Msg) -> None:
        bare.append(time.time() - json.loads(msg.data)["fields"]["sentAt"])

    await bare_conn.subscribe(f"migrator.log.job.{JOB}", cb=on_bare)
    js = nc.jetstream()
    total = int(per_second * seconds)
    next_at = time.perf_counter()
    for i in range(total):
        fields = {"sentAt": time.time()} | ({"final": True, "status": "DONE"} if i == total - 1 else {})
        line = {
            "id": f"log_{i:08d}",
            "jobId": JOB,
            "level": "OK",
            "message": f"line {i}",
            "ts": "2026-05-09T08:05:00Z",
            "fields": fields,
        }
        await js.publish(f"migrator.log.job.{JOB}", json.dumps(line).encode(), stream=LOGS.name)
        next_at += 1 / per_second
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.sleep(0.5)
    await nc.close()
    await bare_conn.close()
    return total, bare


async def _seed_job(tmp: Path) -> None:
    from migrator_readstore.sqlite import SqliteReadStore

    store = SqliteReadStore(tmp / "readstore.sqlite3")
    await store.collection("jobs").insert(
        JOB,
        {
            "id": JOB,
            "orgId": ORG,
            "type": "SHAREPOINT",
            "status": "RUNNING",
            "createdAt": "2026-05-09T08:00:00Z",
        },
    )
    await store.close()


def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    clients = args[0] if args else 1000
    per_second = args[1] if len(args) > 1 else 100
    seconds = args[2] if len(args) > 2 else 10
    processes = args[3] if len(args) > 3 else 2
    tmp = Path(tempfile.mkdtemp())
    server = infra.start_nats(data_dir=tmp / "nats", log_dir=tmp)
    key, port = new_api_key(), infra.free_port()
    env = {
        **os.environ,
        "MIGRATOR_NATS_URL": server.urls["nats"],
        "MIGRATOR_DATA_DIR": str(tmp),
        "MIGRATOR_HTTP_PORT": str(port),
        "MIGRATOR_BOOTSTRAP_KEYS": f"{ORG}:{key}",
        "MIGRATOR_RATE_LIMIT_PER_MINUTE": "100000000",
        "MIGRATOR_LOG_LEVEL": "WARNING",
    }
    procs = []
    try:
        asyncio.run(_seed_job(tmp))
        for module in ("migrator_log_stream", "migrator_gateway"):
            log = open(tmp / f"{module}.log", "ab")
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", module], env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
        infra.wait_for_port(port, proc=procs[-1], timeout=60)
        time.sleep(1.0)  # log-stream's consumers exist
        out: multiprocessing.Queue[Any] = multiprocessing.Queue()
        started: multiprocessing.Queue[int] = multiprocessing.Queue()
        share = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
        loaders = [
            multiprocessing.Process(target=_load_process, args=(port, key, n, out, started)) for n in share
        ]
        for loader in loaders:
            loader.start()
        connected = sum(started.get(timeout=120) for _ in loaders)
        total, bare = asyncio.run(_publish(server.urls["nats"], per_second, seconds))
        lags = [lag for _ in loaders for lag in out.get(timeout=120)]
        for loader in loaders:
            loader.join()
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait()
        server.stop()
    start = min(sent for sent, _ in lags)
    every = [lag for _, lag in lags]
    steady = [lag for sent, lag in lags if sent >= start + WARM_UP]
    print(
        f"sse fan-out {connected:,} clients x {total:,} lines at {per_second}/s over HTTP: "
        f"lag p50 {pct(every, 50):.1f} ms, p99 {pct(every, 99):.1f} ms, max {max(every) * 1000:.0f} ms; "
        f"after the first {WARM_UP:.0f} s: p50 {pct(steady, 50):.1f} ms, p99 {pct(steady, 99):.1f} ms; "
        f"{len(lags):,} of {connected * total:,} delivered"
    )
    print(f"bare nats subscriber: lag p50 {pct(bare, 50):.1f} ms, p99 {pct(bare, 99):.1f} ms")


if __name__ == "__main__":
    main()
