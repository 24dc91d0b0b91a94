"""Microsoft Graph, the parts discovery uses, with ``@odata.nextLink`` paging."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from m365_simulator.auth import tenant_for
from m365_simulator.data import TIB, Tenant

router = APIRouter(prefix="/graph.microsoft.com/v1.0")


def _page(request: Request, items: list[dict[str, Any]]) -> dict[str, Any]:
    top = max(1, min(int(request.query_params.get("$top", "100")), 999))
    skip = int(request.query_params.get("$skiptoken", "0"))
    body: dict[str, Any] = {"value": items[skip : skip + top]}
    if skip + top < len(items):
        params = dict(request.query_params) | {"$skiptoken": str(skip + top), "$top": str(top)}
        query = "&".join(f"{k}={v}" for k, v in params.items())
        body["@odata.nextLink"] = f"{str(request.base_url).rstrip('/')}{request.url.path}?{query}"
    return body


def _site_used(tenant: Tenant, url: str) -> int:
    return sum(len(v) for v in tenant.sites[url].content.values() if v is not None)


@router.get("/organization")
async def organization(request: Request) -> dict[str, Any]:
    tenant = tenant_for(request)
    return {
        "value": [
            {
                "id": tenant.guid,
                "displayName": tenant.domain.split(".")[0].capitalize(),
                "verifiedDomains": [{"name": tenant.domain, "isDefault": True}],
            }
        ]
    }


@router.get("/users")
async def users(request: Request) -> dict[str, Any]:
    tenant = tenant_for(request)
    return _page(
        request,
        [
            {"id": u.id, "userPrincipalName": u.upn, "displayName": u.display_name, "mail": u.upn}
            for u in tenant.users
        ],
    )


@router.get("/users/{user_id}/drive")
async def user_drive(request: Request, user_id: str) -> dict[str, Any]:
    tenant = tenant_for(request)
    if not any(u.id == user_id for u in tenant.users):
        raise HTTPException(404, {"code": "itemNotFound", "message": "User not found"})
    return {
        "id": f"drive-{user_id}",
        "driveType": "business",
        "quota": {"total": TIB, "used": 0, "remaining": TIB},
    }


@router.get("/reports/{report}")
async def report(request: Request, report: str) -> Response:
    tenant = tenant_for(request)
    if not report.startswith("getMailboxUsageDetail"):
        raise HTTPException(
            404, {"code": "BadRequest", "message": f"Resource not found for the segment '{report}'"}
        )
    return JSONResponse(
        {
            "value": [
                {
                    "userPrincipalName": u.upn,
                    "displayName": u.display_name,
                    "storageUsedInBytes": sum(i.size for i in items),
                    "itemCount": len(items),
                }
                for u in tenant.users
                for items in [u.mailbox.all_items() if u.mailbox else []]
            ]
        }
    )


@router.get("/sites")
async def sites(request: Request) -> dict[str, Any]:
    tenant = tenant_for(request)
    return _page(
        request,
        [
            {
                "id": f"{tenant.sp_host},{s.id},{s.web_id}",
                "name": s.name,
                "displayName": s.name,
                "webUrl": s.url,
            }
            for s in tenant.sites.values()
            if "/personal/" not in s.url  # as Graph's site search: OneDrives are not listed
        ],
    )


@router.get("/sites/{site_id}/drive")
async def site_drive(request: Request, site_id: str) -> dict[str, Any]:
    tenant = tenant_for(request)
    for url, site in tenant.sites.items():
        if site_id.split(",")[1:2] == [site.id]:
            used = _site_used(tenant, url)
            return {
                "id": f"drive-{site.id}",
                "driveType": "documentLibrary",
                "quota": {"total": tenant.quota_bytes, "used": used, "remaining": tenant.quota_bytes - used},
            }
    raise HTTPException(404, {"code": "itemNotFound", "message": "Site not found"})


@router.get("/groups")
async def groups(request: Request) -> dict[str, Any]:
    tenant = tenant_for(request)
    return _page(
        request,
        [
            {
                "id": t.id,
                "displayName": t.name,
                "description": t.description,
                "resourceProvisioningOptions": ["Team"],
            }
            for t in tenant.teams
        ],
    )


@router.get("/groups/{group_id}/members/$count")
async def member_count(request: Request, group_id: str) -> Response:
    tenant = tenant_for(request)
    if request.headers.get("ConsistencyLevel", "").lower() != "eventual":
        raise HTTPException(
            400,
            {
                "code": "Request_BadRequest",
                "message": "$count requires the ConsistencyLevel header set to eventual",
            },
        )
    for team in tenant.teams:
        if team.id == group_id:
            return PlainTextResponse(str(team.member_count))
    raise HTTPException(404, {"code": "Request_ResourceNotFound", "message": "Group not found"})
