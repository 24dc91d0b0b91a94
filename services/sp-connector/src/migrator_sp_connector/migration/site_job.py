"""Migrating one site: package the source, submit the import, follow it to the end.

The work survives a crash at any step. State lives in ``sp_tasks`` (keys sealed), the
MigrateSite command is acked only at the end, so a killed connector gets it redelivered and
picks up where the task says: before submission it packages again; after, it goes on reading
the report queue. Progress is published as absolute counters with a per-unit ``seq``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from migrator_contracts import subjects
from migrator_contracts.base import Message
from migrator_contracts.commands import MigrateSite
from migrator_contracts.enums import LogLevel
from migrator_contracts.events import ItemFailed, UnitProgressed
from migrator_contracts.logs import LogLine
from migrator_platform.readstore import Collection
from migrator_platform.structured_logs import get_logger

from migrator_sp_connector.migration import azure_storage
from migrator_sp_connector.migration.encryption import open_queue_message
from migrator_sp_connector.migration.package import build_manifest, companion_files
from migrator_sp_connector.migration.progress import SiteProgress, apply_event
from migrator_sp_connector.migration.sharepoint_api import SharePointApi
from migrator_sp_connector.secret_box import SecretBox
from migrator_sp_connector.throttling import throttle_listener

log = get_logger(__name__)


class Publisher(Protocol):
    async def publish(self, subject: str, message: Message, *, msg_id: str) -> None: ...


class Heartbeat(Protocol):
    async def __call__(self) -> None: ...


def destination_site(source_url: str, dest_domain: str) -> str:
    """The same site path in the destination tenant (``contoso.com`` → ``contoso.sharepoint.com``)."""
    path = urlsplit(source_url).path
    return f"https://{dest_domain.split('.')[0]}.sharepoint.com{path}"


class SiteMigrator:
    """Runs MigrateSite commands to completion."""

    def __init__(
        self,
        *,
        sp: SharePointApi,
        tasks: Collection,
        tenants: Collection,
        box: SecretBox,
        publisher: Publisher,
        poll_seconds: float = 0.5,
    ) -> None:
        self._sp, self._tasks, self._tenants, self._box = sp, tasks, tenants, box
        self._publisher, self._poll = publisher, poll_seconds

    async def migrate(self, cmd: MigrateSite, heartbeat: Heartbeat) -> None:
        """Drive the site's migration; returns once SharePoint reports the job's end."""
        pending: set[asyncio.Task[None]] = set()

        def on_throttle(status: int, wait: float) -> None:
            task = asyncio.get_running_loop().create_task(self._log_throttle(cmd, status, wait))
            pending.add(task)
            task.add_done_callback(pending.discard)

        token = throttle_listener.set(on_throttle)
        try:
            await self._migrate(cmd, heartbeat)
        finally:
            throttle_listener.reset(token)
            await asyncio.gather(*pending, return_exceptions=True)

    async def _log_throttle(self, cmd: MigrateSite, status: int, wait: float) -> None:
        """A WARN line in the job's log: the destination or source is holding us back."""
        line_id = f"log_{uuid.uuid4().hex[:24]}"
        line = LogLine(
            id=line_id,
            job_id=cmd.job_id,
            level=LogLevel.WARN,
            message=f"Throttled ({status}) — retrying in {wait:.0f}s",
            ts=datetime.now(UTC),
            fields={
                "status": status,
                "retryAfterSeconds": round(wait, 1),
                "unitId": cmd.unit_id,
                "source": cmd.source_site_url,
            },
        )
        try:
            await self._publisher.publish(subjects.job_log(cmd.job_id), line, msg_id=line_id)
        except Exception as exc:  # a lost log line must not fail the migration
            log.warning("throttle log line not published", job_id=cmd.job_id, error=repr(exc))

    async def _migrate(self, cmd: MigrateSite, heartbeat: Heartbeat) -> None:
        stored = await self._tasks.get(cmd.unit_id)
        task = {k: v for k, v in stored.items() if k != "_id"} if stored else None
        if task is None:
            dest_url = cmd.dest_site_url or await self._default_destination(cmd)
            task = {"jobId": cmd.job_id, "phase": "packaging", "seq": 0, "destUrl": dest_url, "progress": {}}
            await self._tasks.upsert(cmd.unit_id, task)
        if task["phase"] == "packaging":
            task = await self._submit(cmd, task, heartbeat)
        if task["phase"] == "submitted":
            task = await self._follow(cmd, task, heartbeat)
        await self._report(cmd, task)  # republish the final state: harmless if already seen

    async def fail(self, cmd: MigrateSite, reason: str) -> None:
        """Give up on the site: it ends ERROR (its items not migrated count as skipped)."""
        stored = await self._tasks.get(cmd.unit_id)
        task: dict[str, Any] = (
            {k: v for k, v in stored.items() if k != "_id"} if stored else {"jobId": cmd.job_id, "seq": 0}
        )
        progress = replace(_load_progress(task.get("progress") or {}), fatal=reason[:500], ended=True)
        task = await self._save(cmd, task | {"phase": "finished"}, progress=progress)
        log.error("site migration failed", unit_id=cmd.unit_id, reason=reason[:500])
        await self._report(cmd, task)

    async def _default_destination(self, cmd: MigrateSite) -> str:
        tenant = await self._tenants.get(cmd.dest_tenant_id)
        if tenant is None:
            raise LookupError(f"destination tenant {cmd.dest_tenant_id} is not connected")
        return destination_site(cmd.source_site_url, str(tenant["domain"]))

    async def _submit(self, cmd: MigrateSite, task: dict[str, Any], heartbeat: Heartbeat) -> dict[str, Any]:
        src, dest = cmd.source_site_url, task["destUrl"]
        objects = await self._sp.list_library(cmd.source_tenant_id, src)
        task = await self._save(cmd, task, progress=SiteProgress(total=len(objects)))
        await self._report(cmd, task)
        data_uri, manifest_uri, key = await self._sp.provision_containers(cmd.dest_tenant_id, dest)
        queue_uri = await self._sp.provision_queue(cmd.dest_tenant_id, dest)
        web_id = str(uuid.uuid5(uuid.NAMESPACE_URL, dest))
        manifest, files = build_manifest(objects, site_path=urlsplit(src).path, web_id=web_id)
        for packed in files:
            content = await self._sp.download(cmd.source_tenant_id, src, packed.source.server_relative_url)
            await azure_storage.upload_encrypted(data_uri, {packed.blob_name: content}, key=key)
            await heartbeat()
        await azure_storage.upload_encrypted(
            manifest_uri, {"Manifest.xml": manifest, **companion_files(site_url=dest, web_id=web_id)}, key=key
        )
        sp_job_id = await self._sp.create_job_encrypted(
            cmd.dest_tenant_id,
            dest,
            web_id=web_id,
            data_uri=data_uri,
            manifest_uri=manifest_uri,
            queue_uri=queue_uri,
            key=key,
        )
        log.info("import submitted", unit_id=cmd.unit_id, sp_job_id=sp_job_id, objects=len(objects))
        sealed = self._box.seal(
            json.dumps({"key": base64.b64encode(key).decode(), "queue": queue_uri}).encode(),
            context=cmd.unit_id,
        )
        task |= {"phase": "submitted", "spJobId": sp_job_id, "secrets": sealed}
        await self._tasks.upsert(cmd.unit_id, task)
        return task

    async def _follow(self, cmd: MigrateSite, task: dict[str, Any], heartbeat: Heartbeat) -> dict[str, Any]:
        secrets = json.loads(self._box.open(task["secrets"], context=cmd.unit_id))
        key = base64.b64decode(secrets["key"])
        queue = azure_storage.ReportQueue(secrets["queue"])
        progress = _load_progress(task["progress"])
        try:
            while not progress.ended:
                reports = await queue.receive()
                task, progress = await self._apply(cmd, task, progress, queue, key, reports)
                await heartbeat()
                if not reports:
                    await asyncio.sleep(self._poll)
            # Azure queues are not FIFO: a JobError may still wait behind the JobEnd. Read what
            # is left, so every failed item is reported before the site's final state (which
            # migrate() publishes after this returns, also after a crash here).
            while reports := await queue.receive():
                task, progress = await self._apply(cmd, task, progress, queue, key, reports)
        finally:
            await queue.close()
        task |= {"phase": "finished"}
        await self._tasks.upsert(cmd.unit_id, task)
        return task

    async def _apply(
        self,
        cmd: MigrateSite,
        task: dict[str, Any],
        progress: SiteProgress,
        queue: azure_storage.ReportQueue,
        key: bytes,
        reports: list[azure_storage.QueuedReport],
    ) -> tuple[dict[str, Any], SiteProgress]:
        """Apply a batch of queue reports, JobEnd last; report progress, but not the end
        (that waits until the queue is drained)."""
        events = [(report, open_queue_message(key, report.text)) for report in reports]
        events.sort(key=lambda pair: pair[1].get("Event") == "JobEnd")  # stable: the rest keep order
        for report, event in events:
            if event.get("JobId") and event["JobId"] != task["spJobId"]:
                await queue.delete(report)  # a superseded submission's report
                continue
            before = progress
            progress = apply_event(progress, event)
            if event.get("Event") == "JobError":
                await self._item_failed(cmd, event)
            if progress != before:
                task = await self._save(cmd, task, progress=progress)
                if not progress.ended:
                    await self._report(cmd, task)
            await queue.delete(report)
        return task, progress

    async def _save(
        self, cmd: MigrateSite, task: dict[str, Any], *, progress: SiteProgress
    ) -> dict[str, Any]:
        task = task | {"seq": int(task["seq"]) + 1, "progress": _dump_progress(progress)}
        await self._tasks.upsert(cmd.unit_id, task)
        return task

    async def _report(self, cmd: MigrateSite, task: dict[str, Any]) -> None:
        progress = _load_progress(task["progress"])
        counters = progress.counters()
        status = progress.status
        seq = int(task["seq"])
        await self._publisher.publish(
            subjects.unit_event(cmd.job_id, "UnitProgressed"),
            UnitProgressed(
                event_id=f"{cmd.unit_id}:{seq}",
                seq=seq,
                occurred_at=datetime.now(UTC),
                job_id=cmd.job_id,
                unit_id=cmd.unit_id,
                status=status,
                total_items=counters["total"],
                done_items=counters["done"],
                error_items=counters["error"],
                skipped_items=counters["skipped"],
                bytes_transferred=progress.bytes,
                message=progress.fatal,
            ),
            msg_id=f"{cmd.unit_id}:{seq}",
        )

    async def _item_failed(self, cmd: MigrateSite, event: dict[str, Any]) -> None:
        item = str(event.get("Id") or event.get("Url"))
        await self._publisher.publish(
            subjects.unit_event(cmd.job_id, "ItemFailed"),
            ItemFailed(
                event_id=f"{cmd.unit_id}:err:{item}",
                seq=0,
                occurred_at=datetime.now(UTC),
                job_id=cmd.job_id,
                unit_id=cmd.unit_id,
                item_url=str(event.get("Url") or ""),
                error_code=str(event.get("ErrorCode") or ""),
                message=str(event.get("Message") or ""),
            ),
            msg_id=f"{cmd.unit_id}:err:{item}",
        )


def _dump_progress(p: SiteProgress) -> dict[str, Any]:
    return {
        "total": p.total,
        "processed": p.processed,
        "bytes": p.bytes,
        "failedIds": sorted(p.failed_ids),
        "fatal": p.fatal,
        "ended": p.ended,
        "doneHigh": p.done_high,
        "reportedErrors": p.reported_errors,
    }


def _load_progress(d: dict[str, Any]) -> SiteProgress:
    if not d:
        return SiteProgress()
    return replace(
        SiteProgress(),
        total=d["total"],
        processed=d["processed"],
        bytes=d["bytes"],
        failed_ids=frozenset(d["failedIds"]),
        fatal=d.get("fatal"),
        ended=bool(d["ended"]),
        done_high=int(d.get("doneHigh", 0)),
        reported_errors=int(d.get("reportedErrors", 0)),
    )
