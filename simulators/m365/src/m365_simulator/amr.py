"""The Asynchronous Metadata Read (AMR) export: CreateSPAsyncReadJob and its multi-URL form.

A read job walks the requested URLs, writes the export package under ``{jobId}/`` in the caller's
manifest container (Manifest.xml split past the size limit, then ExportSettings, SystemData,
UserGroupMap and the other parts), each blob encrypted with its IV in metadata, and announces
every file with FinishManifestFileUpload as soon as it is uploaded.

With a StartChangeToken only what changed since the token is exported. The change log's
encoding of deletes and renames is ours (``ChangeType`` and ``PreviousUrl`` on the SPObject):
the AMR reference says only that changed items are returned.

The read options are told apart as the reference describes them: ``IncludePermission`` puts
each item's role assignments in the manifest; ``IncludeExtendedMetadata`` a file's metadata
columns (``Properties``; without it only "names, URL, author, modifier, dates");
``IncludeSecurity`` puts every user of the site collection in UserGroupMap.xml and is "very
slow" unless the read is of direct descendants only, so such a read is charged
``amr_security_ms_per_object`` for every object it exports. A change-token read that would run
past ten minutes at ``amr_objects_per_second`` is cancelled (JobFatalError -2147213196,
"Operation canceled"), as SharePoint cancels them.
"""

from __future__ import annotations

import asyncio
import base64
import os
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import quoteattr

from azure.storage.blob.aio import ContainerClient

from m365_simulator.data import ListItem, Site, Tenant
from m365_simulator.reporting import Reporter, aes, write_blob
from m365_simulator.state import MigrationJob, SimState

COMMON = {"MigrationType": "AsyncRead", "MigrationDirection": "Export", "TotalRetryCount": "0"}
MAX_URLS = 5000
LIBRARY = "Shared Documents"
TOKEN_TOO_OLD = -2146232832
CANCELLED = "-2147213196"
CHANGE_TOKEN_READ_SECONDS = 600  # SharePoint cancels a change-token read that runs longer
DECL = b'<?xml version="1.0" encoding="utf-8"?>'


class ReadRefused(Exception):
    """The read cannot start: SharePoint's error code and message."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass(frozen=True)
class ReadOptions:
    include_direct_descendants_only: bool = False
    include_security: bool = False  # every user of the site collection (slow past the top level)
    include_permission: bool = False  # each item's role assignments
    include_versions: bool = False
    include_extended_metadata: bool = False
    start_change_token: str | None = None

    @classmethod
    def parse(cls, raw: dict[str, Any] | None) -> ReadOptions:
        raw = raw or {}
        return cls(
            include_direct_descendants_only=bool(raw.get("IncludeDirectDescendantsOnly")),
            include_security=bool(raw.get("IncludeSecurity")),
            include_permission=bool(raw.get("IncludePermission")),
            include_versions=bool(raw.get("IncludeVersions")),
            include_extended_metadata=bool(raw.get("IncludeExtendedMetadata")),
            start_change_token=raw.get("StartChangeToken") or None,
        )

    @property
    def slow(self) -> bool:
        """IncludeSecurity over a whole tree: the path the reference calls very slow."""
        return self.include_security and not self.include_direct_descendants_only


def _prefix(site: Site, url: str) -> str:
    """The web-relative path a URL points at (the site itself stands for its Documents library)."""
    path = unquote(urlsplit(url).path).rstrip("/")
    if path != site.path and not path.startswith(site.path + "/"):
        raise ReadRefused(-2147024809, f"The URL {url} is not in the site {site.url}.")
    return path[len(site.path) :].lstrip("/") or LIBRARY


def _under(path: str, prefix: str, *, direct: bool) -> bool:
    if path == prefix:
        return not direct
    if not path.startswith(prefix + "/"):
        return False
    return not direct or "/" not in path[len(prefix) + 1 :]


def start_read(
    sim: SimState,
    tenant: Tenant,
    site: Site,
    *,
    urls: list[str],
    options: ReadOptions,
    key: bytes | None,
    manifest_uri: str,
    queue_uri: str | None,
) -> tuple[MigrationJob, str]:
    """Check the request, start the read in the background; (job, CurrentChangeToken)."""
    if not urls or len(urls) > MAX_URLS:
        raise ReadRefused(-2147024809, f"Between 1 and {MAX_URLS} URLs can be read in one job.")
    prefixes = [_prefix(site, url) for url in urls]
    since: int | None = None
    if options.start_change_token:
        try:
            since = int(options.start_change_token.split(";")[4])
        except (IndexError, ValueError):
            raise ReadRefused(-2147024809, "The change token is not valid.") from None
        if since < site.log_start - 1:
            raise ReadRefused(
                TOKEN_TOO_OLD,
                "The changeToken refers to a time before the start of the current change log.",
            )
    token = site.change_token()
    job = MigrationJob(id=str(uuid.uuid4()), site_url=site.url, kind="export", read_options=options)
    sim.jobs[job.id] = job
    reporter = Reporter(job, queue_uri, key, faults=sim.faults, common=COMMON)
    corrupt, sim.faults.corrupt_manifest = sim.faults.corrupt_manifest, None
    cancel = sim.faults.cancel_reads > 0
    sim.faults.cancel_reads = max(0, sim.faults.cancel_reads - 1)
    sim.spawn(_run(sim, tenant, site, job, reporter, prefixes, options, since, manifest_uri, corrupt, cancel))
    return job, token


def _objects(site: Site, prefixes: list[str], options: ReadOptions, since: int | None) -> list[str]:
    """The SPObject elements of the export, parents first."""
    lib_ids: dict[str, str] = {}

    def parent_id(path: str) -> str:
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent in site.ids:
            return site.ids[parent]
        return lib_ids.setdefault(parent, str(uuid.uuid5(uuid.UUID(site.web_id), parent)))

    below: Counter[str] = Counter()
    for path in site.content:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            below["/".join(parts[:depth])] += 1

    direct = options.include_direct_descendants_only
    out: list[str] = []
    if since is None:
        chosen = sorted(
            {p for p in site.content for prefix in prefixes if _under(p, prefix, direct=direct)},
            key=lambda p: (p.count("/"), site.content[p] is not None, p),
        )
        for path in chosen:
            out.append(
                _spobject(
                    site,
                    path,
                    site.ids[path],
                    parent_id(path),
                    below=below[path],
                    versions=options.include_versions,
                    permissions=options.include_permission,
                    extended=options.include_extended_metadata,
                )
            )
        for prefix in prefixes:  # a list of items, or a folder of one: its folders, then its items
            root = site.list_root(prefix)
            if root is None:
                continue
            in_list: Counter[str] = Counter()
            for item in site.items[root].values():
                parts = f"{root}/{item.folder}".rstrip("/").split("/")
                for depth in range(1, len(parts) + 1):
                    in_list["/".join(parts[:depth])] += 1
            for folder in site.list_folders.get(root, []):
                path = f"{root}/{folder}"
                if _under(path, prefix, direct=direct):
                    out.append(_list_folder(site, path, parent_id(path), in_list[path]))
            for n, item in sorted(site.items[root].items()):
                path = f"{root}/{item.folder}/{n}_.000" if item.folder else f"{root}/{n}_.000"
                if _under(path, prefix, direct=direct):
                    out.append(_list_item(site, root, n, item, parent_id(path), options.include_versions))
        return out
    first: dict[str, Any] = {}  # uid -> its first change after the token
    for change in site.changes:
        if change.number > since:
            first.setdefault(change.uid, change)
    now = {uid: path for path, uid in site.ids.items()}
    for uid, change in sorted(first.items(), key=lambda kv: kv[1].number):
        old, new = change.old, now.get(uid)
        touched = [p for p in (old, new) if p is not None]
        if not any(_under(p, prefix, direct=direct) for p in touched for prefix in prefixes):
            continue
        if old is None and new is None:
            continue
        if new is None:
            assert old is not None
            out.append(_deleted(site, old, uid, parent_id(old), folder=change.folder))
        else:
            kind = "Add" if old is None else ("Rename" if old != new else "Update")
            out.append(
                _spobject(
                    site,
                    new,
                    uid,
                    parent_id(new),
                    below=below[new],
                    change=kind,
                    previous=old,
                    versions=options.include_versions,
                    permissions=options.include_permission,
                    extended=options.include_extended_metadata,
                )
            )
    return out


def _spobject(
    site: Site,
    path: str,
    uid: str,
    parent: str,
    *,
    below: int,
    change: str | None = None,
    previous: str | None = None,
    versions: bool = False,
    permissions: bool = False,
    extended: bool = False,
) -> str:
    body = site.content[path]
    name = path.rsplit("/", 1)[-1]
    url = f"{site.path}/{path}"
    extra = ""
    if change:
        extra = f" ChangeType={quoteattr(change)}"
        if change == "Rename" and previous:
            extra += f" PreviousUrl={quoteattr(f'{site.path}/{previous}')}"
    head = (
        f"<SPObject Id={quoteattr(uid)} ObjectType={quoteattr('SPFolder' if body is None else 'SPFile')} "
        f"ParentId={quoteattr(parent)} ParentWebId={quoteattr(site.web_id)} "
        f"ParentWebUrl={quoteattr(site.path)} Url={quoteattr(url)}{extra}>"
    )
    modified = quoteattr(site.modified.get(path, ""))
    if body is None:
        child = (
            f"<Folder Id={quoteattr(uid)} Url={quoteattr(path)} Name={quoteattr(name)} "
            f"ParentFolderId={quoteattr(parent)} ParentWebId={quoteattr(site.web_id)} "
            f'TimeLastModified={modified} SMTotalFileCount="{below}" />'
        )
    else:
        history = site.versions.get(path, []) if versions else []
        listed = "".join(
            f'<File Version="{n}.0" VersionId="{512 * n}" FileSize="{len(v)}" />'
            for n, v in enumerate(history, start=1)
        )
        columns = site.fields.get(path, {}) if extended else {}
        properties = "".join(
            f'<Property Name={quoteattr(k)} Type="String" Access="ReadWrite" Value={quoteattr(v)} />'
            for k, v in sorted(columns.items())
        )
        child = (
            f"<File Url={quoteattr(path)} Id={quoteattr(uid)} ParentWebId={quoteattr(site.web_id)} "
            f'Name={quoteattr(name)} FileSize="{len(body)}" TimeLastModified={modified} '
            f'Version="{len(history) + 1}.0" Level="1">'
            + (f"<Properties>{properties}</Properties>" if properties else "")
            + (f"<Versions>{listed}</Versions>" if listed else "")
            + "</File>"
        )
    roles = ""
    if permissions and path in site.permissions:
        listed = "".join(
            f"<RoleAssignment Login={quoteattr(login)} Role={quoteattr(role)} />"
            for login, role in sorted(site.permissions[path].items())
        )
        roles = f"<RoleAssignments>{listed}</RoleAssignments>"
    return f"{head}{child}{roles}</SPObject>"


def _list_item(site: Site, root: str, n: int, item: ListItem, parent: str, versions: bool) -> str:
    """An SPListItem: its column values, its attachments (fetched by URL, as files are), and
    with IncludeVersions its earlier versions' values (``Versions``, the simulator's encoding)."""
    uid = str(uuid.uuid5(uuid.UUID(site.web_id), f"{root}/{n}"))
    where = f"{root}/{item.folder}" if item.folder else root

    def values_of(fields: dict[str, str]) -> str:
        return "".join(f"<Field Name={quoteattr(k)} Value={quoteattr(v)} />" for k, v in fields.items())

    values = values_of(item.fields)
    earlier = "".join(
        f'<Version Label="{v}.0">{values_of(fields)}</Version>'
        for v, fields in enumerate(item.history, start=1)
    )
    earlier = f"<Versions>{earlier}</Versions>" if versions and earlier else ""
    attached = "".join(
        f'<Attachment Name={quoteattr(name)} Size="{len(body)}" />'
        for name, body in sorted(item.attachments.items())
    )
    return (
        f'<SPObject Id={quoteattr(uid)} ObjectType="SPListItem" ParentId={quoteattr(parent)} '
        f"ParentWebId={quoteattr(site.web_id)} ParentWebUrl={quoteattr(site.path)} "
        f"Url={quoteattr(f'{site.path}/{where}/{n}_.000')}>"
        f'<ListItem Id={quoteattr(uid)} IntId="{n}" DirName={quoteattr(f"{site.path}/{where}")} '
        f'FileLeafRef="{n}_.000"><Fields>{values}</Fields><Attachments>{attached}</Attachments>{earlier}'
        "</ListItem></SPObject>"
    )


def _list_folder(site: Site, path: str, parent: str, below: int) -> str:
    """A folder of a list of items (its Id is what its children name as ParentId)."""
    uid = str(uuid.uuid5(uuid.UUID(site.web_id), path))
    return (
        f'<SPObject Id={quoteattr(uid)} ObjectType="SPFolder" ParentId={quoteattr(parent)} '
        f"ParentWebId={quoteattr(site.web_id)} ParentWebUrl={quoteattr(site.path)} "
        f"Url={quoteattr(f'{site.path}/{path}')}>"
        f"<Folder Id={quoteattr(uid)} Url={quoteattr(path)} Name={quoteattr(path.rsplit('/', 1)[-1])} "
        f"ParentFolderId={quoteattr(parent)} ParentWebId={quoteattr(site.web_id)} "
        f'SMTotalFileCount="{below}" />'
        "</SPObject>"
    )


def _deleted(site: Site, path: str, uid: str, parent: str, *, folder: bool) -> str:
    kind = "SPFolder" if folder else "SPFile"
    return (
        f'<SPObject Id={quoteattr(uid)} ObjectType="{kind}" ParentId={quoteattr(parent)} '
        f"ParentWebId={quoteattr(site.web_id)} ParentWebUrl={quoteattr(site.path)} "
        f'Url={quoteattr(f"{site.path}/{path}")} ChangeType="Delete" />'
    )


def _manifest_parts(objects: list[str], split_bytes: int) -> list[bytes]:
    """Manifest.xml contents, a new part each time one passes ``split_bytes``."""
    head = DECL + b'<SPObjects xmlns="urn:deployment-manifest-schema">'
    parts: list[bytes] = []
    current: list[bytes] = []
    size = 0
    for obj in objects:
        encoded = obj.encode()
        current.append(encoded)
        size += len(encoded)
        if size >= split_bytes:
            parts.append(head + b"".join(current) + b"</SPObjects>")
            current, size = [], 0
    if current or not parts:
        parts.append(head + b"".join(current) + b"</SPObjects>")
    return parts


def _companions(
    tenant: Tenant, site: Site, options: ReadOptions, manifest_names: list[str]
) -> dict[str, bytes]:
    files = "".join(f"<ManifestFile Name={quoteattr(n)} />" for n in manifest_names)
    users = groups = roles = ""
    if options.include_security:
        ids = {u.upn.lower(): i + 1 for i, u in enumerate(tenant.users)}
        users = "".join(
            f'<User Id="{i + 1}" Name={quoteattr(u.display_name)} '
            f"Login={quoteattr('i:0#.f|membership|' + u.upn)} Email={quoteattr(u.upn)} "
            'IsDomainGroup="false" IsSiteAdmin="false" SystemId="" />'
            for i, u in enumerate(tenant.users)
        )
        groups = "".join(
            f'<Group Id="{n + 1}" Name={quoteattr(title)} Owner="1" Description="">'
            + "".join(f'<Member UserId="{ids[m.lower()]}" />' for m in members if m.lower() in ids)
            + "</Group>"
            for n, (title, members) in enumerate(sorted(site.groups.items()))
        )
        # Role definitions ride in UserGroupMap.xml here: the simulator's encoding (the AMR
        # reference does not say where an export carries them).
        roles = (
            "<Roles>"
            + "".join(
                f"<Role Name={quoteattr(name)} BasePermissions={quoteattr(mask)} />"
                for name, mask in sorted(site.roles.items())
            )
            + "</Roles>"
        )
    return {
        "ExportSettings.xml": DECL
        + (
            f'<ExportSettings xmlns="urn:deployment-exportsettings-schema" SiteUrl={quoteattr(site.url)} '
            f'IncludeSecurity="{"All" if options.include_security else "None"}" '
            f'IncludeVersions="{"All" if options.include_versions else "LastMajor"}" />'
        ).encode(),
        "SystemData.xml": DECL
        + (
            '<SystemData xmlns="urn:deployment-systemdata-schema">'
            '<SchemaVersion Version="15.0.0.0" Build="16.0.25000.12000" DatabaseVersion="11552" />'
            f"<ManifestFiles>{files}</ManifestFiles></SystemData>"
        ).encode(),
        "UserGroupMap.xml": DECL
        + (
            '<UserGroupMap xmlns="urn:deployment-usergroupmap-schema">'
            f"<Users>{users}</Users><Groups>{groups}</Groups>{roles}</UserGroupMap>"
        ).encode(),
        "LookupListMap.xml": DECL + b'<LookupLists xmlns="urn:deployment-lookuplistmap-schema" />',
        "Requirements.xml": DECL + b'<Requirements xmlns="urn:deployment-requirements-schema" />',
        "RootObjectMap.xml": DECL + b'<RootObjects xmlns="urn:deployment-rootobjectmap-schema" />',
        "ViewFormsList.xml": DECL + b'<ViewFormsList xmlns="urn:deployment-viewformlist-schema" />',
    }


async def _run(
    sim: SimState,
    tenant: Tenant,
    site: Site,
    job: MigrationJob,
    reporter: Reporter,
    prefixes: list[str],
    options: ReadOptions,
    since: int | None,
    manifest_uri: str,
    corrupt: str | None,
    cancel: bool,
) -> None:
    key = reporter.key  # the wrong-key fault changes it for blobs too
    try:
        await reporter.emit("JobQueued", SiteId=site.id, DbId=str(uuid.uuid4()))
        job.state = 4
        await reporter.emit("JobStart", SiteId=site.id, WebId=site.web_id, DBId=str(uuid.uuid4()))
        objects = _objects(site, prefixes, options, since)
        modelled = len(objects) / max(sim.settings.amr_objects_per_second, 1e-6)
        if cancel or (since is not None and modelled > CHANGE_TOKEN_READ_SECONDS):
            await reporter.fatal("Operation canceled.", code=CANCELLED)
            return
        if options.slow:
            job.charged_seconds = len(objects) * sim.settings.amr_security_ms_per_object / 1000
            await asyncio.sleep(job.charged_seconds)
        parts = _manifest_parts(objects, sim.settings.amr_manifest_split_bytes)
        names = ["Manifest.xml", *(f"Manifest{i}.xml" for i in range(2, len(parts) + 1))]
        async with ContainerClient.from_container_url(manifest_uri, use_env_settings=False) as container:

            async def upload(name: str, data: bytes) -> None:
                blob = f"{job.id}/{name}"
                await write_blob(container, blob, data, key)
                await reporter.emit(
                    "FinishManifestFileUpload",
                    ManifestFileName=blob,
                    Time=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
                )

            for index, (name, data) in enumerate(zip(names, parts, strict=True)):
                if index == 0 and corrupt == "garble":
                    data = data[: len(data) // 2] + b"<<not xml"
                if index == 0 and corrupt == "truncate":
                    await _upload_truncated(container, f"{job.id}/{name}", data, key)
                    await reporter.emit("FinishManifestFileUpload", ManifestFileName=f"{job.id}/{name}")
                else:
                    await upload(name, data)
                job.objects = min(len(objects), (index + 1) * max(1, len(objects) // len(parts)))
                await reporter.emit("JobProgress", **_progress(job.objects, len(objects)))
            for name, data in _companions(tenant, site, options, names).items():
                await upload(name, data)
        job.objects = len(objects)
        await reporter.emit("JobEnd", **_progress(len(objects), len(objects)))
    except Exception as exc:
        await reporter.fatal(f"The read failed: {exc}")
    finally:
        job.state = 0
        await reporter.close()


async def _upload_truncated(container: ContainerClient, blob: str, data: bytes, key: bytes | None) -> None:
    """A manifest blob that lost its tail on the way (the corrupt-manifest fault)."""
    iv = os.urandom(16)
    cipher = aes(key, iv, data, encrypt=True) if key else data
    await container.upload_blob(
        blob, cipher[: len(cipher) - 21], overwrite=True, metadata={"IV": base64.b64encode(iv).decode()}
    )


def _progress(done: int, total: int) -> dict[str, Any]:
    return {
        "ObjectsProcessed": done,
        "TotalExpectedSPObjects": total,
        "FilesCreated": 0,
        "BytesProcessed": 0,
        "TotalErrors": 0,
        "TotalWarnings": 0,
    }
