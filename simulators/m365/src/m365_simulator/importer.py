"""Running an import: read the (encrypted) package from Azure Storage, create the content, report events."""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from azure.storage.blob.aio import ContainerClient
from azure.storage.queue.aio import QueueClient
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from m365_simulator.state import MigrationJob, SimState

NS = "{urn:deployment-manifest-schema}"
COMMON = {"MigrationType": "None", "MigrationDirection": "Import", "TotalRetryCount": "0"}


def _now() -> str:
    return datetime.now(UTC).strftime("%m/%d/%Y %H:%M:%S.%f")[:-3]


def _aes(key: bytes, iv: bytes, data: bytes, *, encrypt: bool) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    if encrypt:
        padder = padding.PKCS7(128).padder()
        enc = cipher.encryptor()
        return enc.update(padder.update(data) + padder.finalize()) + enc.finalize()
    dec = cipher.decryptor()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(dec.update(data) + dec.finalize()) + unpadder.finalize()


class _Reporter:
    """Appends each event to the job's progress log and, if asked, to the report queue."""

    def __init__(self, job: MigrationJob, queue_uri: str | None, key: bytes | None) -> None:
        self.job, self.key = job, key
        self.queue = QueueClient.from_queue_url(queue_uri) if queue_uri else None
        self.correlation = str(uuid.uuid4())

    async def emit(self, event: str, **fields: Any) -> None:
        body = {
            **COMMON,
            **{k: str(v) for k, v in fields.items()},
            "JobId": self.job.id,
            "Time": _now(),
            "CorrelationId": self.correlation,
            "Event": event,
        }
        text = json.dumps(body)
        self.job.events.append(text)
        if self.queue is None:
            return
        if self.key:
            iv = os.urandom(16)
            envelope = {
                "Label": "Encrypted",
                "JobId": self.job.id,
                "IV": base64.b64encode(iv).decode(),
                "Content": base64.b64encode(_aes(self.key, iv, text.encode(), encrypt=True)).decode(),
            }
            text = json.dumps(envelope)
        await self.queue.send_message(base64.b64encode(text.encode()).decode())

    async def close(self) -> None:
        if self.queue is not None:
            await self.queue.close()


async def _read_blob(container: ContainerClient, name: str, key: bytes | None) -> bytes:
    blob = container.get_blob_client(name)
    props = await blob.get_blob_properties()
    data = await (await blob.download_blob()).readall()
    if key is None:
        return bytes(data)
    return _aes(key, base64.b64decode(props.metadata["IV"]), data, encrypt=False)


def start_import(
    sim: SimState,
    *,
    site_url: str,
    source_uri: str,
    manifest_uri: str,
    queue_uri: str | None,
    key: bytes | None,
) -> MigrationJob:
    """Register the job and process it in the background."""
    job = MigrationJob(id=str(uuid.uuid4()), site_url=site_url)
    sim.jobs[job.id] = job
    task = asyncio.create_task(_run(sim, job, source_uri, manifest_uri, _Reporter(job, queue_uri, key), key))
    sim.tasks.add(task)
    task.add_done_callback(sim.tasks.discard)
    return job


async def _run(
    sim: SimState,
    job: MigrationJob,
    source_uri: str,
    manifest_uri: str,
    reporter: _Reporter,
    key: bytes | None,
) -> None:
    site = sim.site(job.site_url, create=True)
    assert site is not None
    stats = {"processed": 0, "errors": 0, "files": 0, "bytes": 0, "total": 0}
    try:
        await reporter.emit("JobQueued", SiteId=site.id, DbId=str(uuid.uuid4()))
        await asyncio.sleep(0.05)
        job.state = 4
        await reporter.emit("JobStart", SiteId=site.id, WebId=site.web_id, DBId=str(uuid.uuid4()))
        async with ContainerClient.from_container_url(manifest_uri) as meta:
            try:
                objects = ET.fromstring(await _read_blob(meta, "Manifest.xml", key)).findall(f"{NS}SPObject")
            except Exception as exc:
                await reporter.emit(
                    "JobFatalError",
                    ObjectType="",
                    Url="",
                    Id="",
                    ErrorCode="-2147213196",
                    ErrorType="Microsoft.SharePoint.SPException",
                    Message=f"Manifest unreadable: {exc}",
                )
                objects = []
        stats["total"] = len(objects)
        async with ContainerClient.from_container_url(source_uri) as data:
            for obj in objects:
                await asyncio.sleep((sim.faults.object_delay_ms or sim.settings.object_delay_ms) / 1000)
                await _import_one(sim, site.content, data, obj, key, reporter, stats)
                stats["processed"] += 1
                if stats["processed"] % 10 == 0:
                    await reporter.emit("JobProgress", **_progress(stats))
        await reporter.emit("JobProgress", **_progress(stats))
        await reporter.emit(
            "JobEnd",
            **_progress(stats),
            FilesCreatedIrrespectiveOfVersions=stats["files"],
            BytesProcessedOnlyCurrentVersion=stats["bytes"],
        )
    finally:
        job.state = 0
        await reporter.close()


def _progress(stats: dict[str, int]) -> dict[str, Any]:
    return {
        "FilesCreated": stats["files"],
        "BytesProcessed": stats["bytes"],
        "ObjectsProcessed": stats["processed"],
        "TotalExpectedSPObjects": stats["total"],
        "TotalErrors": stats["errors"],
        "TotalWarnings": 0,
        "TotalExpectedBytes": 0,
        "WaitTimeOnSqlThrottlingMilliseconds": 0,
    }


async def _import_one(
    sim: SimState,
    content: dict[str, bytes | None],
    data: ContainerClient,
    obj: ET.Element,
    key: bytes | None,
    reporter: _Reporter,
    stats: dict[str, int],
) -> None:
    kind = obj.get("ObjectType")
    child = obj.find(f"{NS}Folder" if kind == "SPFolder" else f"{NS}File")
    if child is None:
        return
    url = child.get("Url", "")
    name = url.rsplit("/", 1)[-1]
    if any(fnmatch.fnmatch(name, pattern) for pattern in sim.faults.fail_items_matching):
        stats["errors"] += 1
        await reporter.emit(
            "JobError",
            ObjectType="File" if kind == "SPFile" else "Folder",
            Url=url,
            Id=child.get("Id", ""),
            ErrorCode="-2147024816",
            ErrorType="Microsoft.SharePoint.SPException",
            Message=f"The file {name} is blocked by policy.",
        )
        return
    if kind == "SPFolder":
        content[url] = None
        return
    body = await _read_blob(data, child.get("FileValue", ""), key)
    if len(body) != int(child.get("FileSize", "-1")):
        stats["errors"] += 1
        await reporter.emit(
            "JobError",
            ObjectType="File",
            Url=url,
            Id=child.get("Id", ""),
            ErrorCode="-2146232060",
            ErrorType="Microsoft.SharePoint.SPException",
            Message="File size does not match FileSize.",
        )
        return
    content[url] = body
    stats["files"] += 1
    stats["bytes"] += len(body)
