"""SharePoint REST (``odata=verbose``): the Documents library, and the Migration API."""

from __future__ import annotations

import base64
import fnmatch
import os
import re
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from m365_simulator import storage
from m365_simulator.amr import TOKEN_TOO_OLD, ReadOptions, ReadRefused, start_read
from m365_simulator.auth import tenant_for
from m365_simulator.data import DOCUMENT_LIBRARY, ITEM_LISTS, Site, SiteList
from m365_simulator.importer import start_import
from m365_simulator.large_files import LargeFile, ReceivedFile
from m365_simulator.state import MigrationJob, SimState

router = APIRouter()
PROGRESS_PAGE = 1000  # events per GetMigrationJobProgress answer
_VERSION = re.compile(r"/versions\((\d+)\)/\$value$")
_FN = re.compile(r"^(?P<name>\w+)\((?P<args>.*)\)$")
_ARG = re.compile(r"(\w+)=(?:'((?:[^']|'')*)'|([^,]*))")


def sp_error(
    status: int, code: int, message: str, *, kind: str = "Microsoft.SharePoint.SPException"
) -> JSONResponse:
    """SharePoint's error body."""
    return JSONResponse(
        {
            "error": {
                "code": f"{code}, {kind}",
                "innererror": {"message": message, "stacktrace": ""},
                "message": {"lang": "en-US", "value": message},
            }
        },
        status,
    )


def _args(raw: str) -> dict[str, str]:
    return {m[1]: (m[2].replace("''", "'") if m[2] is not None else m[3].strip()) for m in _ARG.finditer(raw)}


@router.api_route("/{host}/personal/{site}/_api/{rest:path}", methods=["GET", "POST"])
async def personal_site_api(request: Request, host: str, site: str, rest: str) -> Response:
    """A OneDrive: a personal site on the tenant's ``-my`` host, with the same API."""
    return await _site_api(request, host, f"https://{host}/personal/{site}", rest)


@router.api_route("/{host}/sites/{site}/_api/{rest:path}", methods=["GET", "POST"])
async def site_api(request: Request, host: str, site: str, rest: str) -> Response:
    return await _site_api(request, host, f"https://{host}/sites/{site}", rest)


async def _site_api(request: Request, host: str, site_url: str, rest: str) -> Response:
    sim: SimState = request.app.state.sim
    tenant = sim.tenant(host)
    if tenant is None:
        raise HTTPException(404, "no such host")
    tenant_for(request, expected=tenant)
    if site_url.lower() in {u.rstrip("/").lower() for u in sim.faults.forbidden_sites}:
        return sp_error(
            403,
            -2147024891,
            "Access denied. You do not have permission to perform this action or access this resource.",
            kind="System.UnauthorizedAccessException",
        )
    if rest.startswith("web/"):
        return await _web(request, sim, site_url, rest[4:])
    if not rest.startswith("site/"):
        return sp_error(404, -1, f"Not found: {rest}")
    call = rest[5:]
    match = _FN.match(call)
    name, args = (match["name"], _args(match["args"])) if match else (call, {})
    if name == "ProvisionMigrationContainers":
        data, meta = await storage.provision_containers(sim.settings)
        key = base64.b64encode(os.urandom(32)).decode()
        return _d(
            name,
            {
                "__metadata": {"type": "SP.ProvisionedMigrationContainersInfo"},
                "DataContainerUri": data,
                "MetadataContainerUri": meta,
                "EncryptionKey": key,
            },
        )
    if name == "ProvisionMigrationQueue":
        return _d(
            name,
            {
                "__metadata": {"type": "SP.ProvisionedMigrationQueueInfo"},
                "JobQueueUri": await storage.provision_queue(sim.settings),
            },
        )
    if name in ("CreateMigrationJob", "CreateMigrationJobEncrypted"):
        body: dict[str, Any] = await request.json()
        aes_key = (body.get("options") or {}).get("AES256CBCKey") if name.endswith("Encrypted") else None
        if name.endswith("Encrypted") and not aes_key:
            return sp_error(400, -2147024809, "AES256CBCKey is required")
        sim.site(site_url, create=True)  # leniency: stands in for provisioning the destination site
        created = start_import(
            sim,
            site_url=site_url,
            source_uri=body["azureContainerSourceUri"],
            manifest_uri=body["azureContainerManifestUri"],
            queue_uri=body.get("azureQueueReportUri"),
            key=base64.b64decode(aes_key) if aes_key else None,
        )
        return _d(name, created.id)
    if name in ("CreateSPAsyncReadJob", "CreateSPAsyncReadJobWithMultiUrl"):
        return await _async_read(request, sim, site_url, name)
    job = sim.jobs.get(args.get("id") or args.get("jobId") or "")
    if name == "GetMigrationJobStatus":
        return _d(name, job.state if job else 0)
    if name == "DeleteMigrationJob":
        if job is None:
            return sp_error(500, -2147213145, "Job not found")
        del sim.jobs[job.id]
        return _d(name, True)
    if name == "GetMigrationJobProgress":
        if job is not None and sim.faults.expire_jobs:
            return sp_error(500, -2147213146, "Job status expired")
        return _progress(job, args.get("nextToken", "0"))
    return sp_error(400, -1, f"Unknown method {name}")


async def _async_read(request: Request, sim: SimState, site_url: str, name: str) -> Response:
    """Start an AMR read of one URL or (multi-URL) up to 5,000 of them."""
    body: dict[str, Any] = await request.json()
    tenant, site = sim.tenant(site_url.split("/")[2]), sim.site(site_url)
    if tenant is None or site is None:
        return sp_error(404, -2147024894, "Site not found")
    urls = body.get("urls") if name.endswith("MultiUrl") else [body.get("url")]
    if not isinstance(urls, list) or not all(isinstance(u, str) and u for u in urls):
        return sp_error(400, -2147024809, "url / urls is required")
    key_text = (body.get("encryptionOption") or {}).get("AES256CBCKey")
    try:
        key = base64.b64decode(key_text, validate=True) if key_text else None
        if key is not None and len(key) != 32:
            raise ValueError("the key must be 32 bytes")
        job, token = start_read(
            sim,
            tenant,
            site,
            urls=urls,
            options=ReadOptions.parse(body.get("readOptions")),
            key=key,
            manifest_uri=body["azureContainerManifestUri"],
            queue_uri=body.get("azureQueueReportUri"),
        )
    except ReadRefused as refused:
        return sp_error(500 if refused.code == TOKEN_TOO_OLD else 400, refused.code, refused.message)
    except (KeyError, ValueError) as exc:
        return sp_error(400, -2147024809, f"Invalid request: {exc}")
    return _d(
        name,
        {
            "__metadata": {"type": "SP.SPAsyncReadJobInfo"},
            "JobId": job.id,
            "AzureContainerManifest": body["azureContainerManifestUri"],
            "JobQueueUri": body.get("azureQueueReportUri"),
            "EncryptionKey": key_text,
            "CurrentChangeToken": token,
        },
    )


def _d(name: str, value: Any) -> JSONResponse:
    return JSONResponse({"d": {name: value}})


def _progress(job: MigrationJob | None, next_token: str) -> JSONResponse:
    if job is None:
        return sp_error(500, -2147213145, "Job not found")
    start = int(next_token or 0)
    logs = job.events[start : start + PROGRESS_PAGE]
    return _d(
        "GetMigrationJobProgress",
        {
            "Logs": {"__metadata": {"type": "Collection(Edm.String)"}, "results": logs},
            "NextToken": str(start + len(logs)),
            "__metadata": {"type": "SP.MigrationJobProgress"},
        },
    )


def _file_or_folder(request: Request, sim: SimState, site: Site, path: str, rest: str) -> Response:
    """A file's content (``/$value``), or recycling a file or folder (``/recycle()``)."""
    folder = rest.startswith("GetFolder")
    if not folder and rest.endswith("/$value") and "/Attachments/" in path:  # Lists/x/Attachments/<id>/<name>
        root, _, rest_of = path.partition("/Attachments/")
        item_id, _, name = rest_of.partition("/")
        item = site.items.get(root, {}).get(int(item_id)) if item_id.isdigit() else None
        if item is None or name not in item.attachments:
            return sp_error(404, -2147024894, "File Not Found.")
        return Response(item.attachments[name], media_type="application/octet-stream")
    if path not in site.content or (site.content[path] is None) != folder:
        return sp_error(404, -2147024894, "File Not Found.")
    if rest.endswith("/recycle()") and request.method == "POST":
        site.remove(path)
        return _d("Recycle", str(uuid.uuid4()))
    if rest.endswith("/ListItemAllFields/ResetRoleInheritance()") and request.method == "POST":
        site.inherit(path)
        return Response(status_code=200)
    if folder or not rest.endswith("/$value"):
        return sp_error(400, -1, f"Not supported here: {rest}")
    if any(fnmatch.fnmatch(path.rsplit("/", 1)[-1], p) for p in sim.faults.fail_downloads_matching):
        return sp_error(500, -2147467259, "Unexpected error reading the file.")
    if version := _VERSION.search(rest):  # .../versions(1024)/$value: an earlier version
        history, index = site.versions.get(path, []), int(version[1]) // 512 - 1
        if not 0 <= index < len(history):
            return sp_error(404, -2147024894, "Version not found.")
        return Response(history[index], media_type="application/octet-stream")
    body = site.content[path]
    if isinstance(body, ReceivedFile):
        return sp_error(501, -1, "The simulator keeps only the digest of an imported large file.")
    if isinstance(body, LargeFile):
        headers = {"Content-Length": str(body.size)}
        return StreamingResponse(body.chunks(), media_type="application/octet-stream", headers=headers)
    return Response(body, media_type="application/octet-stream")


async def _web(request: Request, sim: SimState, site_url: str, rest: str) -> Response:
    lists = rest == "lists" or (rest.startswith("lists/GetByTitle(") and rest.endswith(("')", "')/fields")))
    if lists or rest.startswith(("sitegroups", "roledefinitions")):
        # Leniency, as for an import (provisioning the destination site stands aside): a site
        # not there answers as a new one would, and is made when something is added to it.
        site = sim.site(site_url, create=request.method == "POST")
        if site is None and sim.tenant(site_url.split("/")[2]) is not None:
            name = site_url.rstrip("/").rsplit("/", 1)[1].capitalize()
            site = Site(id="", web_id=str(uuid.uuid5(uuid.NAMESPACE_URL, site_url)), url=site_url, name=name)
        if site is None:
            return sp_error(404, -2147024894, "Site not found")
        return await (_lists(request, site, rest) if lists else _security(request, sim, site, rest))
    site = sim.site(site_url)
    if site is None:
        return sp_error(404, -2147024894, "Site not found")
    for getter in ("GetFileByServerRelativeUrl(", "GetFolderByServerRelativeUrl("):
        if rest.startswith(getter):
            literal = unquote(rest[len(getter) + 1 : rest.rindex("')")]).replace("''", "'")
            return _file_or_folder(request, sim, site, literal.removeprefix(site.path + "/"), rest)
    if rest.startswith("lists/GetByTitle('Documents')/items"):
        top = int(request.query_params.get("$top", "100"))
        skip = int(request.query_params.get("$skiptoken", "0"))
        paths = sorted(site.content, key=lambda p: (p.count("/"), site.content[p] is not None, p))
        rows = [
            {
                "__metadata": {"type": "SP.Data.Shared_x0020_DocumentsItem"},
                "FileRef": f"{site.path}/{p}",
                "FileLeafRef": p.rsplit("/", 1)[1],
                "FSObjType": 1 if site.content[p] is None else 0,
                "File_x0020_Size": str(len(site.content[p] or b"")),
                "UniqueId": site.ids[p],
            }
            for p in paths[skip : skip + top]
        ]
        body: dict[str, Any] = {"results": rows}
        if skip + top < len(paths):
            params = dict(request.query_params) | {"$skiptoken": str(skip + top)}
            body["__next"] = f"{str(request.base_url).rstrip('/')}{request.url.path}?" + "&".join(
                f"{k}={v}" for k, v in params.items()
            )
        return JSONResponse({"d": body})
    return sp_error(404, -1, f"Not found: web/{rest}")


async def _security(request: Request, sim: SimState, site: Site, rest: str) -> Response:
    """``web/sitegroups`` (GET; POST ``{Title}``), ``web/sitegroups/GetByName('t')/users`` (POST
    ``{LoginName}``), ``web/roledefinitions`` (GET; POST ``{Name, BasePermissions}``)."""
    body: dict[str, Any] = await request.json() if request.method == "POST" else {}
    if rest == "roledefinitions":
        if request.method == "GET":
            rows = [{"Name": n, "BasePermissions": m} for n, m in sorted(site.roles.items())]
            return JSONResponse({"d": {"results": rows}})
        name = str(body.get("Name") or "")
        if not name or name in site.roles:
            return sp_error(400, -2146232832, f"The role definition {name!r} is not valid or already exists.")
        site.roles[name] = str(body.get("BasePermissions") or "")
        return JSONResponse({"d": {"Name": name}}, status_code=201)
    if rest == "sitegroups":
        if request.method == "GET":
            rows = [
                {
                    "Title": t,
                    "Users": {
                        "results": [{"LoginName": f"i:0#.f|membership|{u}", "Email": u} for u in sorted(m)]
                    },
                }
                for t, m in sorted(site.groups.items())
            ]
            return JSONResponse({"d": {"results": rows}})
        title = str(body.get("Title") or "")
        if not title or title in site.groups:
            return sp_error(400, -2130575293, "The specified name is already in use.")
        site.groups[title] = []
        return JSONResponse({"d": {"Title": title}}, status_code=201)
    match = re.fullmatch(r"sitegroups/GetByName\('((?:[^']|'')*)'\)/users", rest)
    if match and request.method == "POST":
        title = unquote(match[1]).replace("''", "'")
        if title not in site.groups:
            return sp_error(404, -2146232832, "Group cannot be found.")
        upn = str(body.get("LoginName") or "").rsplit("|", 1)[-1]
        tenant = sim.tenant(site.url.split("/")[2])
        if tenant is None or tenant.user(upn) is None:
            return sp_error(404, -2146232832, f"The user {upn} does not exist.")
        if upn.lower() not in {m.lower() for m in site.groups[title]}:
            site.groups[title].append(upn)
        return JSONResponse({"d": {"LoginName": body.get("LoginName")}}, status_code=201)
    return sp_error(404, -1, f"Not found: web/{rest}")


def _fields(request: Request, site: Site, root: str, body: dict[str, Any]) -> Response:
    """A list's own columns: ``GET`` them; ``POST {Title, FieldTypeKind}`` adds one (text)."""
    columns = site.columns.setdefault(root, ["Title"])
    if request.method == "GET":
        rows = [
            {"InternalName": c, "Title": c, "TypeAsString": "Text", "FromBaseType": c == "Title"}
            for c in columns
        ]
        return JSONResponse({"d": {"results": rows}})
    name = str(body.get("Title") or "")
    if not name or name in columns:
        return sp_error(400, -2130575340, f'A duplicate field name "{name}" was found.')
    columns.append(name)
    return JSONResponse({"d": {"InternalName": name, "Title": name}}, status_code=201)


def _list_json(site: Site, root: str) -> dict[str, Any]:
    kind = site.lists[root]
    count = kind.items
    if kind.template == DOCUMENT_LIBRARY:
        count = sum(1 for p in site.content if p.startswith(root + "/"))
    elif kind.template in ITEM_LISTS:
        count = len(site.items.get(root, {}))
    return {
        "__metadata": {"type": "SP.List"},
        "Id": str(uuid.uuid5(uuid.UUID(site.web_id), root)),
        "Title": kind.title,
        "BaseTemplate": kind.template,
        "Hidden": kind.hidden,
        "ItemCount": count,
        "RootFolder": {"__metadata": {"type": "SP.Folder"}, "ServerRelativeUrl": f"{site.path}/{root}"},
    }


async def _lists(request: Request, site: Site, rest: str) -> Response:
    """``GET web/lists`` (RootFolder expanded); ``POST web/lists`` creates one (its root folder is
    named after its title); ``POST web/lists/GetByTitle('t')`` with ``X-HTTP-Method: MERGE``
    changes its title."""
    if request.method == "GET" and not rest.startswith("lists/"):
        return JSONResponse({"d": {"results": [_list_json(site, root) for root in sorted(site.lists)]}})
    body: dict[str, Any] = await request.json() if request.method == "POST" else {}
    if rest.startswith("lists/GetByTitle("):
        title = unquote(rest[len("lists/GetByTitle('") : rest.rindex("')")]).replace("''", "'")
        root = next((r for r, kind in site.lists.items() if kind.title == title), None)
        if root is None:
            return sp_error(404, -2130575322, f"List '{title}' does not exist at site with URL '{site.url}'.")
        if rest.endswith("/fields"):
            return _fields(request, site, root, body)
        if request.method == "GET":
            return JSONResponse({"d": _list_json(site, root)})
        if request.headers.get("X-HTTP-Method", "").upper() != "MERGE" or not body.get("Title"):
            return sp_error(400, -1, "Only a MERGE of the Title is supported here")
        site.lists[root] = replace(site.lists[root], title=str(body["Title"]))
        return Response(status_code=204)
    title, template = str(body.get("Title") or ""), int(body.get("BaseTemplate") or 100)
    if not title or any(kind.title == title for kind in site.lists.values()) or title in site.lists:
        # (the message is SharePoint's; the code is the simulator's choice)
        return sp_error(
            500,
            -2130575342,
            "A list, survey, discussion board, or document library with the specified title already "
            "exists in this Web site.  Please choose another title.",
        )
    root = f"Lists/{title}" if template in ITEM_LISTS else title
    site.lists[root] = SiteList(title, template)
    if template in ITEM_LISTS:
        site.columns[root], site.items[root] = ["Title"], {}
    return JSONResponse({"d": _list_json(site, root)}, status_code=201)
