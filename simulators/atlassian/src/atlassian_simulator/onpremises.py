"""Server / Data Center sources at /server/{serverId}: Jira's and Confluence's REST APIs, reached with a PAT.

``issueCount``, ``attachmentsBytes``, ``pageCount`` and ``sizeBytes`` are simulator extensions.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from atlassian_simulator.api_errors import SimError
from atlassian_simulator.auth import server
from atlassian_simulator.data import Server

router = APIRouter(prefix="/server/{server_id}")


def _product(found: Server, product: str) -> None:
    if product not in found.products:
        raise SimError(404, {"message": f"{product} is not installed on this server", "status-code": 404})


@router.get("/rest/api/2/serverInfo")
async def server_info(request: Request, server_id: str) -> dict[str, Any]:
    """Jira's shape; served for every server here, so a Confluence-only one has it too."""
    found = server(request, server_id)
    return {
        "baseUrl": f"{str(request.base_url).rstrip('/')}/server/{server_id}",
        "version": "9.12.2",
        "versionNumbers": [9, 12, 2],
        "deploymentType": found.deployment_type,
        "buildNumber": 9120002,
        "serverTitle": found.title,
        "serverId": found.server_id,
    }


@router.get("/rest/api/2/project")
async def projects(request: Request, server_id: str) -> list[dict[str, Any]]:
    found = server(request, server_id)
    _product(found, "jira")
    return [
        {
            "id": p.id,
            "key": p.key,
            "name": p.name,
            "issueCount": p.issue_count,
            "attachmentsBytes": p.attachments_bytes,
        }
        for p in found.projects.values()
    ]


@router.get("/rest/api/space")
async def spaces(request: Request, server_id: str, start: int = 0, limit: int = 25) -> dict[str, Any]:
    """Offset paging; ``_links.next`` is relative to ``_links.base``, as Confluence Data Center gives it."""
    found = server(request, server_id)
    _product(found, "confluence")
    start, limit = max(0, start), max(1, min(limit, 500))
    page = list(found.spaces.values())[start : start + limit]
    links = {"base": f"{str(request.base_url).rstrip('/')}/server/{server_id}", "context": ""}
    if start + limit < len(found.spaces):
        links["next"] = f"/rest/api/space?limit={limit}&start={start + limit}"
    results = [
        {
            "id": int(s.id),
            "key": s.key,
            "name": s.name,
            "type": "global",
            "pageCount": s.page_count,
            "sizeBytes": s.size_bytes,
        }
        for s in page
    ]
    return {"results": results, "start": start, "limit": limit, "size": len(results), "_links": links}


@router.get("/rest/api/2/user/search")
async def users(
    request: Request,
    server_id: str,
    username: str = ".",
    startAt: int = 0,
    maxResults: int = 50,
) -> list[dict[str, Any]]:
    """``username=.`` lists everyone (the Data Center idiom), else a case-insensitive substring match.

    Jira's endpoint, served for every server here: the users are those a migration's usersAndGroups moves.
    """
    found = server(request, server_id)
    wanted = username.lower()
    matches = [
        u
        for u in found.users
        if wanted == "." or any(wanted in v.lower() for v in (u.name, u.email, u.display_name))
    ]
    page = matches[max(0, startAt) : max(0, startAt) + max(1, min(maxResults, 1000))]
    return [
        {
            "key": u.name,
            "name": u.name,
            "emailAddress": u.email,
            "displayName": u.display_name,
            "active": True,
        }
        for u in page
    ]
