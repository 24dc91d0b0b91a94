"""Tenants: connect (admin consent), the consent callback, list, get, delete, and discovery results."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Query, Response
from migrator_contracts import readmodels, subjects
from migrator_contracts.commands import DeleteTenant, DiscoverTenant
from migrator_contracts.enums import TenantRole
from migrator_contracts.rpc import (
    ConnectTenantReply,
    ConnectTenantRequest,
    ConsentReply,
    ConsentRequest,
    RegisterServer,
)
from migrator_contracts.rpc import (
    RegisterServerReply as RegisterReplyMessage,
)
from migrator_platform.bus import publish
from migrator_platform.ids import new_id
from migrator_readstore import ReadStore
from pydantic import BaseModel, ConfigDict, Field

from migrator_gateway.api import schemas
from migrator_gateway.api.deps import BusDep, Caller, CallerDep, SettingsDep
from migrator_gateway.api.discovered import ListQuery, ListQueryDep, page
from migrator_gateway.api.errors import ApiError
from migrator_gateway.api.ownership import tenant_in_org
from migrator_gateway.api.rpc import ask
from migrator_gateway.api.views import shaped, tenant_view

router = APIRouter(prefix="/v1/tenants", tags=["tenants"], responses=schemas.COMMON_ERRORS)

DOMAIN = r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
S = TypeVar("S", bound=BaseModel)


class ConnectTenant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    domain: str = Field(
        pattern=DOMAIN,
        max_length=253,
        description="The tenant's domain (contoso.com), or an Atlassian Cloud site (acme.atlassian.net)",
    )
    role: TenantRole
    type: Literal["M365", "ATLASSIAN"] = Field(
        default="M365", description="ATLASSIAN: an Atlassian Cloud site (a destination), by OAuth consent"
    )


class RegisterServerBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    serverId: str = Field(pattern=r"^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$", description="e.g. BSQ4-J2CB-XYZ1-ABCD")
    baseUrl: str = Field(pattern=r"^https?://\S+$", max_length=2048, description="Where the server answers")
    accessToken: str = Field(
        min_length=8,
        max_length=1024,
        description="An administrator's personal access token (stored encrypted)",
    )


async def tenant_of_org(store: ReadStore, org_id: str, tenant_id: str) -> readmodels.TenantDoc:
    """The tenant, if it belongs to this organisation (else 404: never confirm another's exists)."""
    tenant = await tenant_in_org(store, org_id, tenant_id)
    if tenant is None:
        raise ApiError(404, "TENANT_NOT_FOUND", "Tenant not found")
    return tenant


@router.post("/connect")
async def connect(body: ConnectTenant, caller: CallerDep) -> schemas.ConsentStart:
    """Start admin consent: the Global Admin visits ``authUrl``."""
    org_id, broker, settings = caller.org_id, caller.broker, caller.settings
    if body.type == "ATLASSIAN" and body.role is not TenantRole.DESTINATION:
        raise ApiError(
            400,
            "VALIDATION_ERROR",
            "role: an Atlassian Cloud site is a destination; register a Server / Data Center source "
            "with POST /v1/tenants/servers",
        )
    request = ConnectTenantRequest(
        org_id=org_id,
        domain=body.domain.lower(),
        role=body.role,
        redirect_uri=f"{settings.base_url}/v1/tenants/callback",
    )
    reply = await ask(
        broker,
        subjects.RPC_ATLASSIAN_CONNECT if body.type == "ATLASSIAN" else subjects.RPC_TENANT_CONNECT,
        request,
        ConnectTenantReply,
        wait_seconds=settings.rpc_timeout_seconds,
    )
    return schemas.ConsentStart(authUrl=reply.auth_url, state=reply.state)


@router.get("/callback")
async def callback(
    broker: BusDep,
    settings: SettingsDep,
    state: str = Query(""),
    code: str | None = None,
    admin_consent: str | None = None,
    tenant: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> schemas.ConsentDone:
    """Where the identity provider sends the admin's browser back (authenticated by ``state``)."""
    if not state:
        raise ApiError(400, "STATE_INVALID", "The consent callback has no state")
    request = ConsentRequest(
        state=state,
        code=code,
        admin_consent=admin_consent,
        tenant=tenant,
        error=error,
        error_description=error_description,
    )
    reply = await ask(
        broker,
        # Atlassian consents' states are atl_…: that connector issued them.
        subjects.RPC_ATLASSIAN_CONSENT if state.startswith("atl_") else subjects.RPC_TENANT_CONSENT,
        request,
        ConsentReply,
        wait_seconds=settings.rpc_timeout_seconds * 3,
    )
    return schemas.ConsentDone(connected=True, tenantId=reply.tenant_id)


@router.post("/servers", status_code=201)
async def register_server(body: RegisterServerBody, caller: CallerDep) -> schemas.RegisteredServer:
    """Register a Jira / Confluence Server or Data Center as a migration source: the server must
    answer with this id and token; its projects and spaces are then discovered."""
    request = RegisterServer(
        org_id=caller.org_id, server_id=body.serverId, base_url=body.baseUrl, access_token=body.accessToken
    )
    reply = await ask(
        caller.broker,
        subjects.RPC_ATLASSIAN_REGISTER,
        request,
        RegisterReplyMessage,
        wait_seconds=caller.settings.rpc_timeout_seconds * 3,
    )
    tenant = await tenant_of_org(caller.store, caller.org_id, reply.tenant_id)
    return schemas.RegisteredServer(tenant=tenant_view(tenant.to_doc()))


@router.get("")
async def list_tenants(caller: CallerDep) -> schemas.TenantList:
    """Every tenant connected to the organisation."""
    org_id, store = caller.org_id, caller.store
    docs = await store.collection(readmodels.TENANTS).find(
        {"orgId": org_id}, sort=[("connectedAt", 1), ("_id", 1)]
    )
    return schemas.TenantList(tenants=[tenant_view(d) for d in docs])


@router.get("/{tenant_id}")
async def get_tenant(tenant_id: str, caller: CallerDep) -> schemas.TenantEnvelope:
    org_id, store = caller.org_id, caller.store
    return schemas.TenantEnvelope(
        tenant=tenant_view((await tenant_of_org(store, org_id, tenant_id)).to_doc())
    )


@router.delete("/{tenant_id}", responses={202: {"model": schemas.Deleted, "description": "Accepted"}})
async def delete_tenant(tenant_id: str, caller: CallerDep, response: Response) -> schemas.Deleted:
    """Pause the jobs that use the tenant, revoke its credentials, then remove it.

    The scheduler pauses the jobs before it asks the connector to revoke; the answer waits until
    the tenant is gone (202 if that takes longer than the RPC timeout: the removal is queued).
    """
    org_id, store, broker, settings = caller.org_id, caller.store, caller.broker, caller.settings
    await tenant_of_org(store, org_id, tenant_id)
    request_id = new_id("del")
    command = DeleteTenant(tenant_id=tenant_id, org_id=org_id, request_id=request_id)
    await publish(broker, subjects.CMD_TENANT_DELETE, command, msg_id=request_id)
    tenants = store.collection(readmodels.TENANTS)
    deadline = time.monotonic() + settings.rpc_timeout_seconds * 2
    while time.monotonic() < deadline:
        if await tenants.get(tenant_id) is None:
            return schemas.Deleted(deleted=True)
        await asyncio.sleep(0.05)
    response.status_code = 202
    return schemas.Deleted(deleted=True)


@router.post("/{tenant_id}/discover", status_code=202)
async def discover(tenant_id: str, caller: CallerDep) -> schemas.DiscoveryStarted:
    """Run discovery again (users, sites, teams, storage); the lists update when it completes."""
    org_id, store, broker = caller.org_id, caller.store, caller.broker
    tenant = await tenant_of_org(store, org_id, tenant_id)
    discovery_id = new_id("dis")
    command = DiscoverTenant(tenant_id=tenant_id, org_id=org_id, discovery_job_id=discovery_id)
    subject = subjects.CMD_TENANT_DISCOVER if tenant.type == "M365" else subjects.CMD_ATLASSIAN_DISCOVER
    await publish(broker, subject, command, msg_id=discovery_id)
    return schemas.DiscoveryStarted(
        latestJob=schemas.LatestJob(id=discovery_id, status="QUEUED", completedAt=None)
    )


async def _discovered(
    caller: Caller, tenant_id: str, collection: str, row: type[S], query: ListQuery, fields: tuple[str, ...]
) -> tuple[list[S], schemas.LatestJob | None, dict[str, Any]]:
    """What the most recent discovery found (this page of it), that discovery job, and where the
    next page starts (``nextCursor``, ``hasMore``)."""
    store, org_id = caller.store, caller.org_id
    tenant = await tenant_of_org(store, org_id, tenant_id)
    where: dict[str, object] = {"tenantId": tenant_id, "orgId": org_id}
    if query.after is not None:
        where["_id"] = {"$gt": query.after}
    rows = store.collection(collection).iterate(
        where, sort=[("_id", 1)], batch_size=min(query.limit or 1000, 1000)
    )
    docs, next_cursor = await page(rows, query, fields)
    latest = None
    if tenant.latest_discovery_job_id:
        doc = await store.collection(readmodels.DISCOVERY_JOBS).get(tenant.latest_discovery_job_id)
        if doc is not None:
            job = readmodels.DiscoveryJobDoc.model_validate(doc)
            latest = schemas.LatestJob(id=job.id, status=job.status.value, completedAt=job.completed_at)
    paging = {"nextCursor": next_cursor, "hasMore": next_cursor is not None}
    return [shaped(row, d) for d in docs], latest, paging


@router.get("/{tenant_id}/users")
async def discovered_users(tenant_id: str, caller: CallerDep, query: ListQueryDep) -> schemas.DiscoveredUsers:
    """Users (mailboxes) found by the most recent discovery."""
    rows, latest, paging = await _discovered(
        caller, tenant_id, readmodels.DISCOVERED_USERS, schemas.DiscoveredUser, query, ("upn", "displayName")
    )
    return schemas.DiscoveredUsers(users=rows, latestJob=latest, **paging)


@router.get("/{tenant_id}/sites")
async def discovered_sites(tenant_id: str, caller: CallerDep, query: ListQueryDep) -> schemas.DiscoveredSites:
    """SharePoint sites found by the most recent discovery."""
    rows, latest, paging = await _discovered(
        caller, tenant_id, readmodels.DISCOVERED_SITES, schemas.DiscoveredSite, query, ("url", "name")
    )
    return schemas.DiscoveredSites(sites=rows, latestJob=latest, **paging)


@router.get("/{tenant_id}/teams")
async def discovered_teams(tenant_id: str, caller: CallerDep, query: ListQueryDep) -> schemas.DiscoveredTeams:
    """Microsoft Teams found by the most recent discovery."""
    rows, latest, paging = await _discovered(
        caller, tenant_id, readmodels.DISCOVERED_TEAMS, schemas.DiscoveredTeam, query, ("name", "teamId")
    )
    return schemas.DiscoveredTeams(teams=rows, latestJob=latest, **paging)


@router.get("/{tenant_id}/projects")
async def discovered_projects(
    tenant_id: str, caller: CallerDep, query: ListQueryDep
) -> schemas.DiscoveredProjects:
    """Jira projects found by the most recent discovery of an Atlassian tenant."""
    rows, latest, paging = await _discovered(
        caller, tenant_id, readmodels.DISCOVERED_PROJECTS, schemas.DiscoveredProject, query, ("key", "name")
    )
    return schemas.DiscoveredProjects(projects=rows, latestJob=latest, **paging)


@router.get("/{tenant_id}/spaces")
async def discovered_spaces(
    tenant_id: str, caller: CallerDep, query: ListQueryDep
) -> schemas.DiscoveredSpaces:
    """Confluence spaces found by the most recent discovery of an Atlassian tenant."""
    rows, latest, paging = await _discovered(
        caller, tenant_id, readmodels.DISCOVERED_SPACES, schemas.DiscoveredSpace, query, ("key", "name")
    )
    return schemas.DiscoveredSpaces(spaces=rows, latestJob=latest, **paging)
