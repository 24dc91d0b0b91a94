"""Discovery of an Atlassian tenant: its Jira projects and Confluence spaces, with their sizes.

A server is read through its own REST APIs with its access token; a cloud site through
api.atlassian.com with the site's OAuth token. Each run replaces the tenant's lists, in place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from migrator_contracts import readmodels
from migrator_contracts.base import iso
from migrator_contracts.commands import DiscoverTenant
from migrator_contracts.enums import TenantType
from migrator_contracts.readmodels import DiscoveredProjectDoc, DiscoveredSpaceDoc
from migrator_platform.bus import Publisher
from migrator_platform.discovery_jobs import (
    finish_discovery,
    found_by,
    replace_discovered,
    running_discovery,
    tenant_to_discover,
)
from migrator_platform.structured_logs import get_logger
from migrator_platform.throttling import raise_if_throttled, retrying
from migrator_readstore import ReadStore

from migrator_atlassian_connector.config import AtlassianSettings
from migrator_atlassian_connector.tenants.credentials import Credentials

log = get_logger(__name__)
PAGE = 50


class Discovery:
    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        store: ReadStore,
        credentials: Credentials,
        publisher: Publisher,
        settings: AtlassianSettings,
    ) -> None:
        self._http, self._store, self._credentials, self._settings = http, store, credentials, settings
        self._publisher = publisher

    async def discover(self, cmd: DiscoverTenant) -> None:
        """Run one discovery; safe to run again for the same command."""
        tenants = self._store.collection(readmodels.TENANTS)
        if (tenant := await tenant_to_discover(self._store, cmd)) is None:
            return
        async with running_discovery(self._store, cmd):
            projects, spaces, users = await self._discover(cmd, tenant)
        now = datetime.now(UTC)
        size = sum(int(i.get("sizeBytes") or i.get("attachmentsBytes") or 0) for i in projects + spaces)
        await tenants.update(
            cmd.tenant_id,
            {
                "projectCount": len(projects),
                "spaceCount": len(spaces),
                "userCount": users,
                "totalSizeBytes": size,
                "discoveredAt": iso(now),
            },
        )
        await finish_discovery(self._store, self._publisher, cmd, at=now)
        log.info(
            "atlassian tenant discovered", tenant_id=cmd.tenant_id, projects=len(projects), spaces=len(spaces)
        )

    async def _discover(
        self, cmd: DiscoverTenant, tenant: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int | None]:
        """Read the tenant's projects and spaces (and a server's users) and replace its lists:
        (projects, spaces, users)."""
        users: int | None = None
        if tenant["type"] == TenantType.ATLASSIAN_SERVER:
            projects, spaces = await self._server(cmd.tenant_id, tenant.get("workloads") or [])
            users = await self._server_users(cmd.tenant_id)
        else:
            projects, spaces = await self._cloud(cmd.tenant_id)
        found = found_by(cmd)

        def common(item: dict[str, Any]) -> dict[str, Any]:
            return {
                **found,
                "id": f"{cmd.tenant_id}:{item['key']}",
                "key": item["key"],
                "name": item.get("name"),
                "size_bytes": int(item.get("sizeBytes") or item.get("attachmentsBytes") or 0),
            }

        await replace_discovered(
            self._store,
            readmodels.DISCOVERED_PROJECTS,
            cmd,
            [DiscoveredProjectDoc(**common(p), issue_count=int(p.get("issueCount") or 0)) for p in projects],
        )
        await replace_discovered(
            self._store,
            readmodels.DISCOVERED_SPACES,
            cmd,
            [DiscoveredSpaceDoc(**common(s), page_count=int(s.get("pageCount") or 0)) for s in spaces],
        )
        return projects, spaces, users

    async def _server(
        self, tenant_id: str, workloads: list[str]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        base, token = await self._credentials.server(tenant_id)
        headers = {"Authorization": f"Bearer {token}"}
        projects: list[dict[str, Any]] = []
        spaces: list[dict[str, Any]] = []
        if "JIRA" in workloads:
            projects = list(await self._get(f"{base}/rest/api/2/project", headers))
        if "CONFLUENCE" in workloads:
            start = 0
            while True:
                page = await self._get(f"{base}/rest/api/space", headers, start=start, limit=PAGE)
                spaces += page["results"]
                if not (page.get("_links") or {}).get("next") or not page["results"]:
                    break
                start += len(page["results"])
        return projects, spaces

    async def _server_users(self, tenant_id: str) -> int:
        """How many users the server has (they migrate with usersAndGroups)."""
        base, token = await self._credentials.server(tenant_id)
        headers = {"Authorization": f"Bearer {token}"}
        count, start = 0, 0
        while True:
            page = await self._get(
                f"{base}/rest/api/2/user/search", headers, username=".", startAt=start, maxResults=PAGE
            )
            count += len(page)
            if len(page) < PAGE:
                return count
            start += len(page)

    async def _cloud(self, tenant_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        token = await self._credentials.access_token(tenant_id)
        cloud_id = (await self._credentials.load(tenant_id)).cloud_id
        headers = {"Authorization": f"Bearer {token}"}
        api = self._settings.atlassian_api_url
        projects: list[dict[str, Any]] = []
        start = 0
        while True:
            page = await self._get(
                f"{api}/ex/jira/{cloud_id}/rest/api/3/project/search", headers, startAt=start, maxResults=PAGE
            )
            projects += page["values"]
            if page.get("isLast", True) or not page["values"]:
                break
            start += len(page["values"])
        spaces: list[dict[str, Any]] = []
        url: str | None = f"{api}/ex/confluence/{cloud_id}/wiki/api/v2/spaces?limit={PAGE}"
        while url:
            page = await self._get(url, headers)
            spaces += page["results"]
            following = (page.get("_links") or {}).get("next")
            url = f"{api}/ex/confluence/{cloud_id}{following}" if following else None
        return projects, spaces

    async def _get(self, url: str, headers: dict[str, str], **params: Any) -> Any:
        async for attempt in retrying():
            with attempt:
                response = await self._http.get(url, headers=headers, params=params or None)
                raise_if_throttled(response)
        response.raise_for_status()
        return response.json()
