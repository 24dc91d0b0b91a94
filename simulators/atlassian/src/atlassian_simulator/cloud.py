"""Cloud product APIs on api.atlassian.com/ex/{product}/{cloudId}: what a site holds after migrations.

``issueCount`` and ``pageCount`` are simulator extensions, so a test can see the content arrive.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from atlassian_simulator.api_errors import SimError
from atlassian_simulator.auth import cloud_site
from atlassian_simulator.cursors import BadCursor, decode, encode

router = APIRouter(prefix="/api/ex")


@router.get("/jira/{cloud_id}/rest/api/3/project/search")
async def project_search(
    request: Request, cloud_id: str, startAt: int = 0, maxResults: int = 50
) -> dict[str, Any]:
    """Offset paging as Jira Cloud does it (``maxResults`` at most 100)."""
    site = cloud_site(request, cloud_id)
    start, size = max(0, startAt), max(1, min(maxResults, 100))
    projects = sorted(site.projects.values(), key=lambda p: p.key)
    page = projects[start : start + size]
    base = f"{str(request.base_url).rstrip('/')}{request.url.path}"
    body: dict[str, Any] = {
        "self": f"{base}?startAt={start}&maxResults={size}",
        "maxResults": size,
        "startAt": start,
        "total": len(projects),
        "isLast": start + size >= len(projects),
        "values": [{"id": p.id, "key": p.key, "name": p.name, "issueCount": p.issue_count} for p in page],
    }
    if not body["isLast"]:
        body["nextPage"] = f"{base}?startAt={start + size}&maxResults={size}"
    return body


@router.get("/confluence/{cloud_id}/wiki/api/v2/spaces")
async def spaces(request: Request, cloud_id: str, cursor: str = "", limit: int = 25) -> dict[str, Any]:
    """Cursor paging as Confluence Cloud v2 does it: ``_links.next`` is site-relative (``/wiki/...``)."""
    site = cloud_site(request, cloud_id)
    size = max(1, min(limit, 250))
    listed = sorted(site.spaces.values(), key=lambda s: s.key)
    if cursor:
        try:
            _, after = decode(cursor, parts=2)
        except BadCursor as exc:
            raise SimError(400, {"errors": [{"status": 400, "code": "INVALID_REQUEST_PARAMETER"}]}) from exc
        listed = [s for s in listed if s.key >= after]
    page = listed[:size]
    links: dict[str, str] = {"base": f"{site.url}/wiki"}
    if len(listed) > size:
        links["next"] = f"/wiki/api/v2/spaces?cursor={encode('spaces', listed[size].key)}&limit={size}"
    results = [
        {
            "id": s.id,
            "key": s.key,
            "name": s.name,
            "type": "global",
            "status": "current",
            "pageCount": s.page_count,
        }
        for s in page
    ]
    return {"results": results, "_links": links}
