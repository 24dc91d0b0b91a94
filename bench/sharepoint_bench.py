"""SharePoint connector: manifest decrypt + parse, and report-queue events into projections.

    .venv/bin/python bench/sharepoint_bench.py [OBJECTS] [EVENTS]

Manifest: an AMR export manifest of OBJECTS SPObjects (default 400,000; ~530 bytes each, as
the simulator writes them), AES-256-CBC encrypted, streamed through the connector's
ManifestStream in 4 MB chunks, on one core. Baselines in the same process: decrypt alone
(cryptography), and `openssl speed -decrypt -evp aes-256-cbc` on the same machine. Memory:
the manifest is generated and encrypted on the fly, so the figure is what reading costs, at
OBJECTS/8 and at OBJECTS (flat means it does not grow with the package).

Queue: EVENTS encrypted report messages (default 5,000: JobProgress, one in ten a JobError)
in an Azurite queue, read by the connector's path (JobEvents: receive, decrypt, delete; then
SiteMigrator._apply: fold into the unit's progress, save the task in the store, publish
UnitProgressed / ItemFailed to JetStream), against a bare receive-and-delete loop on the same
queue, filled the same way, in the same run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import nats
from azure.storage.queue import QueueSasPermissions, generate_queue_sas
from azure.storage.queue.aio import QueueClient, QueueServiceClient
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from migrator_contracts.commands import MigrateSite
from migrator_devstack import infra
from migrator_platform.bus import BusPublisher, create_broker, provision_streams
from migrator_platform.secret_box import SecretBox
from migrator_readstore.sqlite import SqliteReadStore
from migrator_sp_connector.adapters.azure_storage import ReportQueue
from migrator_sp_connector.domain.manifest_stream import ManifestStream
from migrator_sp_connector.domain.progress import SiteProgress
from migrator_sp_connector.migration.job_events import JobEvents
from migrator_sp_connector.migration.site_job import SiteMigrator
from migrator_sp_connector.migration.site_task import SiteTask, StoredProgress

CHUNK = 4 * 1024 * 1024
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def manifest_chunks(n: int) -> Iterator[bytes]:
    """A manifest of n file SPObjects, plaintext, about 1 MB at a time."""
    yield b'<?xml version="1.0" encoding="utf-8"?><SPObjects xmlns="urn:deployment-manifest-schema">'
    web = "0f3c2b1a-2222-4333-8444-555555555555"
    batch: list[str] = []
    for i in range(n):
        uid = f"{i:08x}-aaaa-4bbb-8ccc-dddddddddddd"
        path = f"Shared Documents/Folder {i // 40:05d}/file {i:07d}.docx"
        batch.append(
            f'<SPObject Id="{uid}" ObjectType="SPFile" ParentId="{web}" ParentWebId="{web}" '
            f'ParentWebUrl="/sites/big" Url="/sites/big/{path}"><File Url="{path}" Id="{uid}" '
            f'ParentWebId="{web}" Name="file {i:07d}.docx" FileSize="{i * 7 % 5000}" '
            'TimeLastModified="2026-11-25T10:00:00.000000Z" Version="1.0" Level="1" /></SPObject>'
        )
        if len(batch) == 2000:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode() + b"</SPObjects>"


def encrypted(key: bytes, iv: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    pad = padding.PKCS7(128).padder()
    for chunk in chunks:
        yield enc.update(pad.update(chunk))
    yield enc.update(pad.finalize()) + enc.finalize()


def rechunk(chunks: Iterator[bytes], size: int) -> Iterator[bytes]:
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer


def openssl_mb_per_s() -> float:
    """openssl speed -decrypt -evp aes-256-cbc, 16 KB blocks, in MB/s."""
    out = subprocess.run(
        ["openssl", "speed", "-seconds", "2", "-decrypt", "-evp", "aes-256-cbc"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    row = next(line for line in out.splitlines() if line.lower().startswith("aes-256-cbc"))
    figures = re.findall(r"([\d.]+)k", row)
    return float(figures[-2 if len(figures) >= 6 else -1]) * 1000 / 1e6  # the 16384-byte column


def manifest_bench(n: int) -> None:
    key, iv = os.urandom(32), os.urandom(16)
    ciphertext = b"".join(encrypted(key, iv, manifest_chunks(n)))
    mb = len(ciphertext) / 1e6

    started = time.process_time()
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    for i in range(0, len(ciphertext), CHUNK):
        dec.update(ciphertext[i : i + CHUNK])
    decrypt_only = mb / (time.process_time() - started)

    started = time.process_time()
    stream, objects = ManifestStream("Manifest.xml", key=key, iv=iv), 0
    for i in range(0, len(ciphertext), CHUNK):
        objects += len(stream.feed(ciphertext[i : i + CHUNK]))
    objects += len(stream.close())
    cpu = time.process_time() - started
    assert objects == n, objects
    del ciphertext

    openssl = openssl_mb_per_s()
    print(f"manifest: {n:,} SPObjects, {mb:,.1f} MB encrypted, read in {cpu:.2f} s of CPU (one core)")
    print(f"  decrypt + parse      {n / cpu:>12,.0f} SPObjects/s {mb / cpu:>8,.1f} MB/s")
    print(f"  decrypt only (same process) {'':>13}{decrypt_only:>8,.1f} MB/s")
    print(f"  openssl speed -decrypt -evp aes-256-cbc (16 KB) {openssl:>8,.1f} MB/s")
    print(
        f"  ratio to openssl: {mb / cpu / openssl:.3f}; target 100,000 SPObjects/s: {n / cpu / 100_000:.1f}x"
    )

    for count in (n // 8, n):
        tracemalloc.start()
        stream, seen = ManifestStream("Manifest.xml", key=key, iv=iv), 0
        for chunk in rechunk(encrypted(key, iv, manifest_chunks(count)), CHUNK):
            seen += len(stream.feed(chunk))
        seen += len(stream.close())
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  memory reading {count:>9,} objects (generated on the fly): peak {peak / 1e6:6.1f} MB")


async def fill(queue_url: str, n: int, key: bytes, job_id: str) -> None:
    """n report messages in SharePoint's encrypted envelope, a JobError every tenth."""
    async with QueueClient.from_queue_url(queue_url) as client:
        gate = asyncio.Semaphore(32)

        async def one(i: int) -> None:
            body: dict[str, Any] = {
                "Event": "JobProgress",
                "JobId": job_id,
                "ObjectsProcessed": str(i),
                "TotalExpectedSPObjects": str(n),
                "BytesProcessed": str(i * 1000),
            }
            if i % 10 == 0:
                body = {
                    "Event": "JobError",
                    "JobId": job_id,
                    "Id": f"item-{i}",
                    "Url": f"Shared Documents/f{i}",
                    "ErrorCode": "-2147024816",
                    "Message": "blocked",
                }
            iv = os.urandom(16)
            enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
            pad = padding.PKCS7(128).padder()
            content = enc.update(pad.update(json.dumps(body).encode()) + pad.finalize()) + enc.finalize()
            envelope = {
                "Label": "Encrypted",
                "JobId": job_id,
                "IV": base64.b64encode(iv).decode(),
                "Content": base64.b64encode(content).decode(),
            }
            async with gate:
                await client.send_message(base64.b64encode(json.dumps(envelope).encode()).decode())

        await asyncio.gather(*(one(i) for i in range(1, n + 1)))


async def raw_loop(queue_url: str, n: int) -> float:
    async with QueueClient.from_queue_url(queue_url) as client:
        started, done = time.perf_counter(), 0
        while done < n:
            async for message in client.receive_messages(messages_per_page=32, max_messages=32):
                await client.delete_message(message.id, message.pop_receipt)
                done += 1
        return n / (time.perf_counter() - started)


async def connector_loop(queue_url: str, n: int, key: bytes, job_id: str, tmp: Path, nats_url: str) -> float:
    store = SqliteReadStore(tmp / "store.sqlite3")
    broker = create_broker(nats_url=nats_url, service="bench")
    await broker.connect()
    migrator = SiteMigrator(
        sp=cast(Any, None),
        store=store,
        box=SecretBox(base64.b64encode(os.urandom(32)).decode()),
        publisher=BusPublisher(broker),
    )
    cmd = MigrateSite(
        job_id="job_bench",
        unit_id="job_bench_0",
        org_id="org_bench",
        source_tenant_id="t1",
        dest_tenant_id="t2",
        source_site_url="https://c.sharepoint.com/sites/big",
    )
    task = SiteTask(
        job_id="job_bench",
        phase="submitted",
        dest_url="https://f.sharepoint.com/sites/big",
        sp_job_id=job_id,
        progress=StoredProgress.of(SiteProgress(total=n)),
    )

    async def no_notice(key: str, message: str) -> None:
        raise AssertionError(message)

    fetched: list[str] = []

    async def empty_log(token: str) -> tuple[list[str], str]:
        fetched.append(token)  # the queue is healthy: only the end-of-job read comes here
        return [], token

    queue = ReportQueue(queue_url)
    events = JobEvents(
        queue=queue,
        key=key,
        job_id=job_id,
        fetch_progress=empty_log,
        next_token="0",
        fallback_after=3600,
        notice=no_notice,
    )
    progress, applied = SiteProgress(total=n), 0

    async def apply(batch: list[dict[str, Any]]) -> bool:
        nonlocal task, progress, applied
        task, progress = await migrator._apply(cmd, task, progress, batch)
        applied += len(batch)
        return applied >= n  # the bench's events have no JobEnd

    started = time.perf_counter()
    await events.run_to_end(apply, poll_seconds=0.0)
    rate = n / (time.perf_counter() - started)
    assert fetched == ["0"], fetched  # no fallback while the queue answered
    assert progress.processed == n - n % 10 or progress.processed >= n - 10, progress
    await queue.close()
    await broker.stop()
    await store.close()
    return rate


async def new_queue(queue_service: str, name: str) -> str:
    """A fresh queue on Azurite and its SAS URL (what ProvisionMigrationQueue hands out)."""
    credential = {"account_name": "devstoreaccount1", "account_key": AZURITE_KEY}
    async with QueueServiceClient(queue_service, credential=credential) as service:
        await service.create_queue(name)
    sas = generate_queue_sas(
        "devstoreaccount1",
        name,
        account_key=AZURITE_KEY,
        permission=QueueSasPermissions(read=True, add=True, update=True, process=True),
        expiry=datetime.now(UTC) + timedelta(hours=1),
    )
    return f"{queue_service}/{name}?{sas}"


async def queue_bench(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        azurite = infra.start_azurite(data_dir=tmp / "azurite", log_dir=tmp)
        server = infra.start_nats(data_dir=tmp / "nats", log_dir=tmp)
        try:
            nc = await nats.connect(server.urls["nats"])
            await provision_streams(nc.jetstream())
            await nc.close()
            key, job_id = os.urandom(32), "0b1c2d3e-aaaa-4bbb-8ccc-dddddddddddd"
            raw_url = await new_queue(azurite.urls["queue"], "bench-raw")
            await fill(raw_url, n, key, job_id)
            raw = await raw_loop(raw_url, n)
            ours_url = await new_queue(azurite.urls["queue"], "bench-connector")
            await fill(ours_url, n, key, job_id)
            ours = await connector_loop(ours_url, n, key, job_id, tmp, server.urls["nats"])
            print(f"queue: {n:,} encrypted report messages on Azurite")
            print(f"  bare receive + delete loop                        {raw:>9,.0f} msgs/s")
            print(f"  connector (decrypt, fold, store, publish, delete) {ours:>9,.0f} events/s")
            print(f"  ratio {ours / raw:.2f} (target at least 0.5)")
        finally:
            server.stop()
            azurite.stop()


def main() -> None:
    objects = int(sys.argv[1]) if len(sys.argv) > 1 else 400_000
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
    manifest_bench(objects)
    asyncio.run(queue_bench(events))


if __name__ == "__main__":
    main()
