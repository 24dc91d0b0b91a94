"""SharePoint REST (``odata=verbose``): the Documents library, and the Migration API."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from typing import Any
from urllib.parse import unquote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from m365_simulator import storage
from m365_simulator.auth import tenant_for
from m365_simulator.importer import start_import
from m365_simulator.state import MigrationJob, SimState

router = APIRouter()
_FN = re.compile(r"^(?P<name>\w+)\((?P<args>.*)\)$")
_ARG = re.compile(r"(\w+)=(?:'((?:[^']|'')*)'|([^,]*))")


def sp_error(status: int, code: int, message: str) -> JSONResponse:
    """SharePoint's error body."""
    return JSONResponse(
        {
            "error": {
                "code": f"{code}, Microsoft.SharePoint.SPException",
                "innererror": {"message": message, "stacktrace": ""},
                "message": {"lang": "en-US", "value": message},
            }
        },
        status,
    )


def _args(raw: str) -> dict[str, str]:
    return {m[1]: (m[2].replace("''", "'") if m[2] is not None else m[3].strip()) for m in _ARG.finditer(raw)}


@router.api_route("/{host}/sites/{site}/_api/{rest:path}", methods=["GET", "POST"])
async def site_api(request: Request, host: str, site: str, rest: str) -> Response:
    sim: SimState = request.app.state.sim
    tenant = sim.tenant(host)
    if tenant is None:
        raise HTTPException(404, "no such host")
    tenant_for(request, expected=tenant)
    site_url = f"https://{host}/sites/{site}"
    if rest.startswith("web/"):
        return _web(request, sim, site_url, rest[4:])
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
        key = (body.get("options") or {}).get("AES256CBCKey") if name.endswith("Encrypted") else None
        if name.endswith("Encrypted") and not key:
            return sp_error(400, -2147024809, "AES256CBCKey is required")
        sim.site(site_url, create=True)  # leniency: stands in for provisioning the destination site
        job = start_import(
            sim,
            site_url=site_url,
            source_uri=body["azureContainerSourceUri"],
            manifest_uri=body["azureContainerManifestUri"],
            queue_uri=body.get("azureQueueReportUri"),
            key=base64.b64decode(key) if key else None,
        )
        return _d(name, job.id)
    job = sim.jobs.get(args.get("id") or args.get("jobId") or "")
    if name == "GetMigrationJobStatus":
        return _d(name, job.state if job else 0)
    if name == "DeleteMigrationJob":
        if job is None:
            return sp_error(500, -2147213145, "Job not found")
        del sim.jobs[job.id]
        return _d(name, True)
    if name == "GetMigrationJobProgress":
        return _progress(job, args.get("nextToken", "0"))
    return sp_error(400, -1, f"Unknown method {name}")


def _d(name: str, value: Any) -> JSONResponse:
    return JSONResponse({"d": {name: value}})


def _progress(job: MigrationJob | None, next_token: str) -> JSONResponse:
    if job is None:
        return sp_error(500, -2147213145, "Job not found")
    start = int(next_token or 0)
    logs = job.events[start:]
    return _d(
        "GetMigrationJobProgress",
        {
            "Logs": {"__metadata": {"type": "Collection(Edm.String)"}, "results": logs},
            "NextToken": str(start + len(logs)),
            "__metadata": {"type": "SP.MigrationJobProgress"},
        },
    )


def _web(request: Request, sim: SimState, site_url: str, rest: str) -> Response:
    site = sim.site(site_url)
    if site is None:
        return sp_error(404, -2147024894, "Site not found")
    if rest.startswith("GetFileByServerRelativeUrl("):
        literal = unquote(rest[len("GetFileByServerRelativeUrl('") : rest.rindex("')")]).replace("''", "'")
        content = site.content.get(literal.removeprefix(site.path + "/"))
        if content is None:
            return sp_error(404, -2147024894, "File Not Found.")
        return Response(content, media_type="application/octet-stream")
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
                "UniqueId": hashlib.md5(p.encode()).hexdigest(),
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
