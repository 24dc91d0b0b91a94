"""Read-store cost against raw SQLite in the same process: guarded projection writes and key reads.

    .venv/bin/python bench/readstore_bench.py [N]

The embedded store pays for JSON documents, a writer thread and batching; the raw baseline
runs the equivalent statements on one sqlite3 connection (WAL, synchronous=NORMAL), so the
ratio, not the absolute time, is the figure to watch.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from migrator_readstore.sqlite import SqliteReadStore

UPSERT = (
    "INSERT INTO c (_id, doc) VALUES (?, json(?)) ON CONFLICT(_id) DO UPDATE SET "
    "doc = json_set(doc, '$.doneItems', json(?), '$.seq', json(?)) "
    "WHERE json_extract(doc, '$.seq') IS NULL OR json_extract(doc, '$.seq') < ?"
)


def raw_baseline(path: Path, n: int) -> tuple[float, float]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE c (_id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
    start = time.perf_counter()
    for i in range(n):  # one transaction per write: what a projection handler does without batching
        doc = json.dumps({"doneItems": i, "seq": i})
        conn.execute(UPSERT, (f"u{i % 100}", doc, json.dumps(i), json.dumps(i), i))
    writes = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n):
        conn.execute("SELECT _id, doc FROM c WHERE _id = ?", (f"u{i % 100}",)).fetchone()
    reads = n / (time.perf_counter() - start)
    conn.close()
    return writes, reads


async def store_run(path: Path, n: int, *, concurrency: int) -> tuple[float, float]:
    store = SqliteReadStore(path)
    units = store.collection("units")

    async def writer(offset: int) -> None:
        for i in range(offset, n, concurrency):
            await units.put_if_newer(f"u{i % 100}", {"doneItems": i}, seq=i)

    start = time.perf_counter()
    await asyncio.gather(*(writer(k) for k in range(concurrency)))
    writes = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n):
        await units.get(f"u{i % 100}")
    reads = n / (time.perf_counter() - start)
    await store.close()
    return writes, reads


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with tempfile.TemporaryDirectory() as tmp:
        raw_w, raw_r = raw_baseline(Path(tmp) / "raw.db", n)
        seq_w, store_r = asyncio.run(store_run(Path(tmp) / "seq.db", n, concurrency=1))
        conc_w, _ = asyncio.run(store_run(Path(tmp) / "conc.db", n, concurrency=32))
    print(f"N={n} guarded writes on 100 keys, then N reads by key")
    print(f"raw sqlite3 (same process)    writes {raw_w:10,.0f}/s   reads {raw_r:10,.0f}/s")
    print(f"store, 1 writer at a time     writes {seq_w:10,.0f}/s   reads {store_r:10,.0f}/s")
    print(f"store, 32 concurrent writers  writes {conc_w:10,.0f}/s   (batched transactions)")
    print(
        f"ratios to raw: writes {seq_w / raw_w:.2f}x sequential, {conc_w / raw_w:.2f}x concurrent; "
        f"reads {store_r / raw_r:.2f}x"
    )


if __name__ == "__main__":
    main()
