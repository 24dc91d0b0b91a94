"""Migrating one site: read the source (AMR), copy and package, submit the import, follow it.

The work survives a crash at any step. State lives in ``sp_tasks`` (keys sealed), the
MigrateSite command is acked only at the end, so a killed connector gets it redelivered and
picks up where the task says: before submission it reads and packages again; after, it follows
the import from the progress token it persisted. Progress is published as absolute counters
with a per-unit ``seq``.

A pass remembers the source's change token per (source site, destination site) in ``sp_sync``;
the next job for the same pair reads only what changed since, and applies deletes and renames
at the destination before importing the rest.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import MigrateSite
from migrator_contracts.enums import LogLevel
from migrator_contracts.events import ItemFailed, UnitProgressed
from migrator_platform.bus import Publisher
from migrator_platform.job_log import publish_line, throttle_lines
from migrator_platform.secret_box import SecretBox
from migrator_platform.structured_logs import get_logger
from migrator_readstore import ReadStore

from migrator_sp_connector.adapters.azure_storage import Container, ReportQueue
from migrator_sp_connector.adapters.sharepoint_api import (
    SharePointApi,
    SharePointError,
    SiteList,
)
from migrator_sp_connector.domain.manifest_stream import ExportedObject
from migrator_sp_connector.domain.package import SourceObject, build_manifest, companion_files
from migrator_sp_connector.domain.progress import SiteProgress, apply_event, failed_item
from migrator_sp_connector.migration.amr_reader import AmrReader, Security, SourceRead
from migrator_sp_connector.migration.job_events import JobEvents
from migrator_sp_connector.migration.site_task import SiteSync, SiteTask, SiteTasks, StagedFile

log = get_logger(__name__)

COPY_WORKERS = 32  # files copied source -> staging at once
MAX_RETRY_URLS = 5_000  # failed items retried by URL on the next pass (one multi-URL AMR read)

# SharePoint events that become a line in the job's log (level, message); JobError becomes
# ItemFailed (and its line), progress events only move the counters.
_EVENT_LINES: dict[str, tuple[LogLevel, str]] = {
    "JobQueued": (LogLevel.INFO, "SharePoint queued the import of {site}"),
    "JobPostponed": (LogLevel.INFO, "SharePoint postponed the import of {site} until {NextPickupTime}"),
    "JobStart": (LogLevel.INFO, "SharePoint started importing {site}"),
    "JobWarning": (LogLevel.WARN, "{Url}: {Message} ({ErrorCode})"),
    "JobFatalError": (LogLevel.ERROR, "The import of {site} failed: {Message} ({ErrorCode})"),
    "JobCancelled": (LogLevel.WARN, "SharePoint cancelled the import of {site}"),
    "JobDeleted": (LogLevel.WARN, "SharePoint deleted the import job of {site}"),
}


class Staging(NamedTuple):
    """Where a unit's package goes, as SharePoint provisioned it (the key base64)."""

    data_uri: str
    manifest_uri: str
    queue_uri: str
    key: str


STAGING_MARGIN = timedelta(hours=12)  # staging whose access ends sooner is provisioned again


def expires_soon(sas_uri: str, now: datetime | None = None) -> bool:
    """Whether a SAS URI's access (``se``) ends within ``STAGING_MARGIN``; one without says nothing."""
    end = parse_qs(urlsplit(sas_uri).query).get("se")
    if not end:
        return False
    ends = datetime.fromisoformat(end[0].replace("Z", "+00:00"))
    return ends - (now or datetime.now(UTC)) < STAGING_MARGIN


def destination_site(source_url: str, dest_domain: str, source_domain: str = "") -> str:
    """The same site in the destination tenant: ``/sites/x`` keeps its path on
    ``{dest}.sharepoint.com``; a OneDrive (``{src}-my.sharepoint.com/personal/lisa_contoso_com``)
    goes to the same user name's OneDrive there (``/personal/lisa_fabrikam_com``)."""
    parts = urlsplit(source_url)
    prefix = dest_domain.split(".")[0]
    if parts.netloc.endswith("-my.sharepoint.com") and parts.path.startswith("/personal/"):
        user = parts.path.removeprefix("/personal/")
        src_suffix = "_" + source_domain.replace(".", "_")
        if source_domain and user.endswith(src_suffix):
            user = user.removesuffix(src_suffix) + "_" + dest_domain.replace(".", "_")
        return f"https://{prefix}-my.sharepoint.com/personal/{user}"
    return f"https://{prefix}.sharepoint.com{parts.path}"


def sync_key(org_id: str, source: str, dest: str) -> str:
    """The key of a (source site, destination site) pair's incremental state."""
    pair = f"{source.rstrip('/').lower()}|{dest.rstrip('/').lower()}"
    return f"{org_id}:{hashlib.blake2b(pair.encode(), digest_size=12).hexdigest()}"


class SiteMigrator:
    """Runs MigrateSite commands to completion."""

    def __init__(
        self,
        *,
        sp: SharePointApi,
        store: ReadStore,
        box: SecretBox,
        publisher: Publisher,
        poll_seconds: float = 0.5,
        fallback_after: float = 60.0,
    ) -> None:
        """Its state in ``store``: sp_tasks, sp_sync and sp_staged, and the tenants it reads."""
        self._sp, self._box = sp, box
        self._tasks = SiteTasks(store.collection(readmodels.SP_TASKS), store.collection(readmodels.SP_SYNC))
        self._tenants = store.collection(readmodels.TENANTS)
        self._staged = store.collection(readmodels.SP_STAGED)
        self._publisher, self._poll, self._fallback = publisher, poll_seconds, fallback_after
        self._reader = AmrReader(sp, poll_seconds=poll_seconds, fallback_after=fallback_after)

    async def migrate(self, cmd: MigrateSite) -> None:
        """Drive the site's migration; returns once SharePoint reports the job's end. (The
        consumer keeps the command's delivery alive for as long as this runs, however long a
        call or a Retry-After wait takes: a second worker beside this one would import the site
        twice.)"""
        async with throttle_lines(
            self._publisher, cmd.job_id, {"unitId": cmd.unit_id, "source": cmd.source_site_url}
        ):
            await self._migrate(cmd)

    async def _log(
        self,
        cmd: MigrateSite,
        level: LogLevel,
        message: str,
        fields: dict[str, Any],
        *,
        key: str | None = None,
    ) -> None:
        """A line in the job's log; with ``key``, the same line however often it is said."""
        await publish_line(
            self._publisher,
            cmd.job_id,
            level,
            message,
            {**fields, "unitId": cmd.unit_id, "source": cmd.source_site_url},
            key=f"{cmd.unit_id}:{key}" if key else None,
        )

    async def _migrate(self, cmd: MigrateSite) -> None:
        task = await self._tasks.get(cmd.unit_id)
        if task is None:
            dest_url = cmd.dest_site_url or await self._default_destination(cmd)
            task = SiteTask(job_id=cmd.job_id, dest_url=dest_url)
            await self._tasks.put(cmd.unit_id, task)
        if task.phase in ("reading", "packaging"):
            task = await self._read_and_submit(cmd, task)
        if task.phase == "submitted":
            task = await self._follow(cmd, task)
        if task.phase == "finished" and not task.progress.fatal and task.change_token:
            await self._remember_pass(cmd, task)
        await self._report(cmd, task)  # republish the final state: harmless if already seen

    async def fail(self, cmd: MigrateSite, reason: str) -> None:
        """Give up on the site: it ends ERROR (its items not migrated count as skipped)."""
        task = await self._tasks.get(cmd.unit_id) or SiteTask(job_id=cmd.job_id)
        progress = replace(task.progress.progress(), fatal=reason[:500], ended=True)
        task = await self._save(cmd, task, progress, phase="finished")
        await self._staged.delete_many({"unitId": cmd.unit_id})
        log.error("site migration failed", unit_id=cmd.unit_id, reason=reason[:500])
        await self._report(cmd, task)  # its line ("<site> — why") is log-stream's, made from this

    async def _default_destination(self, cmd: MigrateSite) -> str:
        tenant = await self._tenants.get(cmd.dest_tenant_id)
        if tenant is None:
            raise LookupError(f"destination tenant {cmd.dest_tenant_id} is not connected")
        source = await self._tenants.get(cmd.source_tenant_id) or {}
        return destination_site(cmd.source_site_url, str(tenant["domain"]), str(source.get("domain") or ""))

    async def _read_and_submit(self, cmd: MigrateSite, task: SiteTask) -> SiteTask:
        src, dest = cmd.source_site_url, _destination(task)
        previous = None if cmd.full_pass else await self._tasks.last_pass(sync_key(cmd.org_id, src, dest))

        async def notice(key: str, message: str) -> None:
            await self._log(cmd, LogLevel.WARN, message, {}, key=f"read:{key}")

        libraries, unsupported = await self._source_lists(cmd, src)
        read = await self._reader.read(
            cmd.source_tenant_id,
            src,
            libraries=[_absolute(src, library.root) for library in libraries],
            since_token=previous.change_token if previous else None,
            retry_urls=previous.retry_urls if previous else [],
            include_versions=cmd.include_versions,
            include_permissions=cmd.include_permissions,
            notice=notice,
        )
        deleted = [o for o in read.objects if o.change == "Delete"]
        to_import = [o for o in read.objects if o.change != "Delete"]
        if read.incremental:
            await self._log(
                cmd,
                LogLevel.INFO,
                f"Incremental pass of {src}: {len(to_import)} added or changed, {len(deleted)} deleted "
                "since the last pass",
                {"changed": len(to_import), "deleted": len(deleted)},
                key="pass",
            )
        # A full pass counts the other lists' items, as skipped; an incremental one cannot tell
        # what changed in them.
        skipped = 0 if read.incremental else sum(other.items for other in unsupported)
        progress = SiteProgress(total=len(read.objects) + skipped, retried=read.retried, unsupported=skipped)
        task = await self._save(
            cmd, task, progress, change_token=read.change_token, incremental=read.incremental
        )
        await self._report(cmd, task)
        src_path, dest_path = urlsplit(src).path, urlsplit(dest).path
        for obj in [*deleted, *(o for o in to_import if o.change == "Rename")]:
            old = obj.previous_url if obj.change == "Rename" and obj.previous_url else obj.url
            where = dest_path + old[len(src_path) :]
            await self._sp.recycle(cmd.dest_tenant_id, dest, where, folder=obj.is_folder)
        progress = replace(progress, local_done=len(deleted))
        if not to_import:
            return await self._save(cmd, task, replace(progress, ended=True), phase="finished")
        await self._ensure_libraries(cmd, dest, libraries, src_path=src_path, dest_path=dest_path)
        dest_tenant = await self._tenants.get(cmd.dest_tenant_id) or {}
        login_for = _login_mapper(cmd.user_mappings, str(dest_tenant.get("domain") or ""))
        if cmd.include_permissions:
            await self._carry_security(
                cmd, dest, read, to_import, login_for, src_path=src_path, dest_path=dest_path
            )
        task, staging = await self._staging(cmd, task, dest)
        data_uri, manifest_uri, queue_uri = staging.data_uri, staging.manifest_uri, staging.queue_uri
        key = base64.b64decode(staging.key)
        list_roots = [each.root for each in libraries if each.is_item_list]
        sources, failures = await self._copy(cmd, to_import, staging, login_for, list_roots)
        for obj, error in failures:
            await self._item_failed(cmd, {"Id": obj.uid, "Url": obj.url, **error})
        progress = replace(progress, local_failed=frozenset(o.uid for o, _ in failures))
        task = await self._save(cmd, task, progress, failed_urls=[_absolute(src, o.url) for o, _ in failures])
        if not sources:
            return await self._save(cmd, task, replace(progress, ended=True), phase="finished")
        web_id = str(uuid.uuid5(uuid.NAMESPACE_URL, dest))
        manifest, _ = build_manifest(sources, site_path=src_path, web_id=web_id)
        async with Container(manifest_uri) as container:
            for name, data in {
                "Manifest.xml": manifest,
                **companion_files(site_url=dest, web_id=web_id),
            }.items():
                await container.upload_encrypted(name, data, key=key)
        sp_job_id = await self._sp.create_job_encrypted(
            cmd.dest_tenant_id,
            dest,
            web_id=web_id,
            data_uri=data_uri,
            manifest_uri=manifest_uri,
            queue_uri=queue_uri,
            key=key,
        )
        log.info("import submitted", unit_id=cmd.unit_id, sp_job_id=sp_job_id, objects=len(sources))
        sealed = self._box.seal(
            json.dumps({"key": base64.b64encode(key).decode(), "queue": queue_uri}).encode(),
            context=cmd.unit_id,
        )
        task = task.model_copy(
            update={"phase": "submitted", "sp_job_id": sp_job_id, "secrets": sealed, "progress_token": "0"}
        )
        await self._tasks.put(cmd.unit_id, task)
        await self._staged.delete_many({"unitId": cmd.unit_id})  # submitted: nothing will be copied again
        return task

    async def _source_lists(self, cmd: MigrateSite, src: str) -> tuple[list[SiteList], list[SiteList]]:
        """The site's lists that move (document libraries, lists of items) and the others, each
        of those named in the job's log: nothing is left behind silently."""
        lists = await self._sp.lists(cmd.source_tenant_id, src)
        moving = [each for each in lists if each.is_library or each.is_item_list]
        others = [each for each in lists if each not in moving and not each.hidden]
        for other in others:
            await self._log(
                cmd,
                LogLevel.WARN,
                f"{other.title} (BaseTemplate {other.template}) is neither a document library nor a "
                f"list of items: its {other.items} items are not migrated",
                {"list": other.title, "baseTemplate": other.template, "items": other.items},
                key=f"unsupported:{other.root}",
            )
        return moving, others

    async def _carry_security(
        self,
        cmd: MigrateSite,
        dest: str,
        read: SourceRead,
        to_import: list[ExportedObject],
        login_for: Callable[[str], str],
        *,
        src_path: str,
        dest_path: str,
    ) -> None:
        """What the items' permissions rest on, at the destination before them: the groups and
        role definitions; and on an incremental pass, inheritance restored where the source's
        was (the copy an item replaces may still have unique permissions)."""
        if read.security is not None:
            await self._ensure_security(cmd, dest, read.security, login_for)
        if not read.incremental:
            return
        for obj in to_import:
            if obj.change in ("Update", "Rename") and not obj.permissions:
                where = dest_path + obj.url[len(src_path) :]
                await self._sp.reset_inheritance(cmd.dest_tenant_id, dest, where, folder=obj.is_folder)

    async def _ensure_libraries(
        self, cmd: MigrateSite, dest: str, lists: list[SiteList], *, src_path: str, dest_path: str
    ) -> None:
        """Each source library and list of items at the destination, by its root folder's name,
        created (with its title) where missing, a list with the source's columns: SharePoint
        imports into a list, it does not make one."""
        there = {
            each.root.removeprefix(dest_path).strip("/")
            for each in await self._sp.lists(cmd.dest_tenant_id, dest)
        }
        for source in lists:
            name = source.root.removeprefix(src_path).strip("/")
            if name not in there:
                await self._sp.create_list(
                    cmd.dest_tenant_id,
                    dest,
                    name=name.rsplit("/", 1)[-1],
                    title=source.title,
                    template=source.template,
                )
                kind = "document library" if source.is_library else "list"
                await self._log(
                    cmd,
                    LogLevel.INFO,
                    f"Created the {kind} {source.title} at {dest}",
                    {"list": source.title},
                    key=f"library:{name}",
                )
            if source.is_item_list:
                columns = await self._sp.list_columns(cmd.source_tenant_id, cmd.source_site_url, source.title)
                have = set(await self._sp.list_columns(cmd.dest_tenant_id, dest, source.title))
                for column in columns:
                    if column not in have:
                        await self._sp.add_text_column(cmd.dest_tenant_id, dest, source.title, column)

    async def _ensure_security(
        self, cmd: MigrateSite, dest: str, security: Security, login_for: Callable[[str], str]
    ) -> None:
        """The source's role definitions and SharePoint groups (with their members, mapped as
        users are) at the destination, before the items that name them are imported."""
        roles = await self._sp.role_definitions(cmd.dest_tenant_id, dest)
        for name, base_permissions in sorted(security.roles.items()):
            if name not in roles:
                await self._sp.create_role_definition(cmd.dest_tenant_id, dest, name, base_permissions)
                await self._log(
                    cmd,
                    LogLevel.INFO,
                    f"Created the role definition {name} at {dest}",
                    {},
                    key=f"role:{name}",
                )
        groups = await self._sp.groups(cmd.dest_tenant_id, dest)
        for title, members in sorted(security.groups.items()):
            if title not in groups:
                await self._sp.create_group(cmd.dest_tenant_id, dest, title)
                await self._log(
                    cmd, LogLevel.INFO, f"Created the group {title} at {dest}", {}, key=f"group:{title}"
                )
            there = {m.lower() for m in groups.get(title, [])}
            for member in members:
                upn = login_for(member)
                if upn.lower() in there:
                    continue
                try:
                    await self._sp.add_to_group(cmd.dest_tenant_id, dest, title, upn)
                except SharePointError as exc:
                    await self._log(
                        cmd,
                        LogLevel.WARN,
                        f"{upn} could not be added to the group {title} at {dest}: {exc.message}",
                        {"group": title, "member": upn},
                        key=f"member:{title}:{upn}",
                    )

    async def _staging(self, cmd: MigrateSite, task: SiteTask, dest: str) -> tuple[SiteTask, Staging]:
        """The unit's staging containers, report queue and package key: provisioned once and
        kept (sealed) with the task, so a copy resumed after a crash goes on in the same
        containers; provisioned again when their access is about to expire."""
        if task.staging:
            kept = Staging(*json.loads(self._box.open(task.staging, context=f"{cmd.unit_id}:staging")))
            if not expires_soon(kept.data_uri):
                return task, kept
            await self._staged.delete_many({"unitId": cmd.unit_id})  # those containers are going
        data_uri, manifest_uri, key = await self._sp.provision_containers(cmd.dest_tenant_id, dest)
        queue_uri = await self._sp.provision_queue(cmd.dest_tenant_id, dest)
        staging = Staging(data_uri, manifest_uri, queue_uri, base64.b64encode(key).decode())
        sealed = self._box.seal(json.dumps(staging).encode(), context=f"{cmd.unit_id}:staging")
        task = task.model_copy(update={"staging": sealed})
        await self._tasks.put(cmd.unit_id, task)
        return task, staging

    async def _copy(
        self,
        cmd: MigrateSite,
        objects: list[ExportedObject],
        staging: Staging,
        login_for: Callable[[str], str],
        list_roots: list[str],
    ) -> tuple[list[SourceObject], list[tuple[ExportedObject, dict[str, str]]]]:
        """Copy every file's content (and earlier versions) into the staging container, a few at
        once, each streamed through in blocks (constant memory for any size); the package's
        objects, their permissions given to ``login_for`` the source users.

        Each file copied is recorded (``sp_staged``): a copy resumed after a crash skips the
        files already there whose source the read still describes the same. A file SharePoint
        refuses to give (500 and the like: never retried) is an item error, left out of the
        package; the rest of the site goes on.
        """
        files = [o for o in objects if not o.is_folder]
        copied = await self._already_staged(cmd, files)
        if copied:
            await self._log(
                cmd,
                LogLevel.INFO,
                f"Resuming the copy of {cmd.source_site_url}: {len(copied)} files already staged "
                "are not copied again",
                {"alreadyStaged": len(copied)},
                key=f"resumed:{len(copied)}",
            )
        work: asyncio.Queue[ExportedObject] = asyncio.Queue()
        for obj in files:
            if obj.uid not in copied:
                work.put_nowait(obj)
        failures: list[tuple[ExportedObject, dict[str, str]]] = []
        key = base64.b64decode(staging.key)

        async def stream(container: Container, where: str, blob: str, version: int | None = None) -> int:
            source = (cmd.source_tenant_id, cmd.source_site_url, where)
            async with self._sp.download_stream(*source, version=version) as chunks:
                return await container.upload_encrypted_stream(blob, chunks, key=key)

        async def copy_one(container: Container, obj: ExportedObject) -> None:
            """A file and its earlier versions, or a list item's attached files; then its record."""
            history: list[tuple[str, int]] = []
            attached: list[tuple[str, str, int]] = []
            size = 0
            if obj.is_list_item:
                # An item in a folder keeps its attachments at its list's root all the same.
                root = next((r for r in list_roots if obj.url.startswith(r + "/")), obj.url.rsplit("/", 1)[0])
                for n, (name, _) in enumerate(obj.attachments):
                    where, blob = f"{root}/Attachments/{obj.item_id}/{name}", f"{obj.uid}.a{n}.dat"
                    attached.append((name, blob, await stream(container, where, blob)))
            else:
                for version in obj.versions:
                    blob = f"{obj.uid}.v{version}.dat"
                    history.append((blob, await stream(container, obj.url, blob, version)))
                size = await stream(container, obj.url, f"{obj.uid}.dat")
            staged = StagedFile(
                unit_id=cmd.unit_id,
                uid=obj.uid,
                modified=obj.modified,
                source_size=obj.size,
                size=size,
                versions=history,
                version_ids=list(obj.versions),
                attachments=attached,
            )
            await self._staged.upsert(f"{cmd.unit_id}:{obj.uid}", staged.to_doc())
            copied[obj.uid] = staged

        async def worker(container: Container) -> None:
            while not work.empty():
                obj = work.get_nowait()
                try:
                    await copy_one(container, obj)
                except SharePointError as exc:
                    error = {
                        "ErrorCode": exc.code or str(exc.status),
                        "Message": f"Cannot read the source file: {exc.message}",
                    }
                    failures.append((obj, error))

        async with Container(staging.data_uri) as container:
            try:
                async with asyncio.TaskGroup() as workers:  # one fails: the others stop
                    for _ in range(COPY_WORKERS):
                        workers.create_task(worker(container))
            except BaseExceptionGroup as failed:
                raise failed.exceptions[0] from None
        sources = [
            SourceObject(
                server_relative_url=o.url,
                is_folder=o.is_folder,
                size=copied[o.uid].size if o.uid in copied else 0,
                blob=None if o.is_folder or o.is_list_item else f"{o.uid}.dat",
                versions=tuple(copied[o.uid].versions) if o.uid in copied else (),
                permissions=tuple((login_for(user), role) for user, role in o.permissions),
                fields=o.fields,
                item_id=o.item_id,
                attachments=tuple(copied[o.uid].attachments) if o.uid in copied else (),
                item_versions=o.item_versions,
            )
            for o in objects
            if o.is_folder or o.uid in copied
        ]
        return sources, failures

    async def _already_staged(self, cmd: MigrateSite, files: list[ExportedObject]) -> dict[str, StagedFile]:
        """The files an earlier run of this unit copied, while the read says they are unchanged."""
        by_uid = {o.uid: o for o in files}
        kept: dict[str, StagedFile] = {}
        async for doc in self._staged.iterate({"unitId": cmd.unit_id}):
            staged = StagedFile.model_validate(doc)
            obj = by_uid.get(staged.uid)
            if obj is not None and (staged.modified, staged.source_size, tuple(staged.version_ids)) == (
                obj.modified,
                obj.size,
                obj.versions,
            ):
                kept[staged.uid] = staged
        return kept

    async def _follow(self, cmd: MigrateSite, task: SiteTask) -> SiteTask:
        assert task.secrets is not None and task.sp_job_id is not None, "a submitted task has both"
        secrets = json.loads(self._box.open(task.secrets, context=cmd.unit_id))
        key = base64.b64decode(secrets["key"])
        queue = ReportQueue(secrets["queue"])
        progress = task.progress.progress()
        sp_job_id, dest = task.sp_job_id, _destination(task)

        async def notice(notice_key: str, message: str) -> None:
            await self._log(
                cmd, LogLevel.WARN, message, {"spJobId": sp_job_id}, key=f"{sp_job_id}:{notice_key}"
            )

        events = JobEvents(
            queue=queue,
            key=key,
            job_id=sp_job_id,
            fetch_progress=lambda token: self._sp.job_progress(cmd.dest_tenant_id, dest, sp_job_id, token),
            next_token=task.progress_token,
            fallback_after=self._fallback,
            notice=notice,
        )

        async def apply(batch: list[dict[str, Any]]) -> bool:
            nonlocal task, progress
            task, progress = await self._apply(cmd, task, progress, batch)
            return progress.ended

        async def keep_token(token: str) -> None:
            nonlocal task
            task = task.model_copy(update={"progress_token": token})
            await self._tasks.put(cmd.unit_id, task)

        # The site's final state waits until the progress log is read to its end (migrate()
        # publishes it after this returns; also after a crash here).
        try:
            await events.run_to_end(
                apply,
                poll_seconds=self._poll,
                keep_token=keep_token,
                ended=progress.ended,
            )
        finally:
            await queue.close()
        task = task.model_copy(update={"phase": "finished"})
        await self._tasks.put(cmd.unit_id, task)
        return task

    async def _apply(
        self,
        cmd: MigrateSite,
        task: SiteTask,
        progress: SiteProgress,
        events: list[dict[str, Any]],
    ) -> tuple[SiteTask, SiteProgress]:
        """Apply a batch of events, JobEnd last; report progress, but not the end (that waits
        until the progress log is reconciled)."""
        events = sorted(events, key=lambda e: e.get("Event") == "JobEnd")  # stable: the rest keep order
        before = progress
        for event in events:
            kind = str(event.get("Event"))
            # The queue and, at the end, the progress log both tell of each failure: it is
            # published once (past the bus's duplicate window, a second would be a second event).
            told = kind == "JobError" and failed_item(event) in progress.failed_ids
            progress = apply_event(progress, event)
            if kind == "JobError" and not told:
                await self._item_failed(cmd, event)
                url = _absolute(cmd.source_site_url, str(event.get("Url") or ""))
                if url not in task.failed_urls:
                    task = task.model_copy(update={"failed_urls": [*task.failed_urls, url]})
            elif kind in _EVENT_LINES:
                level, template = _EVENT_LINES[kind]
                values = {k: str(v) for k, v in event.items()} | {"site": str(task.dest_url)}
                item = event.get("Id") or event.get("Time") or ""
                await self._log(
                    cmd,
                    level,
                    template.format_map(_Missing(values)),
                    {k: event[k] for k in ("Url", "ErrorCode", "Message") if event.get(k)},
                    key=f"{task.sp_job_id}:{kind}:{item}",
                )
        if progress != before:
            task = await self._save(cmd, task, progress)
            if not progress.ended:
                await self._report(cmd, task)
        return task, progress

    async def _remember_pass(self, cmd: MigrateSite, task: SiteTask) -> None:
        """The next job for this pair of sites reads only what changes from here, and what failed."""
        dest, failed = _destination(task), task.failed_urls
        fits = len(failed) <= MAX_RETRY_URLS  # past what one multi-URL read takes, read everything
        await self._tasks.remember_pass(
            sync_key(cmd.org_id, cmd.source_site_url, dest),
            SiteSync(
                org_id=cmd.org_id,
                source_tenant_id=cmd.source_tenant_id,
                dest_tenant_id=cmd.dest_tenant_id,
                source_site_url=cmd.source_site_url,
                dest_site_url=dest,
                change_token=task.change_token if fits else None,
                retry_urls=failed if fits else [],
                last_job_id=cmd.job_id,
                last_pass_at=datetime.now(UTC).isoformat(),
            ),
        )

    async def _save(
        self, cmd: MigrateSite, task: SiteTask, progress: SiteProgress, **fields: Any
    ) -> SiteTask:
        task = task.with_progress(progress, **fields)
        await self._tasks.put(cmd.unit_id, task)
        return task

    async def _report(self, cmd: MigrateSite, task: SiteTask) -> None:
        progress = task.progress.progress()
        counters = progress.counters()
        status = progress.status
        seq = task.seq
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
                source=cmd.source_site_url,
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


def _destination(task: SiteTask) -> str:
    assert task.dest_url is not None, "a unit that began knows its destination"
    return task.dest_url


def _login_mapper(mappings: dict[str, str], dest_domain: str) -> Callable[[str], str]:
    """Source user -> destination user: the job's userMappings, else the same name at the
    destination's domain (a user missing there is a JobWarning from the import, not a failure)."""

    def login_for(login: str) -> str:
        if login.lower() in mappings:
            return mappings[login.lower()]
        name, at, _ = login.partition("@")
        return f"{name}@{dest_domain}" if at and dest_domain else login

    return login_for


def _absolute(site_url: str, url: str) -> str:
    """An item's URL from an event or manifest (absolute, server- or web-relative) made absolute."""
    if url.startswith(("https://", "http://")):
        return url
    parts = urlsplit(site_url)
    if url.startswith("/"):
        return f"{parts.scheme}://{parts.netloc}{url}"
    return f"{site_url.rstrip('/')}/{url}"


class _Missing(dict[str, str]):
    """format_map values where an absent field reads as '?' rather than failing."""

    def __missing__(self, key: str) -> str:
        return "?"
