"""Running an import: read the (encrypted) package from Azure Storage, create the content, report events."""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import hashlib
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree as ET

from azure.storage.blob.aio import ContainerClient
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from m365_simulator.data import ListItem, Site
from m365_simulator.large_files import Body, ReceivedFile
from m365_simulator.reporting import Reporter, read_blob
from m365_simulator.state import MigrationJob, SimState

NS = "{urn:deployment-manifest-schema}"
COMMON = {"MigrationType": "None", "MigrationDirection": "Import", "TotalRetryCount": "0"}
READ_AHEAD = 32  # package blobs fetched at once
LARGE = 16 << 20  # a file past this is read as a stream and kept only as its digest


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
    if sim.faults.vanish_jobs:  # accepted, and never heard of again
        sim.faults.vanish_jobs = False
        return job
    sim.jobs[job.id] = job
    reporter = Reporter(job, queue_uri, key, faults=sim.faults, common=COMMON)
    sim.spawn(_run(sim, job, source_uri, manifest_uri, reporter, key))
    return job


async def _run(
    sim: SimState,
    job: MigrationJob,
    source_uri: str,
    manifest_uri: str,
    reporter: Reporter,
    key: bytes | None,
) -> None:
    site = sim.site(job.site_url, create=True)
    assert site is not None
    stats = {"processed": 0, "errors": 0, "warnings": 0, "files": 0, "bytes": 0, "total": 0}
    try:
        await reporter.emit("JobQueued", SiteId=site.id, DbId=str(uuid.uuid4()))
        if (postpone := sim.faults.postpone_seconds) > 0:
            sim.faults.postpone_seconds = 0
            pickup = datetime.now(UTC) + timedelta(seconds=postpone)
            await reporter.emit(
                "JobPostponed",
                NextPickupTime=pickup.strftime("%m/%d/%Y %H:%M:%S.%f")[:-3],
                SiteId=site.id,
                DbId=str(uuid.uuid4()),
                JobsInQueue=3,
            )
            await asyncio.sleep(postpone)
        await asyncio.sleep(0.05)
        job.state = 4
        await reporter.emit("JobStart", SiteId=site.id, WebId=site.web_id, DBId=str(uuid.uuid4()))
        if sim.faults.cancel_jobs:
            sim.faults.cancel_jobs = False
            await reporter.emit("JobCancelled", CancelledByUser="true")
            await reporter.emit("JobDeleted")
            return
        async with ContainerClient.from_container_url(manifest_uri, use_env_settings=False) as meta:
            try:
                objects = ET.fromstring(await read_blob(meta, "Manifest.xml", key)).findall(f"{NS}SPObject")
            except Exception as exc:
                await reporter.fatal(f"Manifest unreadable: {exc}")
                objects = []
        stats["total"] = len(objects)
        last_progress = 0.0
        async with ContainerClient.from_container_url(source_uri, use_env_settings=False) as data:
            for start in range(0, len(objects), READ_AHEAD):
                chunk = objects[start : start + READ_AHEAD]
                bodies = await asyncio.gather(*(_fetch(sim, data, obj, key) for obj in chunk))
                for obj, (body, history) in zip(chunk, bodies, strict=True):
                    delay = sim.faults.object_delay_ms
                    await asyncio.sleep((sim.settings.object_delay_ms if delay is None else delay) / 1000)
                    if obj.get("ObjectType") == "SPListItem":
                        await _import_list_item(sim, site, data, obj, key, reporter, stats)
                    else:
                        await _import_one(sim, site, obj, body, history, reporter, stats)
                    stats["processed"] += 1
                    job.objects = stats["processed"]
                    # Every 10 objects, but not more than four times a second on a big job.
                    if stats["processed"] % 10 == 0 and time.monotonic() - last_progress >= 0.25:
                        last_progress = time.monotonic()
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
        "TotalWarnings": stats["warnings"],
        "TotalExpectedBytes": 0,
        "WaitTimeOnSqlThrottlingMilliseconds": 0,
    }


def _file_of(obj: ET.Element) -> ET.Element | None:
    return obj.find(f"{NS}File") if obj.get("ObjectType") == "SPFile" else None


Fetched = tuple[Body | None, list[bytes] | None]  # content, earlier versions (None: none sent)


async def _fetch(sim: SimState, data: ContainerClient, obj: ET.Element, key: bytes | None) -> Fetched:
    """A file's content and versions from the package (None for a folder or a blob that cannot be read).
    A file past ``LARGE`` is read as a stream and kept as its size and digest."""
    file = _file_of(obj)
    if file is None or _matches(file.get("Url", ""), sim.faults.fail_items_matching):
        return None, None
    listed = file.findall(f"{NS}Versions/{NS}File")
    try:
        blob = file.get("FileValue", "")
        large = int(file.get("FileSize", "0")) > LARGE
        body = await _digest(data, blob, key) if large else await read_blob(data, blob, key)
        history = [await read_blob(data, v.get("FileValue", ""), key) for v in listed]
    except Exception:
        return None, None
    return body, (history if listed else None)


async def _digest(data: ContainerClient, name: str, key: bytes | None) -> ReceivedFile:
    """A blob decrypted chunk by chunk as it downloads: its plaintext's size and SHA-256."""
    downloader = await data.get_blob_client(name).download_blob()
    iv = base64.b64decode(downloader.properties.metadata["IV"]) if key else None
    decrypt = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor() if key and iv else None
    unpad = padding.PKCS7(128).unpadder() if decrypt else None
    digest, size = hashlib.sha256(), 0

    def take(plain: bytes) -> None:
        nonlocal size
        digest.update(plain)
        size += len(plain)

    async for chunk in downloader.chunks():
        take(unpad.update(decrypt.update(chunk)) if decrypt and unpad else chunk)
    if decrypt and unpad:
        take(unpad.update(decrypt.finalize()) + unpad.finalize())
    return ReceivedFile(size, digest.hexdigest())


def _matches(url: str, patterns: list[str]) -> bool:
    name = url.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


async def _import_one(
    sim: SimState,
    site: Site,
    obj: ET.Element,
    body: Body | None,
    history: list[bytes] | None,
    reporter: Reporter,
    stats: dict[str, int],
) -> None:
    kind = obj.get("ObjectType")
    child = obj.find(f"{NS}Folder" if kind == "SPFolder" else f"{NS}File")
    if child is None:
        return
    url = child.get("Url", "")
    name = url.rsplit("/", 1)[-1]
    item = {"ObjectType": "File" if kind == "SPFile" else "Folder", "Url": url, "Id": child.get("Id", "")}
    if kind == "SPFolder" and (in_list := site.list_root(url)) and url != in_list:  # a list's folder
        folders = site.list_folders.setdefault(in_list, [])
        if url[len(in_list) + 1 :] not in folders:
            folders.append(url[len(in_list) + 1 :])
        return
    library = url.split("/", 1)[0]
    if library not in site.libraries():
        await _no_list(reporter, stats, item, f"library {library}", site)
        return
    if _matches(url, sim.faults.fail_items_matching):
        await _event(
            reporter, stats, "JobError", item, "-2147024816", f"The file {name} is blocked by policy."
        )
        return
    if _matches(url, sim.faults.warn_items_matching):
        await _event(
            reporter,
            stats,
            "JobWarning",
            item,
            "-2147024809",
            f"The author of {name} was not found; the file is attributed to the app.",
        )
    if kind == "SPFolder":
        site.put(url, None)
        await _permissions(sim, site, obj, url, item, reporter, stats)
        return
    if body is None or len(body) != int(child.get("FileSize", "-1")):
        await _event(
            reporter,
            stats,
            "JobError",
            item,
            "-2146232060",
            "The file's blob is missing." if body is None else "File size does not match FileSize.",
        )
        return
    site.put(url, body, history=history)
    columns = {p.get("Name", ""): p.get("Value", "") for p in child.findall(f"{NS}Properties/{NS}Property")}
    if columns:
        site.fields[url] = columns
    else:
        site.fields.pop(url, None)
    await _permissions(sim, site, obj, url, item, reporter, stats)
    stats["files"] += 1
    stats["bytes"] += len(body)


async def _event(
    reporter: Reporter, stats: dict[str, int], kind: str, item: dict[str, str], code: str, message: str
) -> None:
    """A JobError (the item is not imported) or JobWarning about one item, counted."""
    stats["errors" if kind == "JobError" else "warnings"] += 1
    await reporter.item_event(kind, item, code=code, message=message)


async def _no_list(
    reporter: Reporter, stats: dict[str, int], item: dict[str, str], what: str, site: Site
) -> None:
    message = f"List does not exist. The {what} is not in the site {site.url}."
    await _event(reporter, stats, "JobError", item, "-2130575322", message)


async def _import_list_item(
    sim: SimState,
    site: Site,
    data: ContainerClient,
    obj: ET.Element,
    key: bytes | None,
    reporter: Reporter,
    stats: dict[str, int],
) -> None:
    """An SPListItem into its list (by ``Url``, web-relative: ``Lists/Contacts/3_.000``), as
    item ``IntId``: its columns the list has (others are a warning each) and its attachments."""
    child = obj.find(f"{NS}ListItem")
    if child is None:
        return
    url = child.get("Url", "")
    root, n = site.list_root(url) or url.rsplit("/", 1)[0], int(child.get("IntId", "0"))
    folder = url.rsplit("/", 1)[0][len(root) + 1 :]
    item = {"ObjectType": "ListItem", "Url": url, "Id": child.get("Id", "")}
    if site.lists.get(root) is None or root not in site.columns:
        await _no_list(reporter, stats, item, f"list {root}", site)
        return
    values: dict[str, str] = {}
    for f in child.findall(f"{NS}Fields/{NS}Field"):
        column = f.get("Name", "")
        if column in site.columns[root]:
            values[column] = f.get("Value", "")
            continue
        await _event(
            reporter,
            stats,
            "JobWarning",
            item,
            "-2147024809",
            f"Column '{column}' does not exist in {root}; its value is not set.",
        )
    attachments: dict[str, bytes] = {}
    for a in child.findall(f"{NS}Attachments/{NS}Attachment"):
        try:
            attachments[a.get("Name", "")] = await read_blob(data, a.get("FileValue", ""), key)
        except Exception:
            await _event(reporter, stats, "JobError", item, "-2146232060", "An attachment's blob is missing.")
            return
    history = [
        {f.get("Name", ""): f.get("Value", "") for f in version.findall(f"{NS}Field")}
        for version in child.findall(f"{NS}Versions/{NS}Version")
    ]
    site.items.setdefault(root, {})[n] = ListItem(values, attachments, history, folder)


async def _permissions(
    sim: SimState,
    site: Site,
    obj: ET.Element,
    url: str,
    item: dict[str, str],
    reporter: Reporter,
    stats: dict[str, int],
) -> None:
    """Unique permissions the package gives the item; a user the tenant lacks is a JobWarning."""
    listed = obj.findall(f"{NS}RoleAssignments/{NS}RoleAssignment")
    if not listed:
        return
    tenant = sim.tenant(site.url.split("/")[2])
    known = {u.upn.lower() for u in tenant.users} if tenant else set()
    roles: dict[str, str] = {}
    for assignment in listed:
        login, role = assignment.get("Login", ""), assignment.get("Role", "")
        group = "@" not in login  # a principal is a user (by UPN) or a SharePoint group (by title)
        missing = (login not in site.groups) if group else (login.lower() not in known)
        if not missing and role in site.roles:
            roles[login] = role
            continue
        if missing:
            who = f"The group {login}" if group else f"The user {login}"
            message = f"{who} does not exist at the destination; the {role} role is not set."
        else:
            message = (
                f"The role definition {role} does not exist at the destination; {login} is not given it."
            )
        await _event(reporter, stats, "JobWarning", item, "-2130575276", message)
    site.grant(url, roles)
