"""Job logs: CSV export rate and memory, and live-tail fan-out lag, each against a raw baseline.

    .venv/bin/python bench/logs_bench.py [LINES] [CLIENTS] [LINES_PER_SECOND] [SECONDS]

Export: a job of LINES lines (default 1,000,000) in the embedded store, streamed through the
gateway's export path (store cursor → CSV chunks), against raw sqlite3 + json + csv on the
same table in the same process. Peak RSS is sampled while it runs: flat means it does not
grow with the job.

Fan-out: CLIENTS watchers (default 1,000) of one job on a gateway's LogTails, fed by a
JetStream publisher at LINES_PER_SECOND (default 100) for SECONDS (default 10), against a bare
nats-py subscriber on the same subject in the same process. Lag is publish → the line in each
watcher's hands. SSE framing and HTTP are not in this figure (they cost per client, not per
tail); the e2e suite covers that path.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import nats
from migrator_contracts.readmodels import JOB_LOGS
from migrator_contracts.streams import LOGS
from migrator_devstack import infra
from migrator_gateway.api.csv_export import csv_chunks
from migrator_gateway.log_tails import LogTails
from migrator_platform.bus import provision_streams
from migrator_readstore.sqlite import SqliteReadStore
from nats.aio.msg import Msg

JOB = "job_bench"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """Samples RSS every 20 ms on a thread; ``peak`` is the highest seen."""

    def __init__(self) -> None:
        self.start = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def seed(path: Path, n: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    rows = (
        (
            f"log_{i:012d}",
            json.dumps(
                {
                    "jobId": JOB,
                    "seq": i + 1,
                    "level": "ERROR" if i % 50 == 0 else "OK",
                    "message": f"https://contoso.sharepoint.com/sites/s{i % 97}/Shared Documents/f{i}.docx"
                    ' → "done", 1 item',
                    "ts": "2026-05-09T08:05:00Z",
                    "fields": {},
                }
            ),
        )
        for i in range(n)
    )
    conn.executemany('INSERT INTO "c_job_logs" (_id, doc) VALUES (?, json(?))', rows)
    conn.execute("COMMIT")
    conn.close()


def raw_export(path: Path) -> tuple[int, float]:
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    buffer, size, rows = io.StringIO(), 0, 0
    writer = csv.writer(buffer, lineterminator="\r\n")
    cursor = conn.execute(
        "SELECT _id, doc FROM \"c_job_logs\" WHERE json_extract(doc, '$.jobId') = ? "
        "ORDER BY json_extract(doc, '$.seq')",
        (JOB,),
    )
    while batch := cursor.fetchmany(5000):
        for key, body in batch:
            doc = json.loads(body)
            writer.writerow((key, doc["level"], doc["message"], doc["ts"]))
            rows += 1
        size += len(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
    elapsed = time.perf_counter() - start
    conn.close()
    return rows, elapsed


async def export_bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "store.sqlite3"
        store = SqliteReadStore(path)
        logs = store.collection(JOB_LOGS)
        await logs.ensure_index(["jobId", "seq"])
        seed(path, n)
        rows, raw_seconds = raw_export(path)
        assert rows == n
        with PeakRss() as memory:
            start = time.perf_counter()
            size, checkpoints = 0, list[float]()
            lines = logs.iterate({"jobId": JOB}, sort=[("seq", 1)], batch_size=5000)
            async for chunk in csv_chunks(lines):
                size += len(chunk)
                if len(checkpoints) < size * 4 // (n * 110):  # roughly each quarter of the output
                    checkpoints.append(rss_mb())
            seconds = time.perf_counter() - start
        await store.close()
    rate, raw_rate = n / seconds, n / raw_seconds
    print(
        f"export   {n:,} lines, {size / 1e6:,.0f} MB CSV: {rate:,.0f} lines/s; "
        f"raw sqlite3+csv {raw_rate:,.0f} lines/s; ratio {rate / raw_rate:.2f}"
    )
    print(
        f"         RSS at start {memory.start:,.0f} MB, peak {memory.peak:,.0f} MB "
        f"(+{memory.peak - memory.start:,.0f}), by quarter {', '.join(f'{c:,.0f}' for c in checkpoints)} MB"
    )


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


async def fanout_bench(clients: int, per_second: int, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = infra.start_nats(data_dir=Path(tmp) / "nats", log_dir=Path(tmp))
        try:
            sub_conn = await nats.connect(server.urls["nats"])
            pub_conn = await nats.connect(server.urls["nats"])
            js = pub_conn.jetstream()
            await provision_streams(js)
            tails = LogTails(sub_conn.jetstream(), client_buffer=100_000)
            subject = f"migrator.log.job.{JOB}"
            bare_lags: list[float] = []

            async def bare(msg: Msg) -> None:
                bare_lags.append(time.time() - json.loads(msg.data)["fields"]["sentAt"])

            await sub_conn.subscribe(subject, cb=bare)
            lags: list[float] = []

            async def watcher() -> None:
                client, _ = await tails.join(JOB)
                while True:
                    batch = await client.take()
                    now = time.time()
                    for item in batch.lines:
                        lags.append(now - item.line["fields"]["sentAt"])
                    if batch.has_final:
                        return

            watchers = [asyncio.create_task(watcher()) for _ in range(clients)]
            await asyncio.sleep(0.5)
            total = int(per_second * seconds)
            for i in range(total):
                final = i == total - 1
                line = {
                    "id": f"log_{i}",
                    "jobId": JOB,
                    "level": "OK",
                    "message": f"line {i}",
                    "ts": "2026-05-09T08:05:00Z",
                    "fields": {"sentAt": time.time(), "final": final},
                }
                await js.publish(subject, json.dumps(line).encode(), stream=LOGS.name)
                await asyncio.sleep(1 / per_second)
            await asyncio.wait_for(asyncio.gather(*watchers), 30)
            await tails.close()
            await sub_conn.close()
            await pub_conn.close()
        finally:
            server.stop()
    assert len(lags) == clients * total, (len(lags), clients * total)
    p50, p99 = percentile(lags, 0.5) * 1000, percentile(lags, 0.99) * 1000
    b50, b99 = percentile(bare_lags, 0.5) * 1000, percentile(bare_lags, 0.99) * 1000
    print(
        f"fan-out  {clients:,} watchers x {total:,} lines at {per_second}/s: "
        f"lag p50 {p50:.1f} ms, p99 {p99:.1f} ms; bare subscriber p50 {b50:.1f} ms, "
        f"p99 {b99:.1f} ms; {len(lags):,} deliveries, none lost"
    )


async def main() -> None:
    args = [int(a) for a in sys.argv[1:]]
    n = args[0] if args else 1_000_000
    clients = args[1] if len(args) > 1 else 1000
    per_second = args[2] if len(args) > 2 else 100
    seconds = args[3] if len(args) > 3 else 10
    await export_bench(n)
    await fanout_bench(clients, per_second, seconds)


if __name__ == "__main__":
    asyncio.run(main())
