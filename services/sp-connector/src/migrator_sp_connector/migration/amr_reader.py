"""Reading a source site with the Asynchronous Metadata Read (AMR) API.

How the read is cut follows Microsoft's AMR guidance: one read of the library's top level
(IncludeDirectDescendantsOnly) gives each folder's size (SMTotalFileCount); a folder of more
than 1,000,000 items is explored the same way, a level at a time, "until there are no more
folders" that big; folders of 10,000 items or more get a read of their own, smaller ones are
combined into multi-URL reads (at most 5,000 URLs each). Several reads run at once.

An incremental pass is one read of the library with the StartChangeToken of the last pass. A
token SharePoint no longer honours (-2146232832), or an incremental read SharePoint cancels
(-2147213196: it cancels change-token reads that run past ten minutes), falls back to a full
read, and says so. A read of the full pass that is cancelled is run again, up to
``CANCELLED_ATTEMPTS`` times.

Permissions are read as the reference advises: ``IncludePermission`` on every read gives each
item's role assignments; ``IncludeSecurity`` (every user and group of the site collection, very
slow over a whole tree) only on the top-level read, where it is cheap.

Manifests are decrypted and parsed while they download, as soon as FinishManifestFileUpload
announces each one.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET

from migrator_platform.structured_logs import get_logger

from migrator_sp_connector.adapters.azure_storage import Container, ReportQueue
from migrator_sp_connector.adapters.sharepoint_api import SharePointApi, SharePointError
from migrator_sp_connector.domain.encryption import decrypt, new_key
from migrator_sp_connector.domain.manifest_stream import ExportedObject, ManifestStream
from migrator_sp_connector.migration.job_events import JobEvents, Notice

log = get_logger(__name__)

LIBRARY = "Shared Documents"
OWN_READ_AT = 10_000  # items in a folder tree from which it gets its own read
LEVEL_BY_LEVEL_PAST = 1_000_000  # items in a folder tree past which it is read a level at a time
MAX_URLS = 5_000  # per multi-URL read (the AMR limit)
BATCH_ITEMS = 10_000  # items per combined read
TOKEN_TOO_OLD = "-2146232832"
CANCELLED = "-2147213196"  # "Operation canceled": the read was cancelled, not the source broken
CANCELLED_ATTEMPTS = 3
_MANIFEST = re.compile(r"(^|/)Manifest\d*\.xml$", re.IGNORECASE)


class ReadFailed(Exception):
    """The AMR read ended in a fatal error: nothing can be migrated from it."""


class ReadCancelled(ReadFailed):
    """SharePoint cancelled the read (-2147213196): the same read may well succeed again."""


@dataclass(frozen=True)
class Security:
    """A site's SharePoint groups (title -> member UPNs) and role definitions (name -> base
    permissions), from the UserGroupMap.xml of a read with IncludeSecurity."""

    groups: dict[str, list[str]]
    roles: dict[str, str]


def _named(root: ET.Element, tag: str) -> list[ET.Element]:
    """Elements called ``tag`` in any namespace (the map's varies)."""
    return [e for e in root.iter() if e.tag.rsplit("}", 1)[-1] == tag]


def security_of(user_group_map: bytes) -> Security:
    root = ET.fromstring(user_group_map)
    users = {
        u.get("Id"): u.get("Email") or (u.get("Login") or "").rsplit("|", 1)[-1] for u in _named(root, "User")
    }
    groups = {
        g.get("Name", ""): [upn for m in _named(g, "Member") if (upn := users.get(m.get("UserId")))]
        for g in _named(root, "Group")
    }
    roles = {r.get("Name", ""): r.get("BasePermissions", "") for r in _named(root, "Role")}
    return Security(groups, roles)


@dataclass(frozen=True)
class SourceRead:
    """What a pass found at the source, and the token the next pass starts from."""

    objects: list[ExportedObject]
    change_token: str
    incremental: bool
    retried: int = 0  # objects read again only because they failed in the last pass
    security: Security | None = None  # with permissions: the site's groups and role definitions


def plan_reads(top: list[ExportedObject]) -> list[list[str]]:
    """The folder URLs to read, grouped into AMR jobs: big folders alone, the rest combined."""
    folders = [o for o in top if o.is_folder]
    jobs: list[list[str]] = [[f.url] for f in folders if f.items_below >= OWN_READ_AT]
    batch: list[str] = []
    items = 0
    for folder in (f for f in folders if f.items_below < OWN_READ_AT):
        if batch and (len(batch) >= MAX_URLS or items + folder.items_below > BATCH_ITEMS):
            jobs.append(batch)
            batch, items = [], 0
        batch.append(folder.url)
        items += folder.items_below + 1
    if batch:
        jobs.append(batch)
    return jobs


class AmrReader:
    """Reads a site's Documents library through AMR, full or since a change token."""

    def __init__(
        self,
        sp: SharePointApi,
        *,
        poll_seconds: float,
        fallback_after: float,
        parallel_reads: int = 4,
        level_by_level_past: int = LEVEL_BY_LEVEL_PAST,
    ) -> None:
        self._sp, self._poll, self._fallback = sp, poll_seconds, fallback_after
        self._parallel, self._level_by_level_past = parallel_reads, level_by_level_past

    async def read(
        self,
        tenant_id: str,
        site_url: str,
        *,
        libraries: Sequence[str] = (),
        since_token: str | None,
        retry_urls: Sequence[str] = (),
        include_versions: bool = False,
        include_permissions: bool = False,
        notice: Notice,
    ) -> SourceRead:
        """Every document library of the site (``libraries``: the URLs of their root folders;
        none given, the Documents library), or (with ``since_token``) what changed in them since,
        plus ``retry_urls``: the items that failed last pass, read again by URL so the pass
        retries them. A site's change token covers all its libraries."""
        roots = list(libraries) or [f"{site_url.rstrip('/')}/{LIBRARY}"]
        # Metadata columns are content: without IncludeExtendedMetadata only "names, URL, author,
        # modifier, dates" are read, and a library's columns would be left behind.
        extra = {"IncludeExtendedMetadata": True} | ({"IncludeVersions": True} if include_versions else {})
        extra |= {"IncludePermission": True} if include_permissions else {}
        users = {"IncludeSecurity": True} if include_permissions else {}
        session = _Session(
            self._sp,
            tenant_id,
            site_url,
            notice=notice,
            extra_options=extra,
            poll_seconds=self._poll,
            fallback_after=self._fallback,
        )
        if since_token:
            try:
                changed: list[ExportedObject] = []
                token = ""
                for root in roots:
                    found, current = await session.run([root], {"StartChangeToken": since_token})
                    changed += found
                    token = token or current
                again: dict[str, ExportedObject] = {}
                for start in range(0, len(retry_urls), MAX_URLS):
                    found, _ = await session.run(list(retry_urls[start : start + MAX_URLS]), {})
                    again.update((o.uid, o) for o in found)
                retried = len(again.keys() - {o.uid for o in changed})
                again.update((o.uid, o) for o in changed)  # what the change log says wins
                if users:  # the groups and roles as they are now: the top of a library tells them
                    await session.run_again_if_cancelled(
                        roots[:1], {"IncludeDirectDescendantsOnly": True} | users
                    )
                return SourceRead(
                    list(again.values()),
                    token or since_token,
                    incremental=True,
                    retried=retried,
                    security=session.security,
                )
            except SharePointError as exc:
                if exc.code != TOKEN_TOO_OLD:
                    raise
                await notice(
                    "token-too-old",
                    "The change token of the last pass is too old for SharePoint "
                    f"({TOKEN_TOO_OLD}); reading the whole site again",
                )
            except ReadCancelled:
                await notice(
                    "incremental-cancelled",
                    f"SharePoint cancelled the read of what changed since the last pass ({CANCELLED}: "
                    "it cancels change-token reads that run past ten minutes); reading the whole site again",
                )
        gate = asyncio.Semaphore(self._parallel)

        async def one(urls: list[str], options: dict[str, Any]) -> list[ExportedObject]:
            async with gate:
                return (await session.run_again_if_cancelled(urls, options))[0]

        every: dict[str, ExportedObject] = {}
        token, reads = "", 0
        for index, root in enumerate(roots):
            # The site collection's users once, with the first library's top level.
            top_options = {"IncludeDirectDescendantsOnly": True} | (users if index == 0 else {})
            top, current = await session.run_again_if_cancelled([root], top_options)
            token = token or current  # the first: taken before anything was read
            every.update((o.uid, o) for o in top)
            level, whole = top, list[ExportedObject]()
            reads += 1
            while level:  # folders past the limit a level at a time; the rest to read whole
                folders = [o for o in level if o.is_folder]
                huge = [f for f in folders if f.items_below > self._level_by_level_past]
                whole += [f for f in folders if f.items_below <= self._level_by_level_past]
                below = await asyncio.gather(
                    *(one([f.url], {"IncludeDirectDescendantsOnly": True}) for f in huge)
                )
                reads += len(huge)
                explored = {f.url for f in huge}
                level = [o for objects in below for o in objects if o.url not in explored]
                every.update((o.uid, o) for o in level)
            plan = plan_reads(whole)
            reads += len(plan)
            for objects in await asyncio.gather(*(one(urls, {}) for urls in plan)):
                every.update((o.uid, o) for o in objects)  # a folder read returns the folder again
        objects = sorted(every.values(), key=lambda o: (o.url.count("/"), not o.is_folder, o.url))
        log.info("source read", site=site_url, objects=len(objects), reads=reads, libraries=len(roots))
        return SourceRead(objects, token, incremental=False, security=session.security)


class _Session:
    """The AMR jobs of one pass over one site: storage provisioned once, a queue per job."""

    def __init__(
        self,
        sp: SharePointApi,
        tenant_id: str,
        site_url: str,
        *,
        notice: Notice,
        extra_options: dict[str, Any],
        poll_seconds: float,
        fallback_after: float,
    ) -> None:
        self._sp, self._tenant, self._site = sp, tenant_id, site_url
        self._notice = notice
        self._extra, self._poll, self._fallback = extra_options, poll_seconds, fallback_after
        self._container: str | None = None
        self.security: Security | None = None  # from the first read that exported the site's users

    async def run_again_if_cancelled(
        self, urls: list[str], options: dict[str, Any]
    ) -> tuple[list[ExportedObject], str]:
        """:meth:`run`, again when SharePoint cancels it, up to ``CANCELLED_ATTEMPTS`` in all."""
        for attempt in range(1, CANCELLED_ATTEMPTS):
            try:
                return await self.run(urls, options)
            except ReadCancelled:
                what = urls[0] if len(urls) == 1 else f"{len(urls)} folders"
                await self._notice(
                    f"cancelled:{what}:{attempt}",
                    f"SharePoint cancelled the read of {what} ({CANCELLED}); reading it again "
                    f"({attempt + 1} of {CANCELLED_ATTEMPTS})",
                )
        return await self.run(urls, options)  # the last attempt: a cancellation now fails the read

    async def run(self, urls: list[str], options: dict[str, Any]) -> tuple[list[ExportedObject], str]:
        """One AMR job to its end: (objects from its manifests, CurrentChangeToken); a read with
        IncludeSecurity also leaves the site's groups and role definitions in ``security``."""
        wants_security = bool(options.get("IncludeSecurity"))
        sp = self._sp
        if self._container is None:
            _, self._container, _ = await sp.provision_containers(self._tenant, self._site)
        queue_uri = await sp.provision_queue(self._tenant, self._site)
        key = new_key()
        info = await sp.create_read_job(
            self._tenant,
            self._site,
            urls=urls,
            options=options | self._extra,
            key=key,
            manifest_uri=self._container,
            queue_uri=queue_uri,
        )
        objects: list[ExportedObject] = []
        parsed: set[str] = set()
        queue = ReportQueue(queue_uri)
        events = JobEvents(
            queue=queue,
            key=key,
            job_id=info.job_id,
            fetch_progress=lambda token: sp.job_progress(self._tenant, self._site, info.job_id, token),
            next_token="0",
            fallback_after=self._fallback,
            notice=self._notice,
        )
        ended = False
        try:
            async with Container(self._container) as container:

                async def apply(batch: list[dict[str, Any]]) -> bool:
                    nonlocal ended
                    for event in batch:
                        ended |= await self._on_event(event, container, key, parsed, objects, wants_security)
                    return ended

                # Past the end too: the queue may have lost or reordered a
                # FinishManifestFileUpload, and the job's progress log has them all.
                await events.run_to_end(apply, poll_seconds=self._poll)
        finally:
            await queue.close()
        return objects, info.change_token

    async def _on_event(
        self,
        event: dict[str, Any],
        container: Container,
        key: bytes,
        parsed: set[str],
        objects: list[ExportedObject],
        wants_security: bool,
    ) -> bool:
        kind = event.get("Event")
        if kind == "FinishManifestFileUpload":
            name = str(event.get("ManifestFileName") or "")
            if _MANIFEST.search(name) and name not in parsed:
                parsed.add(name)
                objects += await self._parse(container, name, key)
            elif name.endswith("UserGroupMap.xml") and wants_security and self.security is None:
                iv, chunks = await container.stream(name)
                data = b"".join([chunk async for chunk in chunks])  # users and groups: small
                self.security = security_of(decrypt(key, iv, data) if iv else data)
        elif kind == "JobFatalError":
            said = f"{event.get('Message') or 'fatal error'} ({event.get('ErrorCode') or 'no code'})"
            if str(event.get("ErrorCode")) == CANCELLED:
                raise ReadCancelled(f"SharePoint cancelled the AMR read of {self._site}: {said}")
            raise ReadFailed(f"The AMR read of {self._site} failed: {said}")
        return kind == "JobEnd"

    async def _parse(self, container: Container, name: str, key: bytes) -> list[ExportedObject]:
        iv, chunks = await container.stream(name)
        stream = ManifestStream(name.rsplit("/", 1)[-1], key=key, iv=iv)
        out: list[ExportedObject] = []
        async for chunk in chunks:
            out += stream.feed(chunk)
        return out + stream.close()
