"""The test-facing side: switchable faults, content inspection, health (under ``/_sim``)."""

from __future__ import annotations

import hashlib
import random
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from m365_simulator.data import (
    DOCUMENT_LIBRARY,
    ITEM_LISTS,
    Site,
    SiteList,
    fill,
    fill_list,
    generated_site,
)
from m365_simulator.large_files import LargeFile, sha256_of
from m365_simulator.state import Faults, MigrationJob, SimState

router = APIRouter(prefix="/_sim")


def _sim(request: Request) -> SimState:
    sim: SimState = request.app.state.sim
    return sim


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


# camelCase switch -> (Faults attribute, type); see Faults for what each does.
_SWITCHES: dict[str, tuple[str, Any]] = {
    "failItemsMatching": ("fail_items_matching", list),
    "warnItemsMatching": ("warn_items_matching", list),
    "failDownloadsMatching": ("fail_downloads_matching", list),
    "objectDelayMs": ("object_delay_ms", int),
    "wrongKey": ("wrong_key", bool),
    "garbageQueueMessages": ("garbage_queue_messages", int),
    "unknownEvents": ("unknown_events", int),
    "corruptManifest": ("corrupt_manifest", str),
    "vanishJobs": ("vanish_jobs", bool),
    "postponeSeconds": ("postpone_seconds", float),
    "cancelJobs": ("cancel_jobs", bool),
    "cancelReads": ("cancel_reads", int),
    "forbiddenSites": ("forbidden_sites", list),
    "expireJobs": ("expire_jobs", bool),
    "forbiddenMailboxes": ("forbidden_mailboxes", list),
    "unexportableItems": ("unexportable_items", dict),
    "importSessionMaxImports": ("import_session_max_imports", dict),
    "throttleMailboxes": ("throttle_mailboxes", dict),
    "mailboxRequestsPerSecond": ("mailbox_requests_per_second", int),
    "forbiddenTeams": ("forbidden_teams", list),
    "throttleTeams": ("throttle_teams", dict),
    "refuseMessagesMatching": ("refuse_messages_matching", list),
}


@router.post("/faults")
async def set_faults(request: Request) -> dict[str, Any]:
    """Merge fault switches (see ``Faults``); ``throttle`` takes status, count, rate and retryAfter."""
    sim, body = _sim(request), await request.json()
    for name, (attr, kind) in _SWITCHES.items():
        if name in body:
            setattr(sim.faults, attr, kind(body[name]))
    if throttle := body.get("throttle"):
        sim.faults.throttle_status = int(throttle.get("status", 429))
        sim.faults.throttle_count = int(throttle.get("count", 0 if "rate" in throttle else 1))
        sim.faults.throttle_rate = float(throttle.get("rate", 0.0))
        sim.faults.retry_after = int(throttle.get("retryAfter", 1))
    return {"ok": True}


@router.delete("/faults")
async def reset_faults(request: Request) -> dict[str, Any]:
    _sim(request).faults = Faults()
    return {"ok": True}


@router.get("/tenants")
async def tenants(request: Request) -> dict[str, Any]:
    return {
        "tenants": [
            {
                "domain": t.domain,
                "tenantId": t.guid,
                "sites": list(t.sites),
                "users": len(t.users),
                "userNames": [u.upn for u in t.users],
                "teams": len(t.teams),
                "teamNames": [team.name for team in t.teams],
                "mailboxes": [u.upn for u in t.users if u.mailbox is not None],
            }
            for t in _sim(request).tenants.values()
        ]
    }


@router.patch("/tenants/{domain}")
async def set_tenant(request: Request, domain: str) -> JSONResponse:
    """Change a tenant's SharePoint storage quota (``{"quotaBytes": N}``), e.g. to fail a pre-flight."""
    tenant, body = _sim(request).tenants.get(domain), await request.json()
    if tenant is None:
        return JSONResponse({"error": f"no tenant {domain}"}, status_code=404)
    if "quotaBytes" in body:
        tenant.quota_bytes = int(body["quotaBytes"])
    return JSONResponse({"domain": domain, "quotaBytes": tenant.quota_bytes})


@router.post("/tenants/{domain}/revoke-consent")
async def revoke_consent(request: Request, domain: str) -> JSONResponse:
    """An administrator removes the app from the tenant: its consent and every token issued in
    it are gone (token requests get AADSTS65001, calls with an old token 401)."""
    sim = _sim(request)
    tenant = sim.tenants.get(domain)
    if tenant is None:
        return JSONResponse({"error": f"no tenant {domain}"}, status_code=404)
    sim.consents = {(client, guid) for client, guid in sim.consents if guid != tenant.guid}
    sim.tokens = {token: owner for token, owner in sim.tokens.items() if owner != tenant.domain}
    return JSONResponse({"domain": domain, "consented": False})


@router.get("/tokens")
async def issued_tokens(request: Request) -> dict[str, Any]:
    """Every access token issued so far (so a test can look for them where they must not be)."""
    return {"tokens": list(_sim(request).tokens)}


def _item(site: Site, path: str) -> dict[str, Any]:
    body = site.content[path]
    item: dict[str, Any] = {"path": path, "type": "folder"}
    if body is not None:
        item = {"path": path, "type": "file", "size": len(body), "sha256": sha256_of(body)}
    if site.versions.get(path):
        item["versions"] = [hashlib.sha256(b).hexdigest() for b in site.versions[path]]
    if path in site.permissions:
        item["permissions"] = site.permissions[path]
    if site.fields.get(path):
        item["fields"] = site.fields[path]
    return item


@router.get("/sites")
async def site_content(request: Request, url: str) -> dict[str, Any]:
    """Every folder and file of a site's libraries: sizes and SHA-256 of file content, and when an
    item has them, each earlier version's SHA-256 (oldest first), its unique permissions and its
    metadata columns; and the site's groups (with members) and role definitions."""
    site = _sim(request).site(url)
    if site is None:
        return {"url": url, "exists": False, "items": []}
    items = [_item(site, p) for p in sorted(site.content)]
    lists = {
        root: [
            {
                "id": n,
                "fields": item.fields,
                "attachments": {
                    a: hashlib.sha256(b).hexdigest() for a, b in sorted(item.attachments.items())
                },
            }
            | ({"versions": item.history} if item.history else {})
            | ({"folder": item.folder} if item.folder else {})
            for n, item in sorted(listed.items())
        ]
        for root, listed in sorted(site.items.items())
    }
    return {
        "url": url,
        "exists": True,
        "items": items,
        "lists": lists,
        "columns": site.columns,
        "listFolders": {root: sorted(folders) for root, folders in site.list_folders.items()},
        "groups": site.groups,
        "roles": site.roles,
    }


@router.post("/sites")
async def create_site(request: Request) -> dict[str, Any]:
    """A generated site for scale tests: ``{"url": ..., "items": N, "seed": S}``."""
    body = await request.json()
    url = str(body["url"]).rstrip("/")
    tenant = _sim(request).tenant(url.split("/")[2])
    if tenant is None:
        return {"ok": False, "error": "no such tenant"}
    name, items, seed = url.rsplit("/", 1)[1], int(body["items"]), int(body.get("seed", 1))
    site = generated_site(tenant.sp_host, name, items=items, seed=seed)
    tenant.sites[site.url] = site
    return {"ok": True, "url": site.url, "items": len(site.content)}


@router.post("/sites/lists")
async def add_list(request: Request, url: str) -> JSONResponse:
    """A document library of ``items`` generated folders and files under its root folder
    ``name`` (``{"name", "title"?, "items", "seed"?}``); with ``template`` 100, 103–107 a list
    of ``items`` items at ``Lists/<name>`` (columns by its kind, every fourth item with an
    attachment); with another ``template`` (119: Site Pages) a list whose items are only counted."""
    site, body = _sim(request).site(url), await request.json()
    if site is None:
        return JSONResponse({"ok": False, "error": "no such site"}, status_code=404)
    name, items, template = str(body["name"]), int(body.get("items", 0)), int(body.get("template", 101))
    root = f"Lists/{name}" if template in ITEM_LISTS else name
    if root in site.lists:
        return JSONResponse({"ok": False, "error": f"{root} exists"}, status_code=409)
    title = str(body.get("title") or name)
    counted = 0 if template == DOCUMENT_LIBRARY or template in ITEM_LISTS else items
    site.lists[root] = SiteList(title, template, items=counted)
    rng = random.Random(int(body.get("seed", 1)))
    if template == DOCUMENT_LIBRARY:
        fill(site, root, items=items, rng=rng, salt=f"{site.url}/{root}")
    elif template in ITEM_LISTS:
        fill_list(site, root, template=template, items=items, rng=rng)
    return JSONResponse({"ok": True, "name": name, "root": root, "title": title, "items": items})


@router.post("/sites/large-file")
async def add_large_file(request: Request, url: str) -> JSONResponse:
    """A file of ``size`` bytes made from ``seed`` (``{"path", "size", "seed"}``): too large to
    hold, it is generated each time it is read (``large_files``)."""
    site, body = _sim(request).site(url), await request.json()
    if site is None:
        return JSONResponse({"ok": False, "error": "no such site"}, status_code=404)
    large = LargeFile(int(body["size"]), int(body.get("seed", 1)))
    site.put(str(body["path"]), large)
    return JSONResponse({"ok": True, "path": body["path"], "size": large.size})


@router.delete("/sites")
async def delete_site(request: Request, url: str) -> JSONResponse:
    """Remove a site, e.g. a destination a test wants to start from nothing."""
    tenant = _sim(request).tenant(url.split("/")[2] if "://" in url else "")
    if tenant is None or tenant.sites.pop(url.rstrip("/"), None) is None:
        return JSONResponse({"ok": False, "error": "no such site"}, status_code=404)
    return JSONResponse({"ok": True})


@router.post("/sites/changes")
async def change_site(request: Request, url: str) -> dict[str, Any]:
    """Edit a site as its users would: ``{"put": {path: text}, "delete": [path], "rename": {old: new},
    "grant": {path: {upn or group: role}}, "inherit": [path], "groups": {title: [upn]},
    "roles": {name: base permissions}}``.

    Paths are web-relative (``Shared Documents/a.txt``); ``put`` with null creates a folder;
    ``inherit`` restores an item's inheritance (its unique permissions go).
    """
    site, body = _sim(request).site(url), await request.json()
    if site is None:
        return {"ok": False, "error": "no such site"}
    for old, new in (body.get("rename") or {}).items():
        site.rename(old, new)
    for path in body.get("delete") or []:
        site.remove(path)
    for path, text in (body.get("put") or {}).items():
        site.put(path, None if text is None else str(text).encode())
    site.groups |= {str(title): list(members) for title, members in (body.get("groups") or {}).items()}
    site.roles |= {str(name): str(mask) for name, mask in (body.get("roles") or {}).items()}
    for path, roles in (body.get("grant") or {}).items():
        site.grant(path, roles)
    for path in body.get("inherit") or []:
        site.inherit(path)
    return {"ok": True, "changeNumber": site.change_number}


@router.post("/sites/expire-change-log")
async def expire_change_log(request: Request, url: str) -> dict[str, Any]:
    """Age the site's change log out, so older change tokens are refused (-2146232832)."""
    site = _sim(request).site(url)
    if site is None:
        return {"ok": False, "error": "no such site"}
    site.expire_change_log()
    return {"ok": True}


@router.get("/migration-jobs")
async def migration_jobs(request: Request, site: str | None = None) -> dict[str, Any]:
    """Every migration job (imports and AMR reads) with how many objects it moved; a read also
    with the options it was given and the seconds they cost it."""
    return {
        "jobs": [
            {"id": j.id, "siteUrl": j.site_url, "kind": j.kind, "state": j.state, "objects": j.objects}
            | (_read(j) if j.read_options is not None else {})
            for j in _sim(request).jobs.values()
            if site is None or j.site_url == site.rstrip("/")
        ]
    }


def _read(job: MigrationJob) -> dict[str, Any]:
    o = job.read_options
    options = {
        "IncludeDirectDescendantsOnly": o.include_direct_descendants_only,
        "IncludeSecurity": o.include_security,
        "IncludePermission": o.include_permission,
        "IncludeVersions": o.include_versions,
        "IncludeExtendedMetadata": o.include_extended_metadata,
        "StartChangeToken": o.start_change_token,
    }
    return {"readOptions": options, "chargedSeconds": job.charged_seconds}
